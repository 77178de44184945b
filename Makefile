# telegraf-libvirt: `make demo` and `make test` work on a fresh Debian 12
# machine with Go installed (run as root, or with sudo for apt-get).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

BIN      := bin/telegraf-libvirt
# Telegraf with inputs.libvirt_stats compiled in, and stock Telegraf for the
# execd end-to-end test (see scripts/telegraf-build.sh)
TELEGRAF       := bin/telegraf-libvirt-stats
TELEGRAF_STOCK := bin/telegraf-stock
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS  := -X main.version=$(VERSION)
GOFILES   = $(shell git ls-files '*.go')

.PHONY: all build demo test unit lint deps hypervisor hypervisor-down example clean \
        telegraf telegraf-stock influxdb e2e-deps bench fuzz

all: build

deps:
	scripts/deps.sh

build: deps
	go build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/telegraf-libvirt

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

## e2e-deps: everything the end-to-end tests (e2e/) run
e2e-deps: build telegraf telegraf-stock influxdb

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

## unit: the tests that need no daemon (test driver in-process)
unit: deps
	go test -count=1 ./...

## test: everything, against the test driver and real QEMU domains under libvirtd,
## and end to end: Telegraf -> InfluxDB
test: build e2e-deps hypervisor lint fuzz
	go test -tags qemu -count=1 -p 1 -timeout 30m ./...

## fuzz: each Go fuzz target for FUZZTIME (go test -fuzz takes one target
## per run); plain go test runs their corpora (testdata/fuzz/FuzzX) always
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

## clean: bin/ (the Telegraf cache .cache/telegraf stays; rm -rf .cache to rebuild it)
clean:
	rm -rf bin bench/out
