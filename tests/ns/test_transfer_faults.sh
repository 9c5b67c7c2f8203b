# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Transfers through a faulty middle hop (tests/ns/fault_lib.sh): loss, corruption,
# duplication and reordering must all end byte-exact.
source "$(dirname "${BASH_SOURCE[0]}")/transfer_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/fault_lib.sh"

# faulty_xfer DST SIZE_MIB [send options...]: s → DST through the middle; checks the copy.
faulty_xfer() {
	local dst=$1 size=$2 src work
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/lossy.bin" $(mib $size)
	RECV_DEV=r0 start_recv r "$work/out" "$work/recv.log"
	shift 2
	SEND_DEV=s0 send_to s "$work/send.log" --to "$dst" "$@" "$src/lossy.bin" ||
		fail "send failed: $(cat "$work/send.log")"
	wait_recv || fail "receiver failed: $(cat "$work/recv.log")"
	cmp "$src/lossy.bin" "$work/out/lossy.bin" || fail "copy differs"
	LAST_WORK=$work
	echo "# sent $(json_field "$work/send.log.json" data_msgs) datagrams," \
		"$(json_field "$work/send.log.json" retransmitted) retransmitted"
}

# drop_test PCT: seeded loss of PCT % of the P2PKP datagrams toward the receiver.
drop_test() {
	need_tools
	routed_topology
	in_ns m "$FAULT" load m0 --drop "$1" --seed 42 >/dev/null
	faulty_xfer 10.81.2.1 16
	[ "$(fault_counter "$(fault_json)" dropped)" -gt 0 ] || fail "nothing dropped"
	[ "$(json_field "$LAST_WORK/send.log.json" retransmitted)" -gt 0 ] || fail "no repair"
}

test_drop_1pct() {
	drop_test 1
}

test_drop_10pct() {
	drop_test 10
}

test_drop_30pct() {
	drop_test 30
}

# Requests, answers and reports are lost too. Paced to last about two seconds,
# so some twenty REPORTs and a dozen answers meet 30 % loss on the way back.
test_loss_both_ways() {
	need_tools
	routed_topology
	in_ns m "$FAULT" load m0 --drop 10 --seed 7 >/dev/null
	in_ns m "$FAULT" load m1 --drop 30 --seed 8 >/dev/null
	faulty_xfer 10.81.2.1 8 --rate "$(mbit 30)"
	[ "$(fault_counter "$(fault_json m m1)" dropped)" -gt 0 ] || fail "no control loss"
}

# Corrupted with the checksum left stale: the receiver drops them, like loss.
test_corrupt_stale_checksum() {
	need_tools
	routed_topology
	in_ns m "$FAULT" load m0 --corrupt 5 --seed 3 >/dev/null
	faulty_xfer 10.81.2.1 16
	[ "$(fault_counter "$(fault_json)" corrupted)" -gt 0 ] || fail "none corrupted"
}

# Corruption the UDP checksum cannot see: the block's BLOCK_SUM (or, in a header,
# the decoder) catches it before anything is written; only that block is sent
# again, and nothing wrong is ever published.
test_corrupt_hidden_from_checksum() {
	local src work corrupted=0 i
	need_tools
	routed_topology
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/lossy.bin" $(mib 4)
	in_ns m "$FAULT" load m0 --corrupt 0.5 --fix-csum --seed 11 >/dev/null
	RECV_DEV=r0 start_recv r "$work/out" "$work/recv.log"
	SEND_DEV=s0 bg_in_ns s "$P2PKP" send --dev s0 --json --to 10.81.2.1 --rate "$(mbit 50)" \
		"$src/lossy.bin" >"$work/send.log.json" 2>"$work/send.log"
	local send_pid=$BG_PID
	# Once something was corrupted, let the rest through so the refetch is clean.
	for i in $(seq 1 200); do
		corrupted=$(fault_counter "$(fault_json)" corrupted)
		[ "$corrupted" -gt 0 ] && break
		sleep 0.05
	done
	[ "$corrupted" -gt 0 ] || fail "nothing was corrupted"
	in_ns m "$FAULT" unload m0
	wait "$send_pid" || fail "send failed: $(cat "$work/send.log")"
	wait_recv || fail "receiver failed: $(cat "$work/recv.log")"
	cmp "$src/lossy.bin" "$work/out/lossy.bin" || fail "copy differs"
	# Caught per block, before anything was written: dropped, counted, asked again.
	local caught
	caught=$(jq '.bad_sums + .bad_msgs' "$work/recv.log.json")
	[ "$caught" -ge 1 ] || fail "the corruption went unnoticed: $(cat "$work/recv.log.json")"
	if grep -q "digest mismatch" "$work/recv.log"; then
		fail "a corrupted block reached the disk: $(cat "$work/recv.log")"
	fi
	[ "$(json_field "$work/send.log.json" retransmitted)" -lt $(($(mib 4) / 1384 / 2)) ] ||
		fail "the whole file was sent again for one bad block"
}

# Duplicated, reordered and lost by the relay in a transparent middle.
test_dup_reorder_and_loss() {
	local log
	need_tools
	bridged_topology
	log=$(new_tmpdir)/relay.json
	start_relay "$log" --dup 10 --reorder 10 --reorder-depth 8 --drop 2 --seed 5
	faulty_xfer 10.82.0.2 8
	stop_relay "$log"
	[ "$(relay_counter duplicated)" -gt 0 ] || fail "relay duplicated nothing: $RELAY_JSON"
	[ "$(relay_counter reordered)" -gt 0 ] || fail "relay reordered nothing: $RELAY_JSON"
	[ "$(json_field "$LAST_WORK/recv.log.json" duplicates)" -gt 0 ] ||
		fail "receiver saw no duplicates"
}
