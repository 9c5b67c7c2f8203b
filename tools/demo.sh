#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The built-in demo: two hosts in their own network namespaces joined by a
# veth pair; the steering program on the receiver; traffic of both kinds;
# live counters. Everything it creates is removed on exit, also on failure.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
P2PKP=${P2PKP:-$top/build/p2pkp-xdp}
NS_A="p2pkp-demo-$$-a"
NS_B="p2pkp-demo-$$-b"
PORT=7471
created=()
pids=()

cleanup() {
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for ns in "${created[@]}"; do ip netns del "$ns" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

die() {
	echo "demo: $*" >&2
	exit 1
}

step() {
	printf '\n== %s\n' "$*"
}

make_hosts() {
	ip netns add "$NS_A" && created+=("$NS_A")
	ip netns add "$NS_B" && created+=("$NS_B")
	ip link add veth0 netns "$NS_A" type veth peer name veth0 netns "$NS_B"
	ip -n "$NS_A" addr add 10.78.0.1/24 dev veth0
	ip -n "$NS_B" addr add 10.78.0.2/24 dev veth0
	for ns in "$NS_A" "$NS_B"; do
		ip -n "$ns" link set lo up
		ip -n "$ns" link set veth0 up
	done
}

# send_datagrams COUNT PORT SIZE: bounded burst of UDP datagrams from a to b.
send_datagrams() {
	local i
	for ((i = 0; i < $1; i++)); do
		head -c "$3" /dev/zero | ip netns exec "$NS_A" timeout 2 nc -u -w 0 10.78.0.2 "$2" || true
	done
}

main() {
	[ "$(id -u)" -eq 0 ] || die "must be run as root (it creates network namespaces)"
	[ -x "$P2PKP" ] || die "$P2PKP is not built: run 'make' first"
	command -v nc >/dev/null || die "nc is missing: run 'tools/deps.sh'"

	step "Two hosts in their own namespaces, joined by a veth pair"
	make_hosts
	ip -n "$NS_B" -br addr show dev veth0

	step "p2pkp-xdp load veth0 (on host b)"
	# One shell for b: `ip netns exec` mounts a private bpffs that dies with it.
	ip netns exec "$NS_B" bash -ec "
		'$P2PKP' load veth0 --port $PORT
		ls /sys/fs/bpf/p2pkp/veth0
		echo
		echo '== Traffic: ping and other UDP pass to the stack; P2PKP datagrams are steered'
		'$P2PKP' status veth0 --interval 1 --count 4 &
		watcher=\$!
		ip netns exec '$NS_A' ping -c 3 -i 0.3 -q 10.78.0.2 | tail -1
		$(declare -f send_datagrams | sed "s/\$NS_A/$NS_A/g")
		NS_A='$NS_A'
		send_datagrams 5 5000 64
		send_datagrams 10 $PORT 100
		send_datagrams 3 $PORT 8
		wait \$watcher
		echo
		echo '== p2pkp-xdp unload veth0'
		'$P2PKP' unload veth0
		ip -d link show dev veth0 | grep -q prog/xdp && exit 1
		echo 'no XDP program left on veth0'
	"
	step "Done: namespaces removed on exit"
}

main "$@"
