#!/usr/bin/env bash
# Bring up a real libvirtd + QEMU (TCG) hypervisor with the tlv-* test domains,
# inside a node of the lab (scripts/lab.sh up runs it there): every path below
# (/etc/libvirt, /etc/sasl2, /run, /var/lib/libvirt, ...) is then the node's
# own, and the host's libvirt is neither read nor written. It refuses to run
# anywhere else.
#
# Debian 12, run as root, no systemd needed (daemons are started with -d).
# Idempotent: re-running changes nothing once everything is up; it only
# fills in what is missing (packages, users, config, daemons, disks, domains,
# domain states) and defines again a domain whose template changed.
#
#   scripts/lab.sh up                 # set up / repair
#   scripts/lab.sh down               # stop the lab, remove its domains and disks
#
# Domains come from testdata/qemu/*.xml (every <name> starts with "tlv-").
# Wanted states: tlv-paused -> paused, tlv-off -> shut off, all others -> running.
# libvirtd also listens on TCP 127.0.0.1:16509 with SASL (DIGEST-MD5) auth; the
# test-only user and password are in testdata/sasl.env.
# The steps (main, at the end): packages, the libvirt-qemu user QEMU insists
# on, qemu.conf (guests run as root, no relabelling), libvirtd.conf (SASL on
# TCP), virtlogd before libvirtd, disks, guests.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
XML_DIR="$REPO_DIR/testdata/qemu"
IMG_DIR=/var/lib/libvirt/images/tlv
URI=qemu:///system
LOG_DIR=/var/log/libvirt
LIBVIRTD_LOG=$LOG_DIR/libvirtd.log
VIRTLOGD_LOG=$LOG_DIR/virtlogd.log
QEMU_CONF=/etc/libvirt/qemu.conf
LIBVIRTD_CONF=/etc/libvirt/libvirtd.conf
SASL_CONF=/etc/sasl2/libvirt.conf
SASL_DB=/etc/libvirt/passwd.db
SASL_ENV=$REPO_DIR/testdata/sasl.env
WAIT_SECS=${TLV_WAIT_SECS:-30}
DISK_SIZE=64M
# tlv-run2's disk is a qcow2 overlay on this base image.
BASE_IMG=base.qcow2
OVERLAY_IMGS=(tlv-run2.qcow2)
PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils
  sasl2-bin libsasl2-modules)
# The namespace of the metadata in which a domain remembers its template.
TEMPLATE_NS=urn:telegraf-libvirt:hypervisor-up

# Set by the steps, read by later ones.
QEMU_CONF_CHANGED=0     # configure_qemu: libvirtd must restart
LIBVIRTD_CONF_CHANGED=0 # configure_libvirtd: libvirtd must restart
SASL_USER="" SASL_PASS="" SASL_URI="" # configure_sasl, from $SASL_ENV
AUTH_FILE=""            # check_sasl_login; removed on exit

# shellcheck source=scripts/hv-lib.sh
. "$REPO_DIR/scripts/hv-lib.sh"

# ------------------------------------------------------------------ helpers
say() { printf '[hv-up] %s\n' "$*"; }
die() { printf '[hv-up] ERROR: %s\n' "$*" >&2; exit 1; }
virsh_() { timeout 60 virsh -q -c "$URI" "$@"; }

set_conf() { # key value [file]: replace active "key = ..." lines, else append one
  local key=$1 val=$2 file=${3:-$QEMU_CONF}
  if grep -Eq "^[[:space:]]*${key}[[:space:]]*=" "$file"; then
    sed -i -E "s|^[[:space:]]*${key}[[:space:]]*=.*|${key} = ${val}|" "$file"
  else
    printf '%s = %s\n' "$key" "$val" >>"$file"
  fi
}

# Test-only credential: KEY=VALUE lines, the value is the rest of the line.
env_val() { sed -n "s/^$1=//p" "$SASL_ENV" | head -n 1; }

