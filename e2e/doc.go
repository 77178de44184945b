// Package e2e holds the end-to-end tests (build tag qemu): stock Telegraf
// running telegraf-libvirt through inputs.execd, and Telegraf with
// inputs.libvirt_stats compiled in, each writing the QEMU test domains'
// statistics to a throwaway InfluxDB 1.x that the tests then query.
//
// They need, besides the lab (make lab) and its domains:
//
//	bin/telegraf-libvirt         make build
//	bin/telegraf-stock           make telegraf-stock
//	bin/telegraf-libvirt-stats   make telegraf
//	influxd                      scripts/influxdb.sh install (Debian's influxdb)
//
// Anything missing fails the tests; nothing is skipped.
package e2e
