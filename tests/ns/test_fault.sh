# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The fault tools between a sender and a receiver namespace:
#  - routed:  s (10.81.1.1) -- m0 [m: ip_forward, p2pkp-fault on m0] m1 -- r (10.81.2.1)
#  - bridged: s (10.82.0.1) -- m0 [m: p2pkp-relay m0 m1, no addresses] m1 -- r (10.82.0.2)
# Traffic is a bounded bash /dev/udp loop of fixed-size records, one datagram
# each, so the receiver's byte stream can be cut back into datagrams.
# Sourced by lib.sh --run; each test_* runs in its own process and namespaces.
# shellcheck shell=bash disable=SC2016 # single-quoted scripts run in another shell

source "$(dirname "${BASH_SOURCE[0]}")/fault_lib.sh"
REC=31 # bytes per record: "p2pkp-test-seq NNNNNN abcdefgh\n"

# --- traffic -------------------------------------------------------------------

# records N: the byte stream the sender sends, for comparison.
records() {
	local i
	for ((i = 0; i < $1; i++)); do
		printf 'p2pkp-test-seq %06d abcdefgh\n' "$i"
	done
}

# send_records NS DST N: N datagrams of one record each, from one socket, paced
# so that no receive queue overflows, pinned to CPU 0 so that XDP sees them on
# one CPU (one PRNG stream: reproducible decisions).
send_records() {
	local ns=$1 dst=$2 n=$3
	in_ns "$ns" timeout "$(scaled 60)" taskset -c 0 bash -c '
		exec 3>"/dev/udp/$1/$2" || exit 1
		for ((i = 0; i < $3; i++)); do
			printf "p2pkp-test-seq %06d abcdefgh\n" "$i" >&3
			if ((i % 50 == 49)); then sleep 0.02; fi
		done' sender "$dst" "$PORT" "$n"
}

# start_receiver NS ADDR OUT [-4|-6]: nc on PORT writing every datagram to OUT.
start_receiver() {
	bg_in_ns "$1" timeout "$(scaled 60)" nc "${4:--4}" -u -l "$2" "$PORT" >"$3"
	RECV_PID=$BG_PID
	wait_for 5 listening "$1" udp "$PORT" || fail "receiver did not start"
}

# accounted OUT N [NS ERRS0]: true once OUT holds N records, or, given NS, once
# the records in OUT plus the UDP checksum errors NS counted since ERRS0 reach N.
accounted() {
	local got=$(($(stat -c %s "$1") / REC))
	[ $# -lt 4 ] || got=$((got + $(udp_csum_errors "$3") - $4))
	[ "$got" -ge "$2" ]
}

# stop_receiver OUT N [NS ERRS0]: wait (bounded) until the receiver has accounted
# for the N datagrams that reached it (see accounted), then end it.
stop_receiver() {
	wait_for 10 accounted "$@" ||
		fail "receiver wrote $(($(stat -c %s "$1") / REC)) records to $(basename "$1")" \
			"${3:+plus checksum errors in $3 }in $(scaled 10) s; $2 reached it"
	kill "$RECV_PID" 2>/dev/null || fail "the receiver (nc) ended before it was stopped"
	wait "$RECV_PID" 2>/dev/null || true # killed: a non-zero status
}

# fault_seen N [NS DEV]: wait (bounded) until the fault program has seen N
# P2PKP datagrams, so that its counters are final.
fault_seen() {
	local n=$1
	shift
	wait_for 10 fault_seen_now "$n" "$@" ||
		fail "fault program saw $(fault_counter "$(fault_json "$@")" seen) of $n datagrams in $(scaled 10) s"
}

fault_seen_now() {
	local n=$1
	shift
	[ "$(fault_counter "$(fault_json "$@")" seen)" -ge "$n" ]
}

# relay_drained: a ping from s, on the sender's CPU, came back through the relay,
# so the relay has taken every frame s sent before it (it reads one device's frames
# in order); the frames it still holds it sends when it stops.
relay_drained() {
	in_ns s taskset -c 0 ping -c 1 -W "$(scaled 2)" -q 10.82.0.2 >/dev/null ||
		fail "no ping through the relay after the records"
}

# relay_delivered: the datagrams the stopped relay passed on (see stop_relay).
relay_delivered() {
	echo $(($(relay_counter p2pkp) - $(relay_counter dropped) + $(relay_counter duplicated)))
}

# seqs OUT: the sequence numbers received, in arrival order.
seqs() {
	grep -ao 'seq [0-9]\{6\}' "$1" | cut -c5- | sed 's/^0*\([0-9]\)/\1/'
}

# pct PART WHOLE: "12.3%", for the measured rates the tests print.
pct() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", 100 * a / b }'
}

