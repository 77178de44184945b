# shellcheck shell=bash
# Shared by scripts/hypervisor-up.sh, scripts/hypervisor-down.sh and
# scripts/bench-guests.sh (sourced).

# true while process PID exists and is not a zombie
alive() { local s; s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1; [ -n "$s" ] && [ "$s" != Z ]; }
# true when process PID lives in this process's mount namespace: a daemon of
# another namespace (the lab's, or the host's seen from the lab) is not ours
same_mnt_ns() { [ "$(readlink "/proc/$1/ns/mnt" 2>/dev/null)" = "$(readlink /proc/self/ns/mnt)" ]; }

# Runs a command with no libvirt debug settings and none of this shell's
# open files: whatever a daemon inherits it keeps for its whole life (a
# caller's `flock FILE` lock, or the pipe of a test that waits for EOF).
# (clean_env is a subshell of its own: start it in the background as
# `( close_fds; exec env ... CMD ) &` instead, or $! is a shell that waits.)
close_fds() {
  local fd
  for fd in "/proc/$BASHPID/fd/"*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
  done
}
clean_env() (
  close_fds
  exec env -u LIBVIRT_DEBUG -u LIBVIRT_LOG_FILTERS -u LIBVIRT_LOG_OUTPUTS "$@"
)

# pid of a running daemon NAME of this mount namespace (from /run/NAME.pid,
# else a /proc scan for one run by root: not some user's session daemon),
# or ""
daemon_pid() {
  local name=$1 pid=""
  if [ -r "/run/$name.pid" ]; then
    pid=$(tr -dc '0-9' <"/run/$name.pid")
    if [ -n "$pid" ] && alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] && same_mnt_ns "$pid"; then
      echo "$pid"; return
    fi
  fi
  # No pid file: the system instance is the one started without --config or
  # --pid-file (a private instance of someone else's is left alone).
  for d in /proc/[0-9]*; do
    if [ "$(cat "$d/comm" 2>/dev/null)" = "$name" ] && [ "$(stat -c %u "$d" 2>/dev/null)" = 0 ] &&
      alive "${d#/proc/}" && same_mnt_ns "${d#/proc/}" && ! tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qE -- '--(config|pid-file)'; then
      echo "${d#/proc/}"; return
    fi
  done
}

# Domain name from a template: first <name> element, XML entities decoded.
xml_name() {
  sed -n 's|^[[:space:]]*<name>\(.*\)</name>.*|\1|p' "$1" | head -n 1 |
    sed -e 's/&lt;/</g' -e 's/&gt;/>/g' -e "s/&apos;/'/g" -e 's/&quot;/"/g' -e 's/&amp;/\&/g'
}

# "PID PIDFILE" of each QEMU of /run/libvirt/qemu/GLOB.pid that is
# SIGSTOPped (the fault tests stop one): it blocks every monitor call.
stopped_qemus() { # GLOB
  local pidf qpid
  for pidf in /run/libvirt/qemu/$1.pid; do
    [ -e "$pidf" ] || continue
    qpid=$(tr -dc '0-9' <"$pidf")
    if [ -n "$qpid" ] && [ "$(awk '{print $3}' "/proc/$qpid/stat" 2>/dev/null)" = T ]; then
      echo "$qpid $pidf"
    fi
  done
}

# A tlv-* guest whose QEMU got SIGSTOPped (fault tests) blocks every monitor
# call, and would make destroy wait: send it SIGCONT. Uses the caller's say.
resume_stopped_qemus() {
  local qpid pidf
  while read -r qpid pidf; do
    say "QEMU pid $qpid ($pidf) is SIGSTOPped: sending SIGCONT"
    kill -CONT "$qpid"
  done < <(stopped_qemus 'tlv-*')
}
