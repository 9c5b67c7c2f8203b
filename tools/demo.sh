#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The built-in demo: a sender and two receivers, each in its own network
# namespace, joined by a bridge in a fourth. The sender copies a generated
# file and a small directory tree to both receivers at once over AF_XDP; the
# copies are verified byte for byte. Everything it creates is removed on
# exit, also on failure.
#   tools/demo.sh [SIZE_MIB]    (default 128)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
P2PKP=${P2PKP:-$top/build/p2pkp-xdp}
SIZE_MIB=${1:-128}
TAG="p2pkp-demo-$$"
NS_SW="$TAG-sw"
NS_S="$TAG-sender"
created=()
pids=()
work=""

cleanup() {
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for ns in "${created[@]}"; do ip netns del "$ns" 2>/dev/null; done
	[ -n "$work" ] && rm -rf -- "$work"
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

add_ns() {
	ip netns add "$1"
	created+=("$1")
	ip -n "$1" link set lo up
}

# attach NS ADDR PORT: a host on the bridge, its veth0 holding ADDR.
attach() {
	add_ns "$1"
	ip link add veth0 netns "$1" type veth peer name "$3" netns "$NS_SW"
	ip -n "$1" addr add "$2/24" dev veth0
	ip -n "$1" link set veth0 up
	ip -n "$NS_SW" link set "$3" master br0 up
}

make_hosts() {
	add_ns "$NS_SW"
	ip -n "$NS_SW" link add br0 type bridge
	ip -n "$NS_SW" link set br0 up
	attach "$NS_S" 10.78.0.1 ps
	attach "$TAG-r1" 10.78.0.11 p1
	attach "$TAG-r2" 10.78.0.12 p2
}

make_data() {
	mkdir -p "$work/src/tree/docs" "$work/src/tree/empty dir" "$work/src/tree/data/ünïcødé"
	head -c $((SIZE_MIB << 20)) /dev/urandom >"$work/src/image.bin"
	for i in $(seq 1 20); do
		head -c $((i * 1000)) /dev/urandom >"$work/src/tree/data/part-$i.bin"
	done
	echo "hello from the demo" >"$work/src/tree/docs/README.txt"
	: >"$work/src/tree/data/ünïcødé/empty file"
}

start_receivers() {
	local r
	for r in 1 2; do
		mkdir -p "$work/out$r"
		ip netns exec "$TAG-r$r" timeout 300 "$P2PKP" recv --dev veth0 --out "$work/out$r" \
			--once 2>"$work/recv$r.log" &
		pids+=($!)
	done
	for r in 1 2; do
		for _ in $(seq 1 100); do
			grep -q "receiving on" "$work/recv$r.log" && break
			sleep 0.1
		done
		grep -q "receiving on" "$work/recv$r.log" || die "receiver $r did not start: $(cat "$work/recv$r.log")"
	done
}

verify() {
	local r ok=0
	for r in 1 2; do
		if diff -r -x .p2pkp-partial "$work/src" "$work/out$r" >/dev/null; then
			echo "receiver $r: every file identical ($(find "$work/out$r" -path '*/.p2pkp-partial' -prune -o -type f -print | wc -l) files, empty directories included)"
		else
			echo "receiver $r: DIFFERS" >&2
			ok=1
		fi
	done
	return $ok
}

main() {
	[ "$(id -u)" -eq 0 ] || die "must be run as root (it creates network namespaces)"
	[ -x "$P2PKP" ] || die "$P2PKP is not built: run 'make' first"
	[[ "$SIZE_MIB" =~ ^[0-9]+$ ]] || die "SIZE_MIB must be a number of MiB"
	work=$(mktemp -d "${TMPDIR:-/tmp}/p2pkp-demo.XXXXXX")

	step "Three hosts in their own namespaces, joined by a bridge"
	make_hosts
	echo "sender 10.78.0.1, receivers 10.78.0.11 and 10.78.0.12"

	step "A ${SIZE_MIB} MiB file and a small tree to send"
	make_data
	du -sh "$work/src" | cut -f1

	step "p2pkp-xdp recv on both receivers (loads the steering program on each)"
	start_receivers
	cat "$work/recv1.log"

	step "p2pkp-xdp send --to 10.78.0.11 --to 10.78.0.12 image.bin tree"
	ip netns exec "$NS_S" "$P2PKP" send --dev veth0 --to 10.78.0.11 --to 10.78.0.12 \
		"$work/src/image.bin" "$work/src/tree"
	for p in "${pids[@]}"; do wait "$p" || die "a receiver failed"; done
	pids=()
	sed -n 's/^/  /p' "$work/recv1.log" "$work/recv2.log" | grep -v "receiving on"

	step "Verified byte for byte"
	verify
	step "Done: namespaces and files removed on exit"
}

main "$@"
