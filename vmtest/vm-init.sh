#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Stage 2 of the vmtest guest, PID 1 on the overlay root (the host's / read-only
# + tmpfs).  run-in-vm.sh copies it to the result share as stage2.sh, next to
# `config` (shell variables) and `cmd` (the command, as a bash script).
# Sets up a usable system, runs the command, writes its exit code to
# /vmtest-io/rc and powers off.  Anything that goes wrong leaves no rc file.
set -uo pipefail

IO=/vmtest-io
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8

say() { printf 'vmtest-guest: %s\n' "$*"; }

halt() {
	sync
	poweroff -f
	sleep 5     # poweroff -f does not return; never let PID 1 exit
	echo o >/proc/sysrq-trigger
}

mount_fs() {  # type source target [options]
	mkdir -p "$3"
	mount -t "$1" ${4:+-o "$4"} "$2" "$3" || say "warning: cannot mount $1 on $3"
}

setup_mounts() {
	mount_fs proc proc /proc
	mount_fs sysfs sysfs /sys
	mount_fs tmpfs tmpfs /run mode=0755
	# No tmpfs on /tmp: the overlay root already keeps writes in guest RAM,
	# and the repository under test may itself live in the host's /tmp.
	mount_fs devpts devpts /dev/pts gid=5,mode=620,ptmxmode=666
	mount_fs tmpfs tmpfs /dev/shm mode=1777
	mount_fs cgroup2 cgroup2 /sys/fs/cgroup
	mount_fs bpf bpffs /sys/fs/bpf mode=0700
	mount_fs debugfs debugfs /sys/kernel/debug
	mount_fs tracefs tracefs /sys/kernel/tracing
	# `ip netns add` bind-mounts into /run/netns; shared propagation lets
	# those mounts show up in every namespace as on a normal host.
	mount --make-rshared /
	# devtmpfs has no /dev/fd & co.; bash process substitution needs them.
	ln -sfn /proc/self/fd /dev/fd
	ln -sf /proc/self/fd/0 /dev/stdin
	ln -sf /proc/self/fd/1 /dev/stdout
	ln -sf /proc/self/fd/2 /dev/stderr
	mkdir -p /run/netns /run/lock /var/tmp
}

# The guest kernel's modules are in the host's kernel cache, which the 9p root
# shows; bind them where modprobe (and request_module) look.
setup_modules() {
	local kver
	kver=$(uname -r)
	mkdir -p "/lib/modules/$kver"
	mount --bind "$VMTEST_KDIR/root/lib/modules/$kver" "/lib/modules/$kver" ||
		{ say "warning: no modules for $kver"; return; }
	local m
	for m in $VMTEST_MODULES; do
		modprobe -q "$m" 2>/dev/null || say "note: module $m not available"
	done
}

setup_net() {
	hostname vmtest-"${VMTEST_SERIES:-guest}"
	ip link set lo up
	sysctl -qw kernel.panic_on_oops=1 2>/dev/null || true
	# The JIT is what real hosts run; harden=0 keeps bpftool output readable.
	sysctl -qw net.core.bpf_jit_enable=1 2>/dev/null || true
}

main() {
	[[ -r $IO/config && -r $IO/cmd ]] || { say "error: no config/cmd in $IO"; halt; }
	# shellcheck source=/dev/null
	. "$IO/config"
	setup_mounts
	setup_modules
	setup_net
	say "kernel $(uname -r), up $(cut -d' ' -f1 /proc/uptime) s; running the command"
	local rc
	(cd "$VMTEST_CWD" && exec bash "$IO/cmd") </dev/null
	rc=$?
	say "command exited with $rc after $(cut -d' ' -f1 /proc/uptime) s uptime"
	dmesg >"$IO/dmesg.txt" 2>&1 || true
	echo "$rc" >"$IO/rc.tmp" && mv "$IO/rc.tmp" "$IO/rc"
	halt
}

main "$@"
