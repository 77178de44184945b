#!/bin/busybox sh
# /init of the Linux test guests, run by the kernel as PID 1 from the
# initramfs. It must never return (PID 1 exiting panics the kernel), so
# nothing here stops on an error: a failed step is printed and the loop
# runs on.
#
# The kernel command line says who the guest is:
#   tlv.name=NAME tlv.ip=A.B.C.D tlv.peer=E.F.G.H
# Lines for the host start with "tlv-" (see console.go).

/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

name=? ip= peer=
for w in $(cat /proc/cmdline); do
	case "$w" in
	tlv.name=*) name=${w#tlv.name=} ;;
	tlv.ip=*) ip=${w#tlv.ip=} ;;
	tlv.peer=*) peer=${w#tlv.peer=} ;;
	esac
done

# The drivers, in modules.dep's order (a module after the ones it needs);
# the build wrote that order into /modules.order.
for m in $(cat /modules.order); do
	insmod "/lib/modules/$m" || echo "tlv-error insmod $m failed"
done

# The devices appear as the drivers probe them: wait up to 10 s.
n=0
while [ ! -e /sys/class/net/eth0 ] || [ ! -b /dev/vda ]; do
	n=$((n + 1))
	if [ $n -gt 100 ]; then
		echo "tlv-error no eth0 or /dev/vda after 10 s"
		break
	fi
	sleep 0.1
done

ip link set lo up
ip addr add "$ip/16" dev eth0 || echo "tlv-error address $ip on eth0"
ip link set eth0 up

memtotal=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
echo "tlv-ready name=$name ip=$ip peer=$peer memtotal_kib=$memtotal uptime=$(cut -d' ' -f1 /proc/uptime)"

# The workload, once a second: a 64 KiB read and a 64 KiB write of the
# disk with O_DIRECT, so that both reach virtio-blk and not only the page
# cache, and one ping of the peer, which pings this guest too: each
# guest's NIC then sends and receives.
i=0 ok=0 seen=
while :; do
	dd if=/dev/vda of=/dev/null bs=64k count=1 skip=$((i % 64)) iflag=direct 2>/dev/null ||
		echo "tlv-error reading /dev/vda"
	dd if=/dev/zero of=/dev/vda bs=64k count=1 seek=$((64 + i % 64)) oflag=direct conv=notrunc 2>/dev/null ||
		echo "tlv-error writing /dev/vda"
	if ping -c 1 -W 1 "$peer" >/dev/null 2>&1; then
		ok=$((ok + 1))
		if [ -z "$seen" ]; then
			seen=1
			echo "tlv-peer name=$name peer=$peer uptime=$(cut -d' ' -f1 /proc/uptime)"
		fi
	fi
	i=$((i + 1))
	if [ $((i % 300)) = 0 ]; then
		echo "tlv-alive name=$name rounds=$i pings_ok=$ok"
	fi
	sleep 1
done
