#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# What the running kernel offers the test suite: bpffs, netns + veth, XDP in
# generic and native mode on veth, libxdp's multi-program dispatcher and the
# AF_XDP bind modes.  Runs as root, in the VM or on the host; builds its own
# two namespaces joined by a veth pair and removes them on exit.
#
#   vmtest/probe.sh            one line per feature: "probe: NAME: ok|no (why)"
#
# Exit 0 when the essentials work (bpffs, netns, veth, ping, XDP generic and
# native, AF_XDP copy mode); 1 otherwise.  Everything else is informational.
# shellcheck disable=SC2317  # checks are called through check()
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
XSK_PROBE=${XSK_PROBE:-$REPO_DIR/build/vmtest/xsk-probe}
BPF_OBJ_DIR=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/bpf
XDP_OBJ=$BPF_OBJ_DIR/xdpfilt_alw_all.o
SCALE=${P2PKP_TIMEOUT_SCALE:-1}
NS_A=p2pkp-probe-a-$$
NS_B=p2pkp-probe-b-$$
essential_failed=0

cleanup() {
	ip netns del "$NS_A" 2>/dev/null || true
	ip netns del "$NS_B" 2>/dev/null || true
}
trap cleanup EXIT

report() {  # name essential(0/1) status [detail...]
	local name=$1 essential=$2 status=$3
	shift 3
	printf 'probe: %-28s %s%s\n' "$name:" "$status" "${*:+ ($*)}"
	if [[ $status != ok && $essential == 1 ]]; then essential_failed=1; fi
	return 0
}

# Run "$@" and report; the last line of its output is the detail on failure.
check() {  # name essential cmd...
	local name=$1 essential=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		report "$name" "$essential" ok
	else
		report "$name" "$essential" no "$(printf '%s\n' "$out" | tail -n 1)"
	fi
}

# `ip netns exec` mounts a fresh /sys: libxdp needs bpffs inside it.
in_ns() {  # ns cmd...
	local ns=$1
	shift
	ip netns exec "$ns" sh -c 'mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf; exec "$@"' sh "$@"
}

ping_ab() { ip netns exec "$NS_A" ping -c 2 -i 0.2 -W $((2 * SCALE)) -q 10.254.0.2 >/dev/null; }

bpffs_mounted() { [[ $(stat -f -c %T /sys/fs/bpf 2>/dev/null) == bpf_fs ]]; }

make_pair() {
	ip netns add "$NS_A" && ip netns add "$NS_B" &&
	ip link add va netns "$NS_A" type veth peer name vb netns "$NS_B" &&
	ip -n "$NS_A" addr add 10.254.0.1/24 dev va &&
	ip -n "$NS_B" addr add 10.254.0.2/24 dev vb &&
	ip -n "$NS_A" link set lo up && ip -n "$NS_B" link set lo up &&
	ip -n "$NS_A" link set va up && ip -n "$NS_B" link set vb up
}

xdp_attach() {  # mode: generic|native
	local ipmode=xdpgeneric
	[[ $1 == native ]] && ipmode=xdpdrv
	ip -n "$NS_A" link set dev va "$ipmode" obj "$XDP_OBJ" sec xdp &&
	ip -n "$NS_B" link set dev vb "$ipmode" obj "$XDP_OBJ" sec xdp &&
	ping_ab &&
	ip -n "$NS_A" link set dev va "$ipmode" off &&
	ip -n "$NS_B" link set dev vb "$ipmode" off
}

# libxdp: two programs through the dispatcher (freplace), then unload.
xdp_dispatcher() {
	in_ns "$NS_A" xdp-loader load -m native va "$XDP_OBJ" "$XDP_OBJ" &&
	in_ns "$NS_A" xdp-loader status va | grep -q xdp_dispatcher &&
	ping_ab &&
	in_ns "$NS_A" xdp-loader unload -a va
}

xsk_modes() {
	local line copy_seen=0
	[[ -x $XSK_PROBE ]] || { report af_xdp 1 no "$XSK_PROBE not built"; return; }
	while read -r line; do
		# "xsk MODE: ok|no (why)"
		local mode=${line#xsk }
		local rest=${mode#*: }
		mode=${mode%%:*}
		local essential=0
		[[ $mode == copy ]] && essential=1 copy_seen=1
		report "af_xdp $mode" "$essential" "${rest%% *}" "$(sed -n 's/.*(\(.*\))$/\1/p' <<<"$rest")"
	done < <(ip netns exec "$NS_A" "$XSK_PROBE" va || true)
	# Its exit status is lost in the substitution: a probe that died before
	# reporting copy mode must not leave the essential check unmade.
	((copy_seen)) || report "af_xdp copy" 1 no "$XSK_PROBE reported nothing for copy mode"
}

main() {
	[[ $(id -u) -eq 0 ]] || { echo "probe: must run as root" >&2; exit 1; }
	printf 'probe: %-28s %s\n' "kernel:" "$(uname -r)"
	check bpffs 1 bpffs_mounted
	check "netns + veth" 1 make_pair
	check "ping over veth" 1 ping_ab
	if [[ -r $XDP_OBJ ]]; then
		check "xdp generic on veth" 1 xdp_attach generic
		check "xdp native on veth" 1 xdp_attach native
		if command -v xdp-loader >/dev/null; then
			check "libxdp dispatcher (native)" 0 xdp_dispatcher
		else
			report "libxdp dispatcher (native)" 0 no "xdp-loader not installed"
		fi
	else
		report "xdp on veth" 1 no "$XDP_OBJ missing (xdp-tools)"
	fi
	xsk_modes
	check "kernel BTF" 0 test -r /sys/kernel/btf/vmlinux
	exit "$essential_failed"
}

main "$@"
