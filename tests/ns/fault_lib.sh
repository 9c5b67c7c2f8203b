# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Topologies with a faulty middle hop, and the fault tools' helpers; sourced by
# tests/ns/test_fault.sh and tests/ns/test_transfer_faults.sh after lib.sh.
#  - routed:  s (10.81.1.1) -- m0 [m: ip_forward, p2pkp-fault on m0] m1 -- r (10.81.2.1)
#  - bridged: s (10.82.0.1) -- m0 [m: p2pkp-relay m0 m1, no addresses] m1 -- r (10.82.0.2)
# shellcheck shell=bash

FAULT=${P2PKP_FAULT:-$P2PKP_TOP/${BUILD:-build}/p2pkp-fault}
RELAY=${P2PKP_RELAY:-$P2PKP_TOP/${BUILD:-build}/p2pkp-relay}
PORT=7471

need_tools() {
	[ -x "$FAULT" ] || skip "$FAULT is not built"
	[ -x "$RELAY" ] || skip "$RELAY is not built"
	require_cmd nc
	require_cmd taskset
}

# --- topologies ----------------------------------------------------------------

# no_dad NS: addresses usable at once, so the first ping6 does not wait a second.
no_dad() {
	in_ns "$1" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
}

routed_topology() {
	ns_add s
	ns_add m
	ns_add r
	no_dad s
	no_dad m
	no_dad r
	veth_pair s s0 10.81.1.1/24 m m0 10.81.1.254/24
	veth_pair m m1 10.81.2.254/24 r r0 10.81.2.1/24
	ip -n "$(ns_name s)" -6 addr add fd81:1::1/64 dev s0 nodad
	ip -n "$(ns_name m)" -6 addr add fd81:1::fe/64 dev m0 nodad
	ip -n "$(ns_name m)" -6 addr add fd81:2::fe/64 dev m1 nodad
	ip -n "$(ns_name r)" -6 addr add fd81:2::1/64 dev r0 nodad
	ip -n "$(ns_name s)" route add default via 10.81.1.254
	ip -n "$(ns_name s)" -6 route add default via fd81:1::fe
	ip -n "$(ns_name r)" route add default via 10.81.2.254
	ip -n "$(ns_name r)" -6 route add default via fd81:2::fe
	in_ns m sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	# Resolve every neighbour now, so no datagram waits in an ARP queue.
	in_ns s ping -c 1 -W 2 -q 10.81.2.1 >/dev/null || fail "routed topology: no ping"
	in_ns s ping -6 -c 1 -W 2 -q fd81:2::1 >/dev/null || fail "routed topology: no ping6"
}

# The middle owns m0 and m1 without addresses; only the relay joins them.
bridged_topology() {
	ns_add s
	ns_add m
	ns_add r
	no_dad s
	no_dad r
	ip link add s0 netns "$(ns_name s)" type veth peer name m0 netns "$(ns_name m)"
	ip link add m1 netns "$(ns_name m)" type veth peer name r0 netns "$(ns_name r)"
	# The middle's own stack stays silent on the wire (no IPv6 link-local, no RS).
	in_ns m sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
	ip -n "$(ns_name s)" addr add 10.82.0.1/24 dev s0
	ip -n "$(ns_name r)" addr add 10.82.0.2/24 dev r0
	ip -n "$(ns_name s)" -6 addr add fd82::1/64 dev s0 nodad
	ip -n "$(ns_name r)" -6 addr add fd82::2/64 dev r0 nodad
	ip -n "$(ns_name s)" link set s0 up
	ip -n "$(ns_name m)" link set m0 up
	ip -n "$(ns_name m)" link set m1 up
	ip -n "$(ns_name r)" link set r0 up
}

# start_relay LOGFILE ARGS...: the relay in the middle.
start_relay() {
	local log=$1
	shift
	# --duration bounds it; no timeout(1) between us and it, so SIGTERM reaches it.
	bg_in_ns m "$RELAY" m0 m1 --duration "$(scaled 60)" --json "$@" >"$log" 2>"$log.err"
	RELAY_PID=$BG_PID
	wait_for 5 grep -q "relaying between" "$log.err" || fail "relay did not start: $(cat "$log.err")"
}

# stop_relay LOGFILE: SIGTERM to the relay we started; it prints its counters.
stop_relay() {
	kill -TERM "$RELAY_PID" 2>/dev/null || true
	wait "$RELAY_PID" || fail "relay exited with an error: $(cat "$1.err")"
	RELAY_JSON=$(cat "$1")
	echo "# relay: $RELAY_JSON"
}

relay_counter() {
	echo "$RELAY_JSON" | jq -r ".counters.$1"
}

# fault_json [NS [DEV]]: the fault program's stats (default: m, m0).
fault_json() {
	in_ns "${1:-m}" "$FAULT" stats "${2:-m0}" --json
}

# fault_counter JSON NAME: one counter of fault_json's output.
fault_counter() {
	echo "$1" | jq -r ".counters.$2"
}
