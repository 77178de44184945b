# telegraf-libvirt: `make demo` and `make test` work on a fresh Debian 12
# machine with Go installed (run as root, or with sudo for apt-get).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

BIN      := bin/telegraf-libvirt
# Telegraf with inputs.libvirt_stats compiled in, and stock Telegraf for the
# execd end-to-end test (see scripts/telegraf-build.sh)
TELEGRAF       := bin/telegraf-libvirt-stats
TELEGRAF_STOCK := bin/telegraf-stock
MODULE   := github.com/telegraf-libvirt/telegraf-libvirt
# The one place the version is kept is internal/version/version.go.
VERSION  := $(shell sed -n 's/^const Version = "\(.*\)"$$/\1/p' internal/version/version.go)
COMMIT   := $(shell git describe --always --dirty --exclude='*' 2>/dev/null)
LDFLAGS  := -X $(MODULE)/internal/version.Commit=$(COMMIT)
# Packages (make package): made by nfpm, a tool of the packaging/ module
ARCH     := $(shell go env GOARCH)
DEB      := dist/telegraf-libvirt_$(VERSION)_$(ARCH).deb
RPM      := dist/telegraf-libvirt-$(VERSION)-1.$(subst amd64,x86_64,$(subst arm64,aarch64,$(ARCH))).rpm
GOFILES   = $(shell git ls-files '*.go')

.PHONY: all build demo test unit lint deps hypervisor hypervisor-down example clean \
        telegraf telegraf-stock influxdb e2e-deps bench package package-deps print-version remote-deps \
        telegraf-prom prometheus fuzz

all: build

deps:
	scripts/deps.sh

# The release build: what `make package` ships and what the tests run.
build: deps
	go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/telegraf-libvirt

print-version:
	@echo $(VERSION)

## package: dist/telegraf-libvirt_VERSION_ARCH.deb and dist/telegraf-libvirt-VERSION-1.ARCH.rpm
## of bin/telegraf-libvirt and packaging/ (nfpm, packaging/nfpm.yaml)
package: build
	@test -n "$(VERSION)" || { echo "no version in internal/version/version.go"; exit 1; }
	rm -f dist/telegraf-libvirt[_-]*
	mkdir -p dist
	cd packaging && VERSION=$(VERSION) ARCH=$(ARCH) go tool nfpm package --config nfpm.yaml --packager deb --target ../$(DEB)
	cd packaging && VERSION=$(VERSION) ARCH=$(ARCH) go tool nfpm package --config nfpm.yaml --packager rpm --target ../$(RPM)

## package-deps: what the package test needs besides dpkg: rpm (rpm -qpl/-qpR)
package-deps:
	scripts/deps.sh rpm

## demo: one gather from libvirt's embedded test driver, printed as line protocol
demo: build
	$(BIN) -once -config examples/demo.conf

## telegraf: Telegraf (version from go.mod) with inputs.libvirt_stats compiled in
telegraf: deps
	scripts/telegraf-build.sh custom $(TELEGRAF)

## telegraf-stock: stock Telegraf with inputs.execd + outputs.influxdb, cached in .cache/telegraf
telegraf-stock:
	scripts/telegraf-build.sh stock $(TELEGRAF_STOCK)

## influxdb: Debian's influxdb package (the e2e tests start their own influxd)
influxdb:
	scripts/influxdb.sh install

## telegraf-prom: Telegraf with inputs.libvirt_stats, outputs.influxdb and
## outputs.prometheus_client (the Prometheus end-to-end test)
TELEGRAF_PROM := bin/telegraf-libvirt-prom
telegraf-prom: deps
	TELEGRAF_CUSTOM_TAGS=custom,inputs.libvirt_stats,outputs.influxdb,outputs.prometheus_client \
		scripts/telegraf-build.sh custom $(TELEGRAF_PROM)

## prometheus: Debian's prometheus package (promtool too); its service is not started
prometheus:
	scripts/prometheus.sh install

## e2e-deps: everything the end-to-end tests (e2e/) run
e2e-deps: build telegraf telegraf-stock influxdb telegraf-prom prometheus

## remote-deps: certtool and sshd for the TLS and SSH tests (they start private daemons)
remote-deps:
	scripts/remote-deps.sh

## hypervisor: libvirtd + QEMU (TCG) test domains, see scripts/hypervisor-up.sh
hypervisor:
	scripts/hypervisor-up.sh

hypervisor-down:
	scripts/hypervisor-down.sh

## example: capture virsh domstats and the plugin's line protocol of tlv-run1
## into testdata/ (the README's Example Output quotes them)
example: deps hypervisor
	scripts/capture-example.sh

lint:
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	go vet -tags qemu ./...
	cd bench && go vet ./... && go test -count=1 ./...

## unit: the quick tests that need no daemon (test driver in-process; the
## memory soak is left to `make test`)
unit: deps
	go test -short -count=1 ./...

## test: everything, against the test driver and real QEMU domains under libvirtd,
## and end to end: Telegraf -> InfluxDB
test: build e2e-deps hypervisor remote-deps lint package package-deps fuzz
	go test -tags qemu -count=1 -p 1 -timeout 30m ./...

## fuzz: each Go fuzz target for FUZZTIME (go test -fuzz takes one target
## per run); plain go test runs their corpora (testdata/fuzz/FUZZTARGET) always
FUZZTIME ?= 20s
fuzz: deps
	go test -run '^$$' -fuzz '^FuzzConvert$$' -fuzztime $(FUZZTIME) ./internal/domstats
	for f in FuzzLayout FuzzMetadataXPath FuzzConfig; do \
	  go test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) ./plugins/inputs/libvirt_stats || exit 1; \
	done

## bench: the bare bulk call, this plugin, Telegraf's inputs.libvirt and
## per-domain calls side by side on real QEMU guests and 1000 test-driver
## domains; writes BENCHMARKS.md and docs/performance.md (~15 min, root,
## not part of test)
bench: deps
	scripts/bench.sh

## clean: bin/, dist/ (the Telegraf cache .cache/telegraf stays; rm -rf .cache to rebuild it)
clean:
	rm -rf bin bench/out dist
