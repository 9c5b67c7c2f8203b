# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The datagram transport between two test namespaces: p2pkp-blast pushes
# numbered, patterned messages from a to b through every pairing of the AF_XDP
# and socket backends and checks each one on arrival.
# Sourced by lib.sh --run; each test_* runs in its own process and namespaces.

BLAST=${P2PKP_BLAST:-$P2PKP_TOP/${BUILD:-build}/p2pkp-blast}
BLAST_N=10000
# Well under the lossless maximum measured on copy-mode veth (see the report in
# docs/ when the benchmark lands); pacing keeps a loaded CI host from dropping.
BLAST_RATE=${P2PKP_BLAST_RATE:-100000}

require_blast() {
	[ -x "$BLAST" ] || fail "$BLAST is not built"
	require_cmd jq
}

no_tentative() {
	[ -z "$(in_ns "$1" ip -6 addr show dev veth0 tentative)" ]
}

# IPv6 neighbour discovery needs the link-local addresses out of DAD.
settle_v6() {
	wait_for 5 no_tentative a || fail "IPv6 addresses of a stay tentative"
	wait_for 5 no_tentative b || fail "IPv6 addresses of b stay tentative"
}

steered() {
	in_ns b "$P2PKP" status veth0 --json | jq -r .counters.steered
}

jfield() {
	echo "$1" | jq -r ".$2"
}

# start_receiver BACKEND [ARGS...]: p2pkp-blast recv in b, in the background; sets DIR.
start_receiver() {
	local backend=$1
	shift
	DIR=$(new_tmpdir)
	bg_in_ns b timeout "$(scaled 40)" "$BLAST" recv --dev veth0 --backend "$backend" \
		--count "$BLAST_N" --timeout "$(scaled 30)" --json "$@" \
		>"$DIR/recv.json" 2>"$DIR/recv.err"
	RECV_PID=$BG_PID
	wait_for 10 grep -q "listening" "$DIR/recv.err" ||
		fail "receiver did not start: $(cat "$DIR/recv.err")"
}

# send_to BACKEND DEST [ARGS...]: p2pkp-blast send from a.
send_to() {
	local backend=$1 dest=$2
	shift 2
	in_ns a timeout "$(scaled 40)" "$BLAST" send --dev veth0 --backend "$backend" \
		--to "$dest" --count "$BLAST_N" --size 1024 --rate "$BLAST_RATE" --json "$@" \
		>"$DIR/send.json" 2>"$DIR/send.err" ||
		fail "sender failed: $(cat "$DIR/send.err")"
}

# check_receiver BACKEND: every message arrived once and intact, over BACKEND.
check_receiver() {
	local rc=0 js
	wait "$RECV_PID" || rc=$?
	js=$(cat "$DIR/recv.json")
	[ "$rc" -eq 0 ] || fail "receiver exited $rc: $js $(cat "$DIR/recv.err")"
	assert_eq "$(jfield "$js" backend)" "$1" "receiver backend"
	assert_eq "$(jfield "$js" received)" "$BLAST_N" "messages received"
	assert_eq "$(jfield "$js" duplicates)" 0 "duplicates"
	assert_eq "$(jfield "$js" corrupt)" 0 "corrupt messages"
	assert_eq "$(jfield "$(cat "$DIR/send.json")" backend)" "$SEND_BACKEND" "sender backend"
}

# blast RECV_BACKEND SEND_BACKEND DEST [RECV_ARGS...]
blast() {
	local rb=$1 dest=$3 before after
	SEND_BACKEND=$2
	shift 3
	if [ "$rb" = xdp ]; then
		# Loaded here, so the counters outlive the receiver (which then leaves it).
		in_ns b "$P2PKP" load veth0 >/dev/null
		before=$(steered)
	fi
	start_receiver "$rb" "$@"
	send_to "$SEND_BACKEND" "$dest"
	check_receiver "$rb"
	if [ "$rb" = xdp ]; then
		after=$(steered)
		[ $((after - before)) -ge "$BLAST_N" ] ||
			fail "steered counter moved by $((after - before)), expected $BLAST_N"
		xdp_attached b veth0 ||
			fail "the receiver removed a steering program it did not load"
	fi
}

test_xdp_to_xdp() {
	require_blast
	two_hosts
	blast xdp xdp 10.77.0.2:7471
}

test_socket_to_xdp() {
	require_blast
	two_hosts
	blast xdp socket 10.77.0.2:7471
}

test_xdp_to_socket() {
	require_blast
	two_hosts
	blast socket xdp 10.77.0.2:7471
}

test_socket_to_socket() {
	require_blast
	two_hosts
	blast socket socket 10.77.0.2:7471
}

test_xdp_to_xdp_ipv6() {
	require_blast
	two_hosts
	settle_v6
	blast xdp xdp '[fd77::2]:7471' --ipv6
}

test_socket_to_xdp_ipv6() {
	require_blast
	two_hosts
	settle_v6
	blast xdp socket '[fd77::2]:7471' --ipv6
}