# within VALUE LOW HIGH WHAT: integer range check with a readable failure.
within() {
	if [ "$1" -lt "$2" ] || [ "$1" -gt "$3" ]; then
		fail "$4: $1 not within [$2, $3]"
	fi
}

# fault_json [NS DEV]: `p2pkp-fault stats --json`, by default of the middle's m0.

# --- p2pkp-fault (XDP, routed middle hop) -------------------------------------

test_fault_drop_rate() {
	local dir js n=2000 got seen dropped passed
	need_tools
	routed_topology
	dir=$(new_tmpdir)
	in_ns m "$FAULT" load m0 --drop 10 --seed 42
	start_receiver r 10.81.2.1 "$dir/out"
	send_records s 10.81.2.1 $n
	fault_seen $n
	js=$(fault_json)
	stop_receiver "$dir/out" "$(fault_counter "$js" passed)"
	seen=$(fault_counter "$js" seen)
	dropped=$(fault_counter "$js" dropped)
	passed=$(fault_counter "$js" passed)
	got=$(seqs "$dir/out" | wc -l)
	echo "# fault: $js"
	echo "# sent $n, received $got, measured drop $(pct $((n - got)) $n)"
	assert_eq "$seen" "$n" "P2PKP datagrams seen"
	assert_eq "$((dropped + passed))" "$n" "dropped + passed"
	assert_eq "$got" "$passed" "received"
	within "$dropped" $((n * 7 / 100)) $((n * 13 / 100)) "dropped at 10%"
	# What arrives is intact and in order.
	seqs "$dir/out" | sort -n -c || fail "received out of order"
	[ "$(stat -c %s "$dir/out")" -eq $((got * REC)) ] || fail "received bytes altered"
}

test_fault_same_seed_same_drops() {
	local dir run seed
	need_tools
	routed_topology
	dir=$(new_tmpdir)
	for run in 1:7 2:7 3:8; do
		seed=${run#*:}
		in_ns m "$FAULT" load m0 --drop 30 --seed "$seed" >/dev/null
		start_receiver r 10.81.2.1 "$dir/out"
		send_records s 10.81.2.1 500
		fault_seen 500
		stop_receiver "$dir/out" "$(fault_counter "$(fault_json)" passed)"
		seqs "$dir/out" >"$dir/run${run%:*}"
	done
	echo "# seed 7: $(wc -l <"$dir/run1") and $(wc -l <"$dir/run2") of 500 arrived; seed 8: $(wc -l <"$dir/run3")"
	cmp "$dir/run1" "$dir/run2" || fail "seed 7 gave different drops in two runs"
	if cmp -s "$dir/run1" "$dir/run3"; then
		fail "seeds 7 and 8 gave the same drops"
	fi
}

# Each corrupted datagram differs from what was sent in exactly one byte.
check_one_byte_each() {
	local exp=$1 got=$2 corrupted=$3 bytes recs
	bytes=$(cmp -l "$exp" "$got" | wc -l || true)
	recs=$(cmp -l "$exp" "$got" | awk -v rec=$REC '{ print int(($1 - 1) / rec) }' | sort -u |
		wc -l || true)
	assert_eq "$bytes" "$recs" "changed bytes vs changed datagrams"
	assert_eq "$recs" "$corrupted" "datagrams altered vs corrupted counter"
}

test_fault_corrupt_fixed_checksum() {
	local dir js n=1000 corrupted
	need_tools
	routed_topology
	dir=$(new_tmpdir)
	records $n >"$dir/exp"
	in_ns m "$FAULT" load m0 --corrupt 20 --fix-csum --seed 5
	start_receiver r 10.81.2.1 "$dir/out"
	send_records s 10.81.2.1 $n
	fault_seen $n
	stop_receiver "$dir/out" $n
	js=$(fault_json)
	echo "# fault: $js"
	corrupted=$(fault_counter "$js" corrupted)
	# The checksum is right again: every datagram reaches the application.
	assert_eq "$(stat -c %s "$dir/out")" $((n * REC)) "received bytes"
	check_one_byte_each "$dir/exp" "$dir/out" "$corrupted"
	within "$corrupted" $((n * 17 / 100)) $((n * 23 / 100)) "corrupted at 20%"
	echo "# measured corruption $(pct "$corrupted" $n), all with valid checksums"
}

# udp_csum_errors NS: the namespace's UDP InCsumErrors counter.
udp_csum_errors() {
	in_ns "$1" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
		else print $c["InCsumErrors"] }' /proc/net/snmp
}

