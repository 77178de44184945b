# telegraf-libvirt: `make demo` and `make test` work on a fresh Debian 12
# machine with Go installed (run as root, or with sudo for apt-get).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

BIN      := bin/telegraf-libvirt
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS  := -X main.version=$(VERSION)
GOFILES   = $(shell git ls-files '*.go')

.PHONY: all build demo test unit lint deps hypervisor hypervisor-down example clean

all: build

deps:
	scripts/deps.sh

build: deps
	go build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/telegraf-libvirt

## demo: one gather from libvirt's embedded test driver, printed as line protocol
demo: build
	$(BIN) -once -config examples/demo.conf

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

## unit: the tests that need no daemon (test driver in-process)
unit: deps
	go test -count=1 ./...

## test: everything, against the test driver and real QEMU domains under libvirtd
test: build hypervisor lint
	go test -tags qemu -count=1 -p 1 -timeout 30m ./...

clean:
	rm -rf bin
