# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Random loss is not congestion: with the project's loss injector on the
# sender's bridge port (data direction; every receiver's unicast copies are
# lost independently), a transfer keeps most of its lossless goodput. Both runs
# are measured in the same test, under a --rate ceiling well below what this
# host manages, so that they measure the controller, not the CPUs; only their
# ratio is asserted, with margin. (A loss-driven controller falls to its
# 10 Mbit/s floor here.)
source "$(dirname "${BASH_SOURCE[0]}")/transfer_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/fault_lib.sh"

# fanout_goodput TAG N RATE: send the test file to receivers r1..rN under a ceiling of
# RATE Mbit/s; prints the goodput (bit/s).
fanout_goodput() {
	local tag=$1 n=$2 rate=$3 i to=() pids=()
	for i in $(seq 1 "$n"); do
		start_recv "r$i" "$WORK/$tag-out$i" "$WORK/$tag-recv$i.log"
		pids+=("$RECV_PID")
		to+=(--to "10.77.0.$((10 + i))")
	done
	send_to a "$WORK/$tag-send.log" --rate "$(mbit "$rate")" "${to[@]}" "$SRC/rate.bin" ||
		fail "$tag: send failed: $(cat "$WORK/$tag-send.log")"
	for i in $(seq 1 "$n"); do
		RECV_PID=${pids[$((i - 1))]}
		wait_recv || fail "$tag: receiver $i failed: $(cat "$WORK/$tag-recv$i.log")"
		cmp "$SRC/rate.bin" "$WORK/$tag-out$i/rate.bin" || fail "$tag: copy $i differs"
	done
	jq -r '.goodput_bps' "$WORK/$tag-send.log.json" | cut -d. -f1
}

# duplicates TAG N: blocks the receivers r1..rN of run TAG got more than once.
duplicates() {
	local tag=$1 n=$2 i sum=0
	for i in $(seq 1 "$n"); do
		sum=$((sum + $(jq -rs 'map(.duplicates // empty) | add // 0' "$WORK/$tag-recv$i.log.json")))
	done
	echo "$sum"
}

# loss_ratio_test N PCT RATE: goodput of 1->N at PCT % loss against 1->N without loss.
loss_ratio_test() {
	local n=$1 pct=$2 rate=$3 clean lossy
	need_tools
	bridged_hosts "$n"
	SRC=$(new_tmpdir)
	WORK=$(new_tmpdir)
	random_file "$SRC/rate.bin" $(mib 96)
	clean=$(fanout_goodput clean "$n" "$rate")
	in_ns sw "$FAULT" load pa --drop "$pct" --seed 5 >/dev/null
	lossy=$(fanout_goodput lossy "$n" "$rate")
	[ "$(fault_counter "$(fault_json sw pa)" dropped)" -gt 0 ] || fail "nothing was dropped"
	echo "# 1->$n goodput: $((clean / 1000000)) Mbit/s without loss," \
		"$((lossy / 1000000)) Mbit/s at $pct % loss" \
		"($(jq -r .retransmitted "$WORK/lossy-send.log.json") datagrams resent," \
		"$(duplicates lossy "$n") duplicates)"
	[ $((lossy * 2)) -ge "$clean" ] ||
		fail "1->$n at $pct % loss: $lossy bit/s is below half of $clean without loss"

}

test_one_receiver_at_3pct_loss() {
	loss_ratio_test 1 3 600
}

test_three_receivers_at_10pct_loss() {
	loss_ratio_test 3 10 300
}

# Without a ceiling, at full speed: queues make the report that lists a hole
# older than the repair already sent for it. Such a repair is on its way and is
# not sent again (without that guard a third of all repairs arrived twice).
test_repairs_are_sent_once() {
	local resent dups
	need_tools
	bridged_hosts 1
	SRC=$(new_tmpdir)
	WORK=$(new_tmpdir)
	random_file "$SRC/rate.bin" $(mib 128)
	in_ns sw "$FAULT" load pa --drop 3 --seed 7 >/dev/null
	start_recv r1 "$WORK/out" "$WORK/once-recv1.log"
	send_to a "$WORK/send.log" --to 10.77.0.11 "$SRC/rate.bin" ||
		fail "send failed: $(cat "$WORK/send.log")"
	wait_recv || fail "receiver failed: $(cat "$WORK/once-recv1.log")"
	cmp "$SRC/rate.bin" "$WORK/out/rate.bin" || fail "copy differs"
	resent=$(jq -r .retransmitted "$WORK/send.log.json")
	dups=$(duplicates once 1)
	echo "# $resent datagrams resent, $dups arrived twice"
	[ "$resent" -gt 0 ] || fail "nothing was resent"
	[ $((dups * 8)) -le "$resent" ] || fail "$dups of $resent repairs arrived twice"
}
