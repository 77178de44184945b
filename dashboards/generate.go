package dashboards

//go:generate go run ./cmd/gen -dir .