is_overlay() { local f; for f in "${OVERLAY_IMGS[@]}"; do [ "$1" = "$f" ] && return 0; done; return 1; }
mk_img() { # file [backing]
  local f=$1
  [ -e "$IMG_DIR/$f" ] && return 0
  if [ $# -gt 1 ]; then
    say "disk $IMG_DIR/$f (overlay on $2)"
    qemu-img create -q -f qcow2 -F qcow2 -b "$IMG_DIR/$2" "$IMG_DIR/$f" "$DISK_SIZE"
  else
    say "disk $IMG_DIR/$f"
    qemu-img create -q -f qcow2 "$IMG_DIR/$f" "$DISK_SIZE"
  fi
}

dom_state() { virsh_ domstate -- "$1" 2>/dev/null | head -n 1 || true; }

# A domain remembers the template it was defined from: a checksum in its
# persistent configuration, as metadata of our own namespace. A template
# that changed is defined again; a running domain then takes the new
# <metadata> live (no restart), or is restarted if anything else changed.
template_sum() { sha256sum <"$1" | cut -c1-16; }
defined_sum() {
  virsh_ metadata --config --uri "$TEMPLATE_NS" -- "$1" 2>/dev/null |
    sed -n "s/.*sum=[\"']\([0-9a-f]*\)[\"'].*/\1/p" || true
}
mark_template() { # name sum
  virsh_ metadata --config --uri "$TEMPLATE_NS" --key tlv --set "<template sum='$2'/>" -- "$1" >/dev/null
}
# the persistent configuration without <metadata>, as libvirt formats it
config_sans_metadata() { virsh_ dumpxml --inactive -- "$1" | sed '/<metadata>/,/<\/metadata>/d'; }
# "prefix uri" of each namespace declared in a template's <metadata>
template_namespaces() {
  sed -n '/<metadata>/,/<\/metadata>/p' "$1" |
    grep -o "xmlns:[A-Za-z0-9_.-]*=[\"'][^\"']*[\"']" |
    sed -E "s/^xmlns:([^=]*)=[\"'](.*)[\"']\$/\1 \2/" | sort -u || true
}
# copies the configuration's elements of the template's namespaces to the live XML
sync_live_metadata() { # name template
  local prefix uri el
  while read -r prefix uri; do
    [ -n "$uri" ] || continue
    el=$(virsh_ metadata --config --uri "$uri" -- "$1")
    say "'$1': <$prefix:…> metadata applied live"
    virsh_ metadata --live --uri "$uri" --key "$prefix" --set "$el" -- "$1" >/dev/null
  done < <(template_namespaces "$2")
}

# True inside a lab node's mount namespace: the one its holder process
# (TLV_LAB_DIR/nodes/TLV_LAB_NODE/ns.pid, a `sleep`) lives in, which is not
# the mount namespace of the lab's network namespace holder (netns.pid,
# started from the host's). Anything missing or stale answers false.
in_lab_node() {
  local holder netns
  [ -n "${TLV_LAB_DIR:-}" ] && [ -n "${TLV_LAB_NODE:-}" ] || return 1
  holder=$(tr -dc '0-9' <"$TLV_LAB_DIR/nodes/$TLV_LAB_NODE/ns.pid" 2>/dev/null) || return 1
  netns=$(tr -dc '0-9' <"$TLV_LAB_DIR/netns.pid" 2>/dev/null) || return 1
  [ -n "$holder" ] && [ -n "$netns" ] && alive "$holder" && alive "$netns" || return 1
  [ "$(cat "/proc/$holder/comm")" = sleep ] && [ "$(cat "/proc/$netns/comm")" = sleep ] || return 1
  same_mnt_ns "$holder" && ! same_mnt_ns "$netns"
}

# -------------------------------------------------------------------- steps
install_packages() {
  local p missing=()
  for p in "${PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # --no-install-recommends: the system users / qemu.conf that
    # libvirt-daemon-system would bring are created below instead.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "packages: all present"
  fi
}

ensure_users() {
  if ! getent group kvm >/dev/null; then say "creating group kvm"; groupadd --system kvm; fi
  if ! getent group libvirt-qemu >/dev/null; then say "creating group libvirt-qemu"; groupadd --system libvirt-qemu; fi
  if ! getent passwd libvirt-qemu >/dev/null; then
    say "creating system user libvirt-qemu"
    useradd --system -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin \
      -c "Libvirt Qemu" libvirt-qemu
  fi
}

configure_qemu() {
  local before
  mkdir -p /etc/libvirt
  touch "$QEMU_CONF"
  before=$(cksum <"$QEMU_CONF")
  set_conf user '"root"'
  set_conf group '"root"'
  set_conf dynamic_ownership 0
  set_conf security_driver '"none"'
  if [ "$(cksum <"$QEMU_CONF")" != "$before" ]; then
    QEMU_CONF_CHANGED=1
    say "updated $QEMU_CONF (user/group root, dynamic_ownership=0, security_driver=none)"
  fi
}

# TCP on 127.0.0.1 only, no TLS, SASL auth. libvirtd requires a SASL security
# layer (SSF >= 56) on plain TCP, which DIGEST-MD5 gives and SCRAM does not.
configure_libvirtd() {
  local before sasl_conf
  touch "$LIBVIRTD_CONF"
  before=$(cksum <"$LIBVIRTD_CONF")
  set_conf listen_tls 0 "$LIBVIRTD_CONF"
  set_conf listen_tcp 1 "$LIBVIRTD_CONF"
  set_conf listen_addr '"127.0.0.1"' "$LIBVIRTD_CONF"
  set_conf auth_tcp '"sasl"' "$LIBVIRTD_CONF"
  if [ "$(cksum <"$LIBVIRTD_CONF")" != "$before" ]; then
    LIBVIRTD_CONF_CHANGED=1
    say "updated $LIBVIRTD_CONF (TCP on 127.0.0.1, no TLS, auth_tcp=sasl)"
  fi
  mkdir -p "$(dirname "$SASL_CONF")"
  sasl_conf="# written by telegraf-libvirt scripts/hypervisor-up.sh
mech_list: digest-md5
sasldb_path: $SASL_DB"
  if [ "$(cat "$SASL_CONF" 2>/dev/null)" != "$sasl_conf" ]; then
    printf '%s\n' "$sasl_conf" >"$SASL_CONF"
    LIBVIRTD_CONF_CHANGED=1
    say "wrote $SASL_CONF (digest-md5, $SASL_DB)"
  fi
}

# The test user of $SASL_ENV in the SASL database.
configure_sasl() {
  SASL_USER=$(env_val TLV_SASL_USERNAME)
  SASL_PASS=$(env_val TLV_SASL_PASSWORD)
  SASL_URI=$(env_val TLV_SASL_URI)
  if [ -z "$SASL_USER" ] || [ -z "$SASL_PASS" ] || [ -z "$SASL_URI" ]; then
    die "$SASL_ENV: TLV_SASL_URI, TLV_SASL_USERNAME or TLV_SASL_PASSWORD missing"
  fi
  if ! sasldblistusers2 -f "$SASL_DB" 2>/dev/null | grep -q "^$SASL_USER@"; then
    say "SASL user '$SASL_USER' in $SASL_DB"
  fi
  # Always (re)set: the password in testdata may have changed.
  printf '%s' "$SASL_PASS" | saslpasswd2 -p -a libvirt -f "$SASL_DB" "$SASL_USER"
}

make_dirs() {
  mkdir -p "$LOG_DIR" /run/libvirt /var/lib/libvirt/qemu /var/cache/libvirt/qemu "$IMG_DIR"
  if [ ! -c /dev/net/tun ]; then
    say "creating /dev/net/tun"
    mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && chmod 0666 /dev/net/tun
  fi
}

start_virtlogd() {
  local pid
  if pid=$(daemon_pid virtlogd) && [ -n "$pid" ]; then
    say "virtlogd: running (pid $pid)"
  else
    say "starting virtlogd -d"
    clean_env LIBVIRT_LOG_OUTPUTS="3:file:$VIRTLOGD_LOG" virtlogd -d
  fi
}

# Starts libvirtd with --listen, or restarts it when its configuration
# changed or it runs without --listen; guests keep running meanwhile.
start_libvirtd() {
  local libvirtd_pid restart=""
  libvirtd_pid=$(daemon_pid libvirtd || true)
  [ "$QEMU_CONF_CHANGED" = 1 ] && restart="qemu.conf changed"
  [ "$LIBVIRTD_CONF_CHANGED" = 1 ] && restart="libvirtd/SASL config changed"
  if [ -n "$libvirtd_pid" ] && [ -z "$restart" ] \
     && ! tr '\0' '\n' <"/proc/$libvirtd_pid/cmdline" | grep -qx -- '--listen'; then
    restart="running without --listen"
  fi
  if [ -n "$libvirtd_pid" ] && [ -n "$restart" ]; then
    say "$restart: restarting libvirtd (pid $libvirtd_pid); guests keep running"
    kill -TERM "$libvirtd_pid"
    for _ in $(seq 1 $((WAIT_SECS * 10))); do
      alive "$libvirtd_pid" || break; sleep 0.1
    done
    ! alive "$libvirtd_pid" || die "libvirtd (pid $libvirtd_pid) did not exit"
    libvirtd_pid=""
  fi
  if [ -n "$libvirtd_pid" ]; then
    say "libvirtd: running (pid $libvirtd_pid)"
  else
    say "starting libvirtd -d --listen (log: $LIBVIRTD_LOG)"
    clean_env LIBVIRT_LOG_OUTPUTS="3:file:$LIBVIRTD_LOG" libvirtd -d --listen \
      || { tail -n 30 "$LIBVIRTD_LOG" >&2 2>/dev/null || true; die "libvirtd -d --listen failed"; }
  fi
}

wait_for_libvirtd() {
  local ok=0 socks
  for _ in $(seq 1 $((WAIT_SECS * 4))); do
    if [ -S /run/libvirt/libvirt-sock ] && [ -S /run/libvirt/libvirt-sock-ro ] \
       && [ -S /run/libvirt/virtlogd-sock ] \
       && timeout 5 virsh -c "$URI" version >/dev/null 2>&1; then
      ok=1; break
    fi
    sleep 0.25
  done
  if [ "$ok" != 1 ]; then
    echo "---- tail of $LIBVIRTD_LOG ----" >&2
    tail -n 30 "$LIBVIRTD_LOG" >&2 2>/dev/null || true
    echo "---- tail of $VIRTLOGD_LOG ----" >&2
    tail -n 10 "$VIRTLOGD_LOG" >&2 2>/dev/null || true
    socks=$(cd /run/libvirt 2>/dev/null && echo ./*sock*)
    die "libvirtd not answering on $URI after ${WAIT_SECS}s (sockets in /run/libvirt: ${socks:-none})"
  fi
  say "libvirtd answers: $(virsh -c "$URI" version 2>/dev/null | grep -i 'running hypervisor' | sed 's/^ *//')"
}

# The SASL TCP listener, logged in with the test user through an auth.conf.
check_sasl_login() {
  local ok=0
  AUTH_FILE=$(mktemp)
  trap 'rm -f "$AUTH_FILE"' EXIT
  printf '[credentials-tlv]\nauthname=%s\npassword=%s\n\n[auth-libvirt-127.0.0.1]\ncredentials=tlv\n' \
    "$SASL_USER" "$SASL_PASS" >"$AUTH_FILE"
  for _ in $(seq 1 $((WAIT_SECS * 4))); do
    if LIBVIRT_AUTH_FILE=$AUTH_FILE timeout 10 virsh -c "$SASL_URI" version </dev/null >/dev/null 2>&1; then
      ok=1; break
    fi
    sleep 0.25
  done
  if [ "$ok" != 1 ]; then
    LIBVIRT_AUTH_FILE=$AUTH_FILE timeout 10 virsh -c "$SASL_URI" version </dev/null >&2 || true
    die "SASL login as '$SASL_USER' on $SASL_URI failed (see $LIBVIRTD_CONF, $SASL_CONF, $SASL_DB)"
  fi
  say "SASL login as '$SASL_USER' on $SASL_URI: ok"
}

# Every <source file='…'/> under $IMG_DIR in the templates gets a 64 MiB qcow2;
# the overlays get $BASE_IMG as backing file. Existing images are kept.
make_disks() {
  local disks f
  mk_img "$BASE_IMG"
  disks=$(sed -n "s|.*<source file='$IMG_DIR/\([^']*\)'.*|\1|p" "$XML_DIR"/*.xml | sort -u)
  for f in $disks; do
    if is_overlay "$f"; then mk_img "$f" "$BASE_IMG"; else mk_img "$f"; fi
  done
}

# One domain from its template: defined (again, if the template changed)
# and brought to its wanted state.
converge_domain() { # template
  local xml=$1 name want sum before state
  name=$(xml_name "$xml")
  case "$name" in tlv-*) ;; *) die "$xml: domain name '$name' must start with tlv-";; esac
  case "$name" in
    tlv-paused) want=paused ;;
    tlv-off) want="shut off" ;;
    *) want=running ;;
  esac

  sum=$(template_sum "$xml")
  if ! virsh_ domuuid -- "$name" >/dev/null 2>&1; then
    say "define '$name' from ${xml#"$REPO_DIR"/}"
    virsh_ define "$xml" >/dev/null
    mark_template "$name" "$sum"
  elif [ "$(defined_sum "$name")" != "$sum" ]; then
    say "define '$name' again from ${xml#"$REPO_DIR"/} (changed, or defined before templates had checksums)"
    before=$(config_sans_metadata "$name")
    virsh_ define "$xml" >/dev/null
    mark_template "$name" "$sum"
    if virsh_ domid -- "$name" 2>/dev/null | grep -q '[0-9]'; then
      if [ "$(config_sans_metadata "$name")" != "$before" ]; then
        say "restart '$name': more than its <metadata> changed"
        virsh_ destroy -- "$name" >/dev/null
      else
        sync_live_metadata "$name" "$xml"
      fi
    fi
  fi
  state=$(dom_state "$name")
  if [ "$want" != "shut off" ]; then
    case "$state" in
      running) ;;
      paused)
        if [ "$want" = running ]; then say "resume '$name'"; virsh_ resume -- "$name" >/dev/null; fi ;;
      *)
        say "start '$name' (was: $state)"
        virsh_ start -- "$name" >/dev/null \
          || { tail -n 5 "$LOG_DIR/qemu/$name.log" >&2 2>/dev/null || true; die "could not start '$name'"; } ;;
    esac
    if [ "$want" = paused ] && [ "$(dom_state "$name")" = running ]; then
      say "suspend '$name'"
      virsh_ suspend -- "$name" >/dev/null
    fi
  elif [ "$state" != "shut off" ]; then
    say "destroy '$name' (was: $state; wanted shut off)"
    virsh_ destroy -- "$name" >/dev/null
  fi
}

converge_domains() {
  local xml ordered=()
  # tlv-run* first so that, under a freshly started libvirtd, they get domain ids 1, 2, 3.
  for xml in "$XML_DIR"/*.xml; do case "$(xml_name "$xml")" in tlv-run*) ordered+=("$xml");; esac; done
  for xml in "$XML_DIR"/*.xml; do case "$(xml_name "$xml")" in tlv-run*) ;; *) ordered+=("$xml");; esac; done
  for xml in "${ordered[@]}"; do
    converge_domain "$xml"
  done
}

main() {
  [ "$(id -u)" -eq 0 ] || die "must run as root"
  in_lab_node || die "runs inside a node of the lab only, where libvirt's paths are the lab's: scripts/lab.sh up"
  compgen -G "$XML_DIR/*.xml" >/dev/null || die "no domain templates in $XML_DIR"

  install_packages
  ensure_users
  configure_qemu
  configure_libvirtd
  configure_sasl
  make_dirs
  start_virtlogd
  start_libvirtd
  wait_for_libvirtd
  check_sasl_login
  make_disks
  resume_stopped_qemus
  converge_domains

  say "done"
  virsh -c "$URI" list --all
}

main "$@"
