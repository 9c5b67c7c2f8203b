#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Boot one Debian kernel series in qemu (TCG, 1 vCPU, no network device) with
# the host's / as a read-only 9p root under a tmpfs overlay, run CMD as root in
# the repo directory and exit with CMD's exit code.
#
#   vmtest/run-in-vm.sh [options] SERIES -- CMD [ARGS...]
#     -t SECONDS   kill the VM after this long (default 540)        [P2PKP_VMTEST_TIMEOUT]
#     -m MEM       guest memory (default 2G)                         [P2PKP_VMTEST_MEM]
#     -e NAME=VAL  set an environment variable for CMD (repeatable)
#     -C DIR       working directory of CMD (default: the repo)
#     -o DIR       result directory (default build/vmtest/SERIES)
#
# Exit: CMD's exit code; 124 if the VM timed out; 125 if the VM gave back no
# exit code (boot failure, panic, crash); 77 if qemu or the kernel cannot be
# obtained.  The guest console is printed on stdout and kept in DIR/console.log;
# DIR/status says how it ended.  Inside the guest, /vmtest-io is DIR/io
# (writable, on the host): put artefacts there.
# shellcheck disable=SC2317  # functions run through traps
set -euo pipefail

# shellcheck source=vmtest/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Modules stage 2 loads up front; the rest (bridge, tun, cls_bpf...) load on
# demand through request_module -> modprobe, like on a normal host.
GUEST_MODULES="veth"

usage() { sed -n '6,12s/^# \{0,1\}//p' "$0" >&2; exit 2; }

timeout_s=${P2PKP_VMTEST_TIMEOUT:-540}
mem=${P2PKP_VMTEST_MEM:-2G}
cwd=$REPO_DIR
outdir=
envs=()
while getopts "t:m:e:C:o:h" opt; do
	case $opt in
	t) timeout_s=$OPTARG ;;
	m) mem=$OPTARG ;;
	e) [[ $OPTARG == [A-Za-z_]*=* ]] || die "-e wants NAME=VALUE, got '$OPTARG'"
	   envs+=("$OPTARG") ;;
	C) cwd=$(cd "$OPTARG" && pwd) ;;
	o) outdir=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
if (($# < 3)) || [[ $2 != -- ]]; then usage; fi
series=$1
shift 2
[[ $series =~ ^[0-9]+\.[0-9]+$ ]] || die "series must look like 6.1 or 6.12, got '$series'"
[[ $timeout_s =~ ^[0-9]+$ ]] || die "timeout must be whole seconds, got '$timeout_s'"
outdir=${outdir:-$VMTEST_BUILD/$series}

qpid=
cleanup() {
	if [[ -n $qpid ]] && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid" 2>/dev/null || true   # `timeout` passes it on to qemu
		wait "$qpid" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_packages
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not found"
kdir=$(ensure_kernel "$series") || exit $?
kver=$(cat "$kdir/kver")

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
[[ $outdir$kdir != *,* ]] || die "paths must not contain commas (qemu options): $outdir $kdir"
io=$outdir/io
rm -rf "$io" "$outdir/status" "$outdir/console.log"
mkdir -p "$io"
build_initramfs "$kdir" "$outdir/initramfs.cpio"

write_guest_files() {
	install -m 755 "$VMTEST_DIR/vm-init.sh" "$io/stage2.sh"
	{
		printf 'VMTEST_SERIES=%q\n' "$series"
		printf 'VMTEST_KDIR=%q\n' "$kdir"
		printf 'VMTEST_CWD=%q\n' "$cwd"
		printf 'VMTEST_MODULES=%q\n' "$GUEST_MODULES"
	} >"$io/config"
	{
		echo "export VMTEST_SERIES=$(printf %q "$series") VMTEST_IO=/vmtest-io"
		local e
		for e in "${envs[@]}"; do printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"; done
		printf 'exec'
		printf ' %q' "$@"
		printf '\n'
	} >"$io/cmd"
}
write_guest_files "$@"

cmdline="console=ttyS0 panic=-1 oops=panic loglevel=5 mitigations=off"
cmdline+=" no_timer_check tsc=reliable i8042.noaux i8042.nokbd"

# shellcheck disable=SC2054  # commas belong to qemu's option syntax
qemu_args=(
	-nodefaults -no-user-config -display none -no-reboot
	-machine pc -accel tcg,thread=multi -cpu max -smp 1 -m "$mem"
	-kernel "$kdir/vmlinux" -initrd "$outdir/initramfs.cpio" -append "$cmdline"
	-serial stdio -monitor none -nic none
	-fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
	-fsdev "local,id=io,path=$io,security_model=none,multidevs=remap"
	-device virtio-9p-pci,fsdev=io,mount_tag=vmtest_io
)

msg "$series: booting $kver (timeout ${timeout_s}s)"
start=$SECONDS
timeout -k 10 "$timeout_s" qemu-system-x86_64 "${qemu_args[@]}" </dev/null \
	> >(tr -d '\r' | tee "$outdir/console.log") 2>&1 &
qpid=$!
qrc=0
wait "$qpid" || qrc=$?
qpid=
elapsed=$((SECONDS - start))
wait   # for the console pipe to drain

if ((qrc == 124 || qrc == 137)); then
	echo "timeout ${elapsed}s" >"$outdir/status"
	msg "$series: error: the VM did not finish within ${timeout_s}s"
	exit 124
fi
if [[ ! -f $io/rc ]]; then
	echo "no-rc qemu=$qrc ${elapsed}s" >"$outdir/status"
	msg "$series: error: the VM passed back no exit code (qemu status $qrc); see $outdir/console.log"
	exit 125
fi
rc=$(cat "$io/rc")
[[ $rc =~ ^[0-9]+$ ]] || { echo "no-rc bad '$rc'" >"$outdir/status"; die "$series: bad exit code '$rc' from the VM"; }
echo "rc $rc ${elapsed}s" >"$outdir/status"
exit "$rc"