# A receiver that loads the steering program itself removes it when done.
test_receiver_unloads_what_it_loaded() {
	require_blast
	two_hosts
	SEND_BACKEND=xdp
	start_receiver xdp
	xdp_attached b veth0 || fail "no program while receiving"
	send_to xdp 10.77.0.2:7471
	check_receiver xdp
	! xdp_attached b veth0 || fail "program left attached"
}

# Datagrams the XDP program passes to the stack (here: IPv4 fragments, which it
# never steers) still reach an AF_XDP receiver through its bound UDP socket.
# tx_dropped NS DEV: frames the device dropped on transmit.
tx_dropped() {
	in_ns "$1" cat "/sys/class/net/$2/statistics/tx_dropped"
}

# Fragments are passed to the stack, reassembled there, and must reach the
# receiver's UDP socket. Only the link may lose some: a veth whose peer runs an
# XDP program queues into a 256-frame ring and drops what overflows it (counted
# as the sender's tx_dropped), which a slow emulated CPU hits on the first
# burst. Every missing message must be explained by such a drop.
test_passed_datagrams_reach_xdp_receiver() {
	local js dropped0 dropped received
	require_blast
	two_hosts
	# A route MTU below the device's makes a's kernel fragment 1024-byte messages.
	ip -n "$(ns_name a)" route replace 10.77.0.2/32 dev veth0 mtu lock 600
	in_ns b "$P2PKP" load veth0 >/dev/null
	BLAST_N=2000
	SEND_BACKEND=socket
	dropped0=$(tx_dropped a veth0)
	start_receiver xdp --idle "$(scaled 2)"
	send_to socket 10.77.0.2:7471
	wait "$RECV_PID" || true
	js=$(cat "$DIR/recv.json")
	dropped=$(($(tx_dropped a veth0) - dropped0))
	received=$(jfield "$js" received)
	assert_eq "$(jfield "$js" backend)" xdp "receiver backend"
	assert_eq "$(jfield "$js" duplicates)" 0 "duplicates"
	assert_eq "$(jfield "$js" corrupt)" 0 "corrupt messages"
	[ $((BLAST_N - received)) -le "$dropped" ] ||
		fail "$((BLAST_N - received)) messages lost, only $dropped frames dropped by the link: $js"
	[ "$received" -gt 0 ] || fail "nothing arrived: $js"
	js=$(in_ns b "$P2PKP" status veth0 --json)
	[ "$(echo "$js" | jq -r .counters.fragments)" -ge $((2 * received)) ] ||
		fail "fragments were not passed: $js"
}

# AUTO falls back to sockets with exactly one warning line when AF_XDP cannot
# be used: here the receiver runs without CAP_NET_RAW, which AF_XDP sockets need.
test_auto_falls_back_to_sockets() {
	local err
	require_blast
	require_cmd setpriv
	two_hosts
	DIR=$(new_tmpdir)
	SEND_BACKEND=socket
	bg_in_ns b setpriv --bounding-set=-net_raw timeout "$(scaled 40)" "$BLAST" recv \
		--dev veth0 --backend auto --count "$BLAST_N" --timeout "$(scaled 30)" --json \
		>"$DIR/recv.json" 2>"$DIR/recv.err"
	RECV_PID=$BG_PID
	wait_for 10 grep -q "listening" "$DIR/recv.err" ||
		fail "receiver did not start: $(cat "$DIR/recv.err")"
	send_to socket 10.77.0.2:7471
	check_receiver socket
	err=$(grep -v "listening" "$DIR/recv.err")
	assert_eq "$err" "veth0: AF_XDP unavailable (no permission for AF_XDP sockets: needs CAP_NET_RAW); using UDP sockets" "warning"
	# Nothing was attached on the way to failing.
	! xdp_attached b veth0 || fail "program left attached"
	# Asked for AF_XDP alone, the same condition is an error, in one line.
	expect_status 1 in_ns b setpriv --bounding-set=-net_raw "$BLAST" recv --dev veth0 \
		--backend xdp --count 1 --timeout 1
	assert_eq "$OUT" "veth0: AF_XDP unavailable (no permission for AF_XDP sockets: needs CAP_NET_RAW)" "error"
}

test_blast_errors_are_one_line() {
	require_blast
	two_hosts
	expect_status 1 in_ns b "$BLAST" recv --dev nosuchdev0 --backend xdp --count 1 --timeout 1
	assert_eq "$OUT" "nosuchdev0: AF_XDP unavailable (no such device)"
	expect_status 2 in_ns a "$BLAST" send --dev veth0 --to 10.77.0.300 --count 1
	assert_contains "$OUT" "invalid --to '10.77.0.300'"
	expect_status 2 "$BLAST" send --dev veth0 --count 1
	assert_contains "$OUT" "missing required option --to"
	# Nothing listens: the receiver reports what is missing and fails.
	expect_status 1 in_ns b "$BLAST" recv --dev veth0 --backend socket --count 5 --timeout 1
	assert_contains "$OUT" "0/5 received, 5 missing"
}
