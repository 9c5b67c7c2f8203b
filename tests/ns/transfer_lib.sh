# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Helpers for transfer tests, sourced by tests/ns/test_transfer*.sh after lib.sh.

# random_file PATH BYTES
random_file() {
	mkdir -p "$(dirname "$1")"
	head -c "$2" /dev/urandom >"$1"
}

# start_recv NS DIR LOG [recv options...]: a receiver on $RECV_DEV (veth0) in the background,
# ready when this returns.
start_recv() {
	local ns=$1 dir=$2 log=$3
	shift 3
	mkdir -p "$dir"
	bg_in_ns "$ns" timeout "$(scaled 120)" "$P2PKP" recv --dev "${RECV_DEV:-veth0}" --out "$dir" \
		--once --json "$@" >"$log.json" 2>"$log"
	RECV_PID=$BG_PID
	wait_for 10 grep -q "receiving on" "$log" || fail "receiver did not start: $(cat "$log")"
}

# wait_recv: the receiver's exit status (it was started with --once).
wait_recv() {
	local rc=0
	wait "$RECV_PID" || rc=$?
	return $rc
}

# send_to NS LOG [send options and paths...]: run a sender on $SEND_DEV (veth0) to completion.
send_to() {
	local ns=$1 log=$2 rc=0
	shift 2
	in_ns "$ns" timeout "$(scaled 120)" "$P2PKP" send --dev "${SEND_DEV:-veth0}" --json "$@" \
		>"$log.json" 2>"$log" || rc=$?
	return $rc
}

# send_then_kill FILE MBIT SECS CONDITION...: send FILE from a to 10.77.0.2 at MBIT Mbit/s,
# wait until CONDITION holds, then kill the sender with SIGKILL (it saves and says
# nothing) and reap it. No timeout wrapper: the kill must reach the sender itself.
send_then_kill() {
	local file=$1 rate=$2 secs=$3 pid
	shift 3
	bg_in_ns a "$P2PKP" send --dev veth0 --to 10.77.0.2 --rate "$(mbit "$rate")" --timeout 5 \
		"$file" >/dev/null 2>&1
	pid=$BG_PID
	wait_for "$secs" "$@" || fail "sending $file: '$*' never held within $(scaled "$secs") s"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
}

# same_tree A B: identical files, directories (also empty ones) and file modes.
same_tree() {
	diff -r -x .p2pkp-partial "$1" "$2" >/dev/null ||
		fail "trees differ: $(diff -rq -x .p2pkp-partial "$1" "$2" | head -5)"
	[ "$(cd "$1" && find . -mindepth 1 -printf '%y %m %p\n' | sort)" = \
		"$(cd "$2" && find . -mindepth 1 -path ./.p2pkp-partial -prune -o -printf '%y %m %p\n' |
			sort)" ] ||
		fail "types or modes differ between $1 and $2"
}

# json_field FILE FIELD
json_field() {
	jq -r ".$2" "$1"
}

# bridged_hosts N: sender "a" (10.77.0.1) and receivers r1..rN (10.77.0.11..) on a bridge
# in its own namespace "sw"; every device is inside the test's namespaces.
bridged_hosts() {
	local n=$1 i sw
	ns_add sw
	sw=$(ns_name sw)
	ip -n "$sw" link add br0 type bridge
	ip -n "$sw" link set br0 up
	ns_add a
	ip link add veth0 netns "$(ns_name a)" type veth peer name pa netns "$sw"
	ip -n "$(ns_name a)" addr add 10.77.0.1/24 dev veth0
	ip -n "$(ns_name a)" link set veth0 up
	ip -n "$sw" link set pa master br0 up
	for i in $(seq 1 "$n"); do
		ns_add "r$i"
		ip link add veth0 netns "$(ns_name "r$i")" type veth peer name "p$i" netns "$sw"
		ip -n "$(ns_name "r$i")" addr add "10.77.0.$((10 + i))/24" dev veth0
		ip -n "$(ns_name "r$i")" link set veth0 up
		ip -n "$sw" link set "p$i" master br0 up
	done
}