# A stale checksum is caught either by the receiving stack or, where the
# sender left the checksum to offload (veth), by nothing but the protocol.
test_fault_corrupt_stale_checksum() {
	local dir js n=1000 corrupted errs0 errs1 got altered
	need_tools
	routed_topology
	dir=$(new_tmpdir)
	records $n >"$dir/exp"
	in_ns m "$FAULT" load m0 --corrupt 20 --seed 5
	errs0=$(udp_csum_errors r)
	start_receiver r 10.81.2.1 "$dir/out"
	send_records s 10.81.2.1 $n
	fault_seen $n
	stop_receiver "$dir/out" $n r "$errs0"
	errs1=$(udp_csum_errors r)
	js=$(fault_json)
	echo "# fault: $js"
	corrupted=$(fault_counter "$js" corrupted)
	got=$(($(stat -c %s "$dir/out") / REC))
	altered=$((got - (n - corrupted)))
	echo "# corrupted $corrupted: $((errs1 - errs0)) failed the UDP checksum, $altered arrived altered"
	assert_eq "$((errs1 - errs0 + altered))" "$corrupted" "checksum errors + altered arrivals"
	within "$corrupted" $((n * 17 / 100)) $((n * 23 / 100)) "corrupted at 20%"
}

# With real checksums on the wire (the relay finishes what veth offload left
# open), the receiving stack throws away every datagram with a stale checksum.
test_fault_stale_checksum_caught() {
	local dir js n=1000 corrupted errs0 errs1 intact
	need_tools
	bridged_topology
	dir=$(new_tmpdir)
	start_relay "$dir/relay" --finish-csum
	other_traffic_works s 10.82.0.2 fd82::2 r "$dir"
	in_ns r "$FAULT" load r0 --corrupt 20 --seed 5 >/dev/null
	errs0=$(udp_csum_errors r)
	start_receiver r 10.82.0.2 "$dir/out"
	send_records s 10.82.0.2 $n
	fault_seen $n r r0
	stop_receiver "$dir/out" $n r "$errs0"
	errs1=$(udp_csum_errors r)
	stop_relay "$dir/relay"
	js=$(fault_json r r0)
	echo "# fault: $js"
	corrupted=$(fault_counter "$js" corrupted)
	intact=$(grep -acxE 'p2pkp-test-seq [0-9]{6} abcdefgh' "$dir/out" || true)
	echo "# corrupted $corrupted, UDP checksum errors $((errs1 - errs0)), intact arrivals $intact"
	assert_eq "$((errs1 - errs0))" "$corrupted" "UDP checksum errors"
	assert_eq "$intact" "$((n - corrupted))" "intact datagrams received"
	assert_eq "$(stat -c %s "$dir/out")" "$((intact * REC))" "received bytes"
	within "$corrupted" $((n * 17 / 100)) $((n * 23 / 100)) "corrupted at 20%"
}

