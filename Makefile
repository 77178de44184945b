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
# Build tags of every build of the binary and of the compiled-in Telegraf
# (scripts/telegraf-build.sh, bench.sh, capture-example.sh ask `make -s gotags`):
# libvirt_dlopen makes libvirt.org/go/libvirt load libvirt.so.0 at run time,
# so the binary needs only the libvirt symbols internal/domstats calls
# (libvirt >= 1.2.8, see TestLibvirtSymbolVersions), not the build host's.
GOTAGS   := libvirt_dlopen

.PHONY: all build roots roots-build compat-doc demo test unit lint deps lab lab-down hypervisor example clean \
        telegraf telegraf-stock influxdb e2e-deps bench package package-deps print-version remote-deps \
        telegraf-prom prometheus fuzz golangci-lint nocgo gotags readme-lint shellcheck dashboards telegraf-both

all: build

deps:
	scripts/deps.sh

# The release build: what `make package` ships and what the tests run.
# Built inside the bullseye root (scripts/roots.sh): linked against glibc
# 2.31, it starts on Debian 11, Ubuntu 20.04, RHEL 9 and newer (a binary
# built on this Debian 12 would need glibc 2.34).
build: roots-build
	scripts/roots.sh go -- build -trimpath -tags '$(GOTAGS)' -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/telegraf-libvirt

## roots: the version matrix's lab nodes v7.0, v11.3 and v12.8, each the
## libvirtd and QEMU of a Debian root (scripts/roots.sh: debootstrap, cached
## under the lab directory; bullseye, trixie, sid)
roots:
	scripts/lab.sh up-roots

# The build root alone (what build, package and telegraf need).
roots-build:
	scripts/roots.sh build bullseye >/dev/null

gotags:
	@echo '$(GOTAGS)'

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

## telegraf: Telegraf (version from go.mod) with inputs.libvirt_stats compiled in,
## built in the build root as bin/telegraf-libvirt is
telegraf: deps roots-build
	GOTAGS='$(GOTAGS)' scripts/telegraf-build.sh custom $(TELEGRAF)

## telegraf-stock: stock Telegraf with inputs.execd + outputs.influxdb, cached in .cache/telegraf
telegraf-stock:
	scripts/telegraf-build.sh stock $(TELEGRAF_STOCK)

## influxdb: Debian's influxdb package (the e2e tests start their own influxd)
influxdb:
	scripts/influxdb.sh install

## telegraf-prom: Telegraf with inputs.libvirt_stats, outputs.influxdb and
## outputs.prometheus_client (the Prometheus end-to-end test)
TELEGRAF_PROM := bin/telegraf-libvirt-prom
telegraf-prom: deps roots-build
	TELEGRAF_CUSTOM_TAGS=custom,inputs.libvirt_stats,outputs.influxdb,outputs.prometheus_client \
		scripts/telegraf-build.sh custom $(TELEGRAF_PROM)

## prometheus: Debian's prometheus package (promtool too); its service is not started
prometheus:
	scripts/prometheus.sh install

## telegraf-both: Telegraf with inputs.libvirt and inputs.libvirt_stats
## (e2e/migrate_test.go holds the migration table to both plugins)
TELEGRAF_BOTH := bin/telegraf-libvirt-both
telegraf-both: deps roots-build
	TELEGRAF_CUSTOM_TAGS=custom,inputs.libvirt,inputs.libvirt_stats,outputs.influxdb,outputs.prometheus_client \
		scripts/telegraf-build.sh custom $(TELEGRAF_BOTH)

## dashboards: dashboards/json, dashboards/svg and docs/migrate.md from
## dashboards/*.go (its own module: Grafana's foundation SDK)
dashboards:
	cd dashboards && go generate ./...

## e2e-deps: everything the end-to-end tests (e2e/) run
e2e-deps: build telegraf telegraf-stock influxdb telegraf-prom telegraf-both prometheus

## remote-deps: certtool and sshd for the TLS and SSH tests (they start private daemons)
remote-deps:
	scripts/remote-deps.sh

## lab: the test lab (scripts/lab.sh): libvirtd + QEMU (TCG) test domains in
## namespaces of their own under $(LAB_DIR); the host's libvirt is left
## alone. Prints LAB_URI=<read-only URI of the lab's libvirtd>.
LAB_DIR ?= /var/tmp/telegraf-libvirt-lab
export TLV_LAB_DIR := $(LAB_DIR)
lab:
	@scripts/lab.sh up

## lab-down: stops the lab and removes what it made (its cache/ stays)
lab-down:
	scripts/lab.sh down

# The old name of the lab.
hypervisor: lab

## example: capture virsh domstats and the plugin's line protocol of tlv-run1
## into testdata/ (the README's Example Output quotes them)
example: deps lab
	scripts/capture-example.sh

lint: golangci-lint nocgo readme-lint shellcheck
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	go vet -tags 'qemu $(GOTAGS)' ./...
	cd bench && go vet ./... && go test -count=1 ./...
	cd dashboards && go vet ./... && go test -count=1 ./...

