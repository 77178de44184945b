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
# Needs the lab (make lab): the script runs itself again inside the lab's
# host node, where the examples' qemu:///system is the lab's libvirtd and the
# throwaway influxd shares the lab's network namespace; and, for 2.,
# Debian's influxdb. Leaves nothing running.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ADDR=127.0.0.1:18096 # the throwaway influxd of 2.
DB=measure

# Set by the steps, removed or stopped by cleanup.
LP=""     # one gather's line protocol
DIR=""    # influxd's data, telegraf.conf and telegraf.log
TG_PID="" # bin/telegraf-libvirt-stats while it runs

say() { printf '[measure] %s\n' "$*"; }

cleanup() {
  if [ -n "$TG_PID" ]; then
    if kill -TERM "$TG_PID" 2>/dev/null; then wait "$TG_PID" 2>/dev/null || true; fi
  fi
  if [ -n "$DIR" ]; then
    scripts/influxdb.sh stop "$DIR" >/dev/null
    rm -rf "$DIR"
  fi
  rm -f "$LP"
}

# 1. One gather's line protocol: bytes per domain, plain and gzip -9.
measure_line_protocol() {
  local domains bytes gz
  bin/telegraf-libvirt -once -config examples/libvirt_stats.conf >"$LP"
  domains=$(wc -l <"$LP")
  bytes=$(wc -c <"$LP")
  gz=$(gzip -9 -c "$LP" | wc -c)
  say "line protocol, one gather: $domains domains, $bytes bytes = $((bytes / domains)) bytes/domain" \
    "(min $(awk '{print length($0)+1}' "$LP" | sort -n | head -1), max $(awk '{print length($0)+1}' "$LP" | sort -n | tail -1));" \
    "gzip -9: $gz bytes = $((gz / domains)) bytes/domain"
}

# A throwaway influxd in $DIR that snapshots its in-memory cache to TSM 2 s
# after the last write and fully compacts the shard 5 s after, so the
# directory holds what a long-lived database holds per point (the defaults
# wait 10 min and 4 h).
start_influxdb() {
  DIR=$(mktemp -d)
  INFLUXDB_DATA_CACHE_SNAPSHOT_WRITE_COLD_DURATION=2s \
    INFLUXDB_DATA_COMPACT_FULL_WRITE_COLD_DURATION=5s \
    scripts/influxdb.sh start "$DIR" "$ADDR" >/dev/null
}

# Telegraf with the plugin compiled in, writing to $DB every second for
# $1 seconds.
run_telegraf() {
  sed -e 's/^  interval = "10s"$/  interval = "1s"/' -e 's/^  flush_interval = "10s"$/  flush_interval = "1s"/' \
    -e "s|http://127.0.0.1:8086|http://$ADDR|" -e "s/^  database = \"telegraf\"$/  database = \"$DB\"/" \
    examples/telegraf-compiled.conf >"$DIR/telegraf.conf"
  say "running bin/telegraf-libvirt-stats for ${1}s (interval 1s)"
  bin/telegraf-libvirt-stats --config "$DIR/telegraf.conf" >"$DIR/telegraf.log" 2>&1 &
  TG_PID=$!
  sleep "$1"
  kill -TERM "$TG_PID"
  wait "$TG_PID" || true
  TG_PID=
}

# query INFLUXQL: the first value of the last row
query() {
  influx -host "${ADDR%:*}" -port "${ADDR##*:}" -database "$DB" -format csv -execute "$1" | tail -n 1 | cut -d, -f3
}

# 2. Bytes per point on disk, before and after the snapshot and compaction.
measure_influxdb() {
  local points wal_before tsm wal
  points=$(query 'SELECT count("state.state") FROM "libvirt_stats"')
  wal_before=$(du -sb "$DIR/wal/$DB" | cut -f1)
  sleep 15 # snapshot (2 s cold) + full compaction (5 s cold) + margin
  tsm=$(find "$DIR/data/$DB" -name '*.tsm' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
  wal=$(du -sb "$DIR/wal/$DB" | cut -f1)
  say "InfluxDB 1.x: $points points (domain x gather); WAL before snapshot $wal_before bytes = $((wal_before / points)) bytes/point;" \
    "after snapshot and compaction: TSM $tsm bytes = $((tsm / points)) bytes/point, WAL $wal bytes"
  say "TSM files: $(cd "$DIR/data/$DB" && find . -name '*.tsm' -printf '%p (%s bytes) ' )"
}

main() {
  local seconds=${1:-0}
  if [ -z "${TLV_LAB_NODE:-}" ]; then
    exec "$REPO_DIR/scripts/lab.sh" node-exec host -- "$REPO_DIR/scripts/measure-bytes.sh" "$@"
  fi
  cd "$REPO_DIR"
  LP=$(mktemp)
  trap cleanup EXIT
  measure_line_protocol
  [ "$seconds" -gt 0 ] || exit 0
  start_influxdb
  run_telegraf "$seconds"
  measure_influxdb
}

main "$@"
