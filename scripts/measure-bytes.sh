#!/usr/bin/env bash
# Bytes per domain per gather, for sizing a shared store (docs/telegraf.md, "Scaling out").
#
#   scripts/measure-bytes.sh [SECONDS]
#
# 1. Line protocol: one gather of bin/telegraf-libvirt -once with
#    examples/libvirt_stats.conf; bytes per domain, plain and gzipped (what
#    outputs.influxdb sends with content_encoding = "gzip").
# 2. InfluxDB 1.x on disk (only with SECONDS): bin/telegraf-libvirt-stats
#    (make telegraf) with examples/telegraf-compiled.conf, interval 1s, writes
#    to a throwaway influxd for SECONDS; once the cache is snapshotted and the
#    shard fully compacted, the database's TSM + WAL bytes per point.
#
# Needs the libvirt domains to measure (scripts/hypervisor-up.sh) and, for 2.,
# Debian's influxdb. Leaves nothing running.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_DIR"
seconds=${1:-0}
say() { printf '[measure] %s\n' "$*"; }

lp=$(mktemp)
trap 'rm -f "$lp"' EXIT
bin/telegraf-libvirt -once -config examples/libvirt_stats.conf >"$lp"
domains=$(wc -l <"$lp")
bytes=$(wc -c <"$lp")
gz=$(gzip -9 -c "$lp" | wc -c)
say "line protocol, one gather: $domains domains, $bytes bytes = $((bytes / domains)) bytes/domain" \
  "(min $(awk '{print length($0)+1}' "$lp" | sort -n | head -1), max $(awk '{print length($0)+1}' "$lp" | sort -n | tail -1));" \
  "gzip -9: $gz bytes = $((gz / domains)) bytes/domain"

[ "$seconds" -gt 0 ] || exit 0

dir=$(mktemp -d)
addr=127.0.0.1:18096
db=measure
tg_pid=
cleanup() {
  [ -n "$tg_pid" ] && kill -TERM "$tg_pid" 2>/dev/null && wait "$tg_pid" 2>/dev/null || true
  scripts/influxdb.sh stop "$dir" >/dev/null
  rm -rf "$dir" "$lp"
}
trap cleanup EXIT
# Snapshot the in-memory cache to TSM 2 s after the last write and fully
# compact the shard 5 s after, so the directory holds what a long-lived
# database holds per point (the defaults wait 10 min and 4 h).
INFLUXDB_DATA_CACHE_SNAPSHOT_WRITE_COLD_DURATION=2s \
  INFLUXDB_DATA_COMPACT_FULL_WRITE_COLD_DURATION=5s \
  scripts/influxdb.sh start "$dir" "$addr" >/dev/null
sed -e 's/^  interval = "10s"$/  interval = "1s"/' -e 's/^  flush_interval = "10s"$/  flush_interval = "1s"/' \
  -e "s|http://127.0.0.1:8086|http://$addr|" -e "s/^  database = \"telegraf\"$/  database = \"$db\"/" \
  examples/telegraf-compiled.conf >"$dir/telegraf.conf"
say "running bin/telegraf-libvirt-stats for ${seconds}s (interval 1s)"
bin/telegraf-libvirt-stats --config "$dir/telegraf.conf" >"$dir/telegraf.log" 2>&1 &
tg_pid=$!
sleep "$seconds"
kill -TERM "$tg_pid"
wait "$tg_pid" || true
tg_pid=
q() { influx -host "${addr%:*}" -port "${addr##*:}" -database "$db" -format csv -execute "$1" | tail -n 1 | cut -d, -f3; }
points=$(q 'SELECT count("state.state") FROM "libvirt_stats"')
wal_before=$(du -sb "$dir/wal/$db" | cut -f1)
sleep 15 # snapshot (2 s cold) + full compaction (5 s cold) + margin
tsm=$(find "$dir/data/$db" -name '*.tsm' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
wal=$(du -sb "$dir/wal/$db" | cut -f1)
say "InfluxDB 1.x: $points points (domain x gather); WAL before snapshot $wal_before bytes = $((wal_before / points)) bytes/point;" \
  "after snapshot and compaction: TSM $tsm bytes = $((tsm / points)) bytes/point, WAL $wal bytes"
say "TSM files: $(cd "$dir/data/$db" && find . -name '*.tsm' -printf '%p (%s bytes) ' )"