test_fault_ipv6() {
	local dir js n=400 got
	need_tools
	routed_topology
	dir=$(new_tmpdir)
	in_ns m "$FAULT" load m0 --drop 50 --seed 3
	start_receiver r fd81:2::1 "$dir/out" -6
	send_records s fd81:2::1 $n
	fault_seen $n
	js=$(fault_json)
	stop_receiver "$dir/out" "$(fault_counter "$js" passed)"
	echo "# fault: $js"
	got=$(seqs "$dir/out" | wc -l)
	assert_eq "$(fault_counter "$js" seen)" $n "IPv6 P2PKP datagrams seen"
	assert_eq "$got" "$(fault_counter "$js" passed)" "received over IPv6"
	within "$got" $((n * 40 / 100)) $((n * 60 / 100)) "passed at 50% drop"
}

# other_traffic_works NS DST4 DST6 RNS DIR: ping, ping6, TCP and UDP to another port.
other_traffic_works() {
	local ns=$1 dst=$2 dst6=$3 rns=$4 dir=$5
	in_ns "$ns" ping -c 3 -i 0.2 -W 2 -q "$dst" >/dev/null || fail "ping failed"
	in_ns "$ns" ping -6 -c 3 -i 0.2 -W 2 -q "$dst6" >/dev/null || fail "ping6 failed"

	head -c 300000 /dev/urandom >"$dir/blob"
	bg_in_ns "$rns" timeout "$(scaled 20)" nc -l -N "$dst" 5001 >"$dir/tcp.out"
	wait_for 5 listening "$rns" tcp 5001
	in_ns "$ns" timeout "$(scaled 15)" nc -N "$dst" 5001 <"$dir/blob" || fail "TCP send failed"
	wait "$BG_PID" || true
	cmp -s "$dir/blob" "$dir/tcp.out" || fail "TCP payload altered"

	bg_in_ns "$rns" timeout "$(scaled 10)" nc -u -l -W 1 "$dst" 5002 >"$dir/udp.out"
	wait_for 5 listening "$rns" udp 5002
	echo "other udp port, long enough to be p2pkp" |
		in_ns "$ns" timeout "$(scaled 5)" nc -u -w 1 "$dst" 5002
	wait "$BG_PID" || true
	assert_eq "$(cat "$dir/udp.out")" "other udp port, long enough to be p2pkp" "UDP payload"
}

test_fault_other_traffic_unaffected() {
	local dir js
	need_tools
	routed_topology
	dir=$(new_tmpdir)
	in_ns m "$FAULT" load m0 --drop 100
	other_traffic_works s 10.81.2.1 fd81:2::1 r "$dir"
	start_receiver r 10.81.2.1 "$dir/out"
	send_records s 10.81.2.1 100
	fault_seen 100
	js=$(fault_json)
	stop_receiver "$dir/out" "$(fault_counter "$js" passed)"
	echo "# fault: $js"
	assert_eq "$(stat -c %s "$dir/out")" 0 "P2PKP bytes through a 100% drop"
	assert_eq "$(fault_counter "$js" dropped)" 100 "dropped"
	[ "$(fault_counter "$js" other)" -gt 10 ] || fail "other traffic not counted: $js"
}

