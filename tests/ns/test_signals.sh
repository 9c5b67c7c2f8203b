# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Every way a terminal or an operator stops a command cleans up what it set up.
source "$(dirname "${BASH_SOURCE[0]}")/transfer_lib.sh"

# SIGHUP (a closed terminal) stops recv and send like SIGINT: the steering
# programs they attached are gone, the partial file stays resumable, nothing
# appears under its final name.
test_sighup_cleans_up() {
	local src work recv_pid send_pid
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/hup.bin" $(mib 32)
	mkdir -p "$work/out"
	bg_in_ns b "$P2PKP" recv --dev veth0 --out "$work/out" 2>"$work/recv.log"
	recv_pid=$BG_PID
	wait_for 10 grep -q "receiving on" "$work/recv.log" || fail "receiver did not start"
	bg_in_ns a "$P2PKP" send --dev veth0 --to 10.77.0.2 --rate "$(mbit 50)" "$src/hup.bin" \
		>/dev/null 2>"$work/send.log"
	send_pid=$BG_PID
	wait_for 20 grep -q "session" "$work/recv.log" || fail "no session started"
	xdp_attached a veth0 || fail "the sender attached no steering program"
	kill -HUP "$send_pid"
	local rc=0
	wait "$send_pid" || rc=$?
	[ "$rc" -ne 129 ] || fail "send died of SIGHUP instead of cleaning up"
	! xdp_attached a veth0 || fail "send left its steering program after SIGHUP"
	kill -HUP "$recv_pid"
	wait "$recv_pid" || rc=$?
	[ "$rc" -ne 129 ] || fail "recv died of SIGHUP instead of cleaning up"
	! xdp_attached b veth0 || fail "recv left its steering program after SIGHUP"
	[ ! -e "$work/out/hup.bin" ] || fail "a cut-short file appeared under its name"
	ls "$work/out/.p2pkp-partial/"*.part >/dev/null || fail "no partial kept for resume"
}

# A receiver stopped mid-session (Ctrl-C) tells its sender at once, which
# fails that receiver with the reason instead of sending into the void until
# its timeout (600 s here: only the ABORT can end it in time); a --once
# receiver exits 1, its one session cut short.
test_stopped_receiver_tells_the_sender() {
	local src work recv_pid rc=0
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/int.bin" $(mib 32)
	mkdir -p "$work/out"
	bg_in_ns b "$P2PKP" recv --dev veth0 --out "$work/out" --once 2>"$work/recv.log"
	recv_pid=$BG_PID
	wait_for 10 grep -q "receiving on" "$work/recv.log" || fail "receiver did not start"
	bg_in_ns a timeout "$(scaled 60)" "$P2PKP" send --dev veth0 --to 10.77.0.2 \
		--rate "$(mbit 50)" --timeout 600 "$src/int.bin" >/dev/null 2>"$work/send.log"
	local send_pid=$BG_PID
	wait_for 20 grep -q "session" "$work/recv.log" || fail "no session started"
	kill -INT "$recv_pid"
	wait "$recv_pid" || rc=$?
	assert_eq "$rc" 1 "recv's exit status after cutting a session short"
	rc=0
	wait "$send_pid" || rc=$?
	assert_eq "$rc" 1 "send's exit status: $(cat "$work/send.log")"
	grep -q "receiver aborted: CANCELLED" "$work/send.log" ||
		fail "the sender was not told: $(cat "$work/send.log")"
}
