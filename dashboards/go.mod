module github.com/telegraf-libvirt/telegraf-libvirt/dashboards

go 1.26.4

require github.com/grafana/grafana-foundation-sdk/go v0.0.22