# --match ip: every IPv4/IPv6 packet is a candidate, whatever its protocol. TCP
# through 5 % loss arrives intact, its segments counted and some dropped (the
# XDP program on m0 turns GSO off on s0, its veth peer: one segment per frame);
# at 100 % nothing IP crosses, while ARP (not IP) still does.
test_fault_match_ip() {
	local dir js seen dropped
	need_tools
	routed_topology
	dir=$(new_tmpdir)
	expect_status 0 in_ns m "$FAULT" load m0 --match ip --drop 5 --seed 21
	assert_contains "$OUT" "all IP packets, drop 5%"
	head -c 1000000 /dev/urandom >"$dir/blob"
	bg_in_ns r timeout "$(scaled 30)" nc -l -N 10.81.2.1 5001 >"$dir/tcp.out"
	wait_for 5 listening r tcp 5001 || fail "TCP receiver did not start"
	in_ns s timeout "$(scaled 25)" nc -N 10.81.2.1 5001 <"$dir/blob" ||
		fail "TCP send through 5 % IP loss failed"
	wait "$BG_PID" || true
	cmp -s "$dir/blob" "$dir/tcp.out" || fail "TCP payload altered or cut"
	js=$(fault_json)
	echo "# fault: $js"
	assert_eq "$(echo "$js" | jq -r .match)" ip "match"
	seen=$(fault_counter "$js" seen)
	dropped=$(fault_counter "$js" dropped)
	# 1 MB is at least 690 full-size segments, each its own frame and draw.
	[ "$seen" -ge 690 ] || fail "only $seen IP packets seen for 1 MB of TCP: $js"
	within "$dropped" $((seen * 2 / 100)) $((seen * 9 / 100)) "TCP segments dropped at 5%"
	echo "# TCP: $seen packets seen, $dropped dropped ($(pct "$dropped" "$seen"))"

	in_ns m "$FAULT" load m0 --match ip --drop 100 >/dev/null
	in_ns s ip neigh flush dev s0
	if in_ns s ping -c 2 -i 0.2 -W 1 -q 10.81.2.1 >/dev/null 2>&1; then
		fail "ping crossed a 100 % IP drop"
	fi
	# The ping's ARP request crossed m0 and was answered: the neighbour is known.
	in_ns s ip neigh show 10.81.1.254 dev s0 | grep -q lladdr ||
		fail "ARP did not cross a 100 % IP drop: $(in_ns s ip neigh show dev s0)"
	js=$(fault_json)
	echo "# fault at 100 %: $js"
	[ "$(fault_counter "$js" dropped)" -ge 2 ] || fail "pings not counted as dropped: $js"
	[ "$(fault_counter "$js" other)" -ge 1 ] || fail "ARP not counted as other: $js"
}

test_fault_cli() {
	local js
	need_tools
	routed_topology
	expect_status 0 in_ns m "$FAULT" load m0 --drop 0.5 --corrupt 1.25 --fix-csum --seed 99
	assert_contains "$OUT" "loaded (native mode)"
	js=$(fault_json)
	assert_eq "$(echo "$js" | jq -r .drop_ppm)" 5000 "drop_ppm"
	assert_eq "$(echo "$js" | jq -r .corrupt_ppm)" 12500 "corrupt_ppm"
	assert_eq "$(echo "$js" | jq -r .fix_csum)" true "fix_csum"
	assert_eq "$(echo "$js" | jq -r .seed)" 99 "seed"
	assert_eq "$(echo "$js" | jq -r .port)" $PORT "port"
	assert_eq "$(echo "$js" | jq -r .match)" p2pkp "match"
	for c in seen passed dropped corrupted other; do
		[ "$(fault_counter "$js" $c)" -ge 0 ] || fail "counter $c missing: $js"
	done
	expect_status 0 in_ns m "$FAULT" stats m0
	assert_contains "$OUT" "drop 0.5%, corrupt 1.25% (checksum fixed), seed 99"
	# Loading again changes the parameters in place.
	expect_status 0 in_ns m "$FAULT" load m0 --drop 30% --port 9000
	assert_contains "$OUT" "replaced"
	assert_eq "$(fault_json | jq -r .drop_ppm)" 300000 "drop_ppm after reload"
	assert_eq "$(fault_json | jq -r .port)" 9000 "port after reload"
	expect_status 1 in_ns m "$FAULT" load m0 --mode skb
	assert_contains "$OUT" "attached in native mode; unload it first"
	expect_status 0 in_ns m "$FAULT" unload m0
	! xdp_attached m m0 || fail "XDP left after unload"
	expect_status 0 in_ns m "$FAULT" load m0 --mode skb --drop 1
	assert_eq "$(fault_json | jq -r .mode)" skb "mode"
	expect_status 0 in_ns m "$FAULT" unload m0

	expect_status 1 in_ns m "$FAULT" unload m0
	assert_eq "$OUT" "m0: the fault program is not loaded"
	expect_status 1 in_ns m "$FAULT" stats m0
	assert_eq "$OUT" "m0: the fault program is not loaded"
	expect_status 1 in_ns m "$FAULT" stats m0 --json
	assert_eq "$(echo "$OUT" | jq -r .loaded)" false "loaded"
	expect_status 1 in_ns m "$FAULT" load nosuchdev0
	assert_eq "$OUT" "no such device: nosuchdev0"
	expect_status 2 in_ns m "$FAULT" load m0 --drop 101
	assert_eq "$OUT" "invalid value '101' for --drop: expected a percentage from 0 to 100"
	expect_status 2 in_ns m "$FAULT" load m0 --drop ten
	assert_contains "$OUT" "invalid value 'ten' for --drop"
	expect_status 2 in_ns m "$FAULT" load m0 --drop 60 --corrupt 50
	assert_eq "$OUT" "--drop and --corrupt add up to more than 100%"
	expect_status 2 in_ns m "$FAULT" load m0 --seed -1
	assert_contains "$OUT" "invalid value '-1' for --seed"
	expect_status 2 in_ns m "$FAULT" load m0 --match ip --corrupt 1
	assert_eq "$OUT" "--corrupt needs --match p2pkp: --match ip only drops"
	expect_status 2 in_ns m "$FAULT" load m0 --match tcp
	assert_contains "$OUT" "invalid value 'tcp' for --match"
	expect_status 2 in_ns m "$FAULT" frobnicate
	assert_contains "$OUT" "unknown command 'frobnicate'"
	expect_status 0 "$FAULT" load --help
	assert_contains "$OUT" "Usage: p2pkp-fault load"
	assert_contains "$OUT" "--fix-csum"
	# Another program on the device is never replaced.
	in_ns m "$P2PKP" load m0 >/dev/null 2>&1 || skip "steering program does not load"
	expect_status 1 in_ns m "$FAULT" load m0 --drop 1
	assert_contains "$OUT" "another XDP program"
}