## nocgo: the module and a Telegraf tree with the plugin build without cgo
## (as Telegraf's own `make` does); the plugin registers and its Init, and
## the binary, say it needs cgo
nocgo:
	CGO_ENABLED=0 go build ./...
	CGO_ENABLED=0 go vet ./...
	GOOS=darwin CGO_ENABLED=0 go build ./plugins/...
	CGO_ENABLED=0 go test -count=1 ./plugins/... ./cmd/...
	CGO_ENABLED=0 GOTAGS='$(GOTAGS)' scripts/telegraf-build.sh custom bin/telegraf-libvirt-stats-nocgo
	scripts/nocgo-check.sh bin/telegraf-libvirt-stats-nocgo

## readme-lint: Telegraf's tools/readme_linter (go.mod's Telegraf version) on
## the plugin's README, and `go generate ./...` (Telegraf's
## readme_config_includer: README's Configuration block from sample.conf)
## leaves the tree as it was
readme-lint:
	src=$$(scripts/telegraf-build.sh src) && cd "$$src" && \
	  GOFLAGS=-mod=mod go build -o $(CURDIR)/.cache/bin/readme_linter ./tools/readme_linter
	.cache/bin/readme_linter plugins/inputs/libvirt_stats/README.md
	@before=$$(git status --porcelain; git diff); go generate ./...; after=$$(git status --porcelain; git diff); \
	  if [ "$$before" != "$$after" ]; then git status --short; git diff; \
	    echo "go generate ./... changed the tree: run it and commit the result"; exit 1; fi

## shellcheck: every script of scripts/ (Debian's shellcheck, hv-lib.sh
## followed where it is sourced)
shellcheck:
	scripts/deps.sh shellcheck
	shellcheck -x scripts/*.sh

## golangci-lint: .golangci.yml over the main module (qemu tests included) and
## bench/; the linter is built from tools/lint (its own module) into .cache/bin
GOLANGCI := .cache/bin/golangci-lint
$(GOLANGCI): tools/lint/go.mod tools/lint/go.sum
	cd tools/lint && GOBIN=$(CURDIR)/.cache/bin go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint
	@touch $@

golangci-lint: $(GOLANGCI)
	$(GOLANGCI) run ./...
	cd bench && ../$(GOLANGCI) run --config ../.golangci.yml ./...
	cd dashboards && ../$(GOLANGCI) run --config ../.golangci.yml ./...

## unit: the quick tests that need no daemon (test driver in-process; the
## memory soak is left to `make test`)
unit: deps
	go test -short -tags '$(GOTAGS)' -count=1 ./...

## test: everything, against the test driver and real QEMU domains under the
## lab's libvirtd, and end to end: Telegraf -> InfluxDB. The tests run in the
## lab's network namespace (its TCP endpoints are there).
## The suites are bracketed by hostguard: the host's /etc/libvirt and
## /etc/sasl2, and its libvirtd's pid, sockets and domains, must be the
## same after them (a stand-in libvirtd with one domain is started where the
## host has none, and removed at the end).
HOSTGUARD := .cache/bin/hostguard
test: build e2e-deps remote-deps lint package package-deps fuzz
	mkdir -p .cache/bin && go build -o $(HOSTGUARD) ./internal/testsupport/hostguard/cmd/hostguard
	$(HOSTGUARD) before .cache/hostguard.json
	rc=0; scripts/lab.sh up && scripts/lab.sh up-roots && \
	  scripts/lab.sh exec -- go test -tags 'qemu $(GOTAGS)' -count=1 -p 1 -timeout 30m ./... || rc=$$?; \
	  $(HOSTGUARD) after .cache/hostguard.json || rc=1; exit $$rc
	$(MAKE) --no-print-directory compat-doc

## compat-doc: docs/compatibility.md from the results of the last TestMatrix run
## (the version matrix of make test: plugins/inputs/libvirt_stats/matrix_qemu_test.go)
MATRIX_RESULTS ?= $(or $(TLV_LAB_DIR),/var/tmp/telegraf-libvirt-lab)/matrix/results.json
compat-doc:
	go run ./internal/testsupport/matrixdoc -in $(MATRIX_RESULTS) -out docs/compatibility.md

## fuzz: each Go fuzz target for FUZZTIME (go test -fuzz takes one target
## per run); plain go test runs their corpora (testdata/fuzz/FUZZTARGET) always
# A count, not a duration: with a duration, Go before 1.27 can fail a target
# with a bare "context deadline exceeded" when the deadline fires while a
# worker is busy (golang/go#75804; seen in CI on FuzzMetadataXPath, no input
# written). 30000 runs take 5-20 s per target here.
FUZZTIME ?= 30000x
fuzz: deps
	go test -run '^$$' -fuzz '^FuzzConvert$$' -fuzztime $(FUZZTIME) ./internal/domstats
	for f in FuzzLayout FuzzMetadataXPath FuzzConfig; do \
	  go test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) ./plugins/inputs/libvirt_stats || exit 1; \
	done

## bench: the bare bulk call, this plugin, Telegraf's inputs.libvirt and
## per-domain calls side by side on the lab's QEMU guests and 1000
## test-driver domains, and what a gather costs libvirtd and QEMU; writes
## BENCHMARKS.md and docs/performance.md (~40 min, root, starts the lab;
## not part of test)
bench: deps
	scripts/bench.sh

## clean: bin/, dist/ (the Telegraf cache .cache/telegraf stays; rm -rf .cache to rebuild it)
clean:
	rm -rf bin bench/out dist