# --- p2pkp-relay (AF_PACKET, bridged middle) -------------------------------------

test_relay_transparent() {
	local dir
	need_tools
	bridged_topology
	dir=$(new_tmpdir)
	records 500 >"$dir/exp"
	start_relay "$dir/relay"
	# ARP and ND cross the relay like any other frame.
	other_traffic_works s 10.82.0.2 fd82::2 r "$dir"
	start_receiver r 10.82.0.2 "$dir/out"
	send_records s 10.82.0.2 500
	stop_receiver "$dir/out" 500
	stop_relay "$dir/relay"
	cmp -s "$dir/exp" "$dir/out" || fail "P2PKP stream altered by a relay without faults"
	assert_eq "$(relay_counter p2pkp)" 500 "P2PKP frames relayed"
	assert_eq "$(relay_counter forwarded)" 500 "forwarded unharmed"
	assert_eq "$(relay_counter tx_errors)" 0 "send errors"
}

# late_arrivals FILE: datagrams that arrived after one with a higher number.
late_arrivals() {
	seqs "$1" | awk 'BEGIN { max = -1 } { if ($1 < max) late++; else max = $1 } END { print late + 0 }'
}

test_relay_faults() {
	local dir n=2000 got uniq dups late dropped
	need_tools
	bridged_topology
	dir=$(new_tmpdir)
	start_relay "$dir/relay" --dup 10 --reorder 10 --reorder-depth 3 --drop 5 --seed 11
	in_ns s ping -c 1 -W 2 -q 10.82.0.2 >/dev/null || fail "no ping through the relay"
	start_receiver r 10.82.0.2 "$dir/out"
	send_records s 10.82.0.2 $n
	relay_drained
	stop_relay "$dir/relay"
	stop_receiver "$dir/out" "$(relay_delivered)"
	got=$(seqs "$dir/out" | wc -l)
	uniq=$(seqs "$dir/out" | sort -u | wc -l)
	dups=$((got - uniq))
	late=$(late_arrivals "$dir/out")
	dropped=$((n - uniq))
	echo "# sent $n: received $got, lost $(pct $dropped $n), duplicated $(pct $dups $n), late $(pct "$late" $n)"
	assert_eq "$(relay_counter p2pkp)" $n "P2PKP frames seen by the relay"
	assert_eq "$(($(relay_counter forwarded) + $(relay_counter dropped) + $(relay_counter duplicated) + \
		$(relay_counter reordered) + $(relay_counter hold_full)))" $n "relay verdicts"
	assert_eq "$got" "$((n - $(relay_counter dropped) + $(relay_counter duplicated)))" "received"
	assert_eq "$dropped" "$(relay_counter dropped)" "lost datagrams"
	assert_eq "$dups" "$(relay_counter duplicated)" "duplicate datagrams"
	within "$dropped" $((n * 2 / 100)) $((n * 8 / 100)) "dropped at 5%"
	within "$dups" $((n * 7 / 100)) $((n * 13 / 100)) "duplicated at 10%"
	within "$late" $((n * 7 / 100)) $((n * 13 / 100)) "reordered at 10%"
	# No loop: the receiver side sent almost nothing (ARP), and nothing came back.
	[ "$(relay_counter rx_b)" -lt 50 ] || fail "frames looping: $RELAY_JSON"
	assert_eq "$(relay_counter tx_errors)" 0 "send errors"
}

test_relay_same_seed_same_faults() {
	local dir run
	need_tools
	bridged_topology
	dir=$(new_tmpdir)
	for run in 1 2; do
		start_relay "$dir/relay" --dup 20 --drop 20 --seed 3
		# Resolve the neighbour first: run 1 must not lose its first records to ARP.
		in_ns s ping -c 2 -i 0.2 -W "$(scaled 1)" 10.82.0.2 >/dev/null 2>&1 ||
			fail "run $run: no ping through the relay before the records"
		start_receiver r 10.82.0.2 "$dir/out"
		send_records s 10.82.0.2 300
		relay_drained
		stop_relay "$dir/relay"
		stop_receiver "$dir/out" "$(relay_delivered)"
		seqs "$dir/out" >"$dir/run$run"
	done
	cmp "$dir/run1" "$dir/run2" || fail "seed 3 gave different faults in two runs"
}

test_relay_bounded_and_errors() {
	local dir start
	need_tools
	bridged_topology
	dir=$(new_tmpdir)
	start=$SECONDS
	expect_status 0 in_ns m timeout 10 "$RELAY" m0 m1 --duration 1 --json
	[ $((SECONDS - start)) -le 5 ] || fail "--duration 1 took $((SECONDS - start)) s"
	assert_eq "$(echo "$OUT" | grep '^{' | jq -r .counters.tx_errors)" 0 "tx_errors"
	expect_status 1 in_ns m "$RELAY" m0 nosuchdev0 --duration 1
	assert_eq "$OUT" "no such device: nosuchdev0"
	expect_status 1 in_ns m "$RELAY" m0 m0 --duration 1
	assert_contains "$OUT" "the two devices must differ"
	expect_status 2 in_ns m "$RELAY" m0 m1 --dup 50 --reorder 60
	assert_eq "$OUT" "--drop, --dup and --reorder add up to more than 100%"
	expect_status 2 in_ns m "$RELAY" m0 m1 --reorder-depth 0
	assert_contains "$OUT" "invalid value '0' for --reorder-depth"
	expect_status 0 "$RELAY" --help
	assert_contains "$OUT" "--reorder-depth N"
	# SIGINT ends it too, with the counters printed.
	bg_in_ns m "$RELAY" m0 m1 --duration "$(scaled 30)" >"$dir/out" 2>"$dir/err"
	wait_for 5 grep -q "relaying between" "$dir/err" || fail "relay did not start"
	kill -INT "$BG_PID"
	wait "$BG_PID" || fail "relay exited non-zero after SIGINT"
	assert_contains "$(cat "$dir/out")" "m0 <-> m1"
}
