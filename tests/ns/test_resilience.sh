# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Transfers that meet trouble: several receivers, restarts, hostile peers, full disks.
source "$(dirname "${BASH_SOURCE[0]}")/transfer_lib.sh"

# state_holds DIR PCT: true once a resume state in DIR/.p2pkp-partial/ claims at
# least PCT% of its file's blocks. It reads the bitmap image inside the state
# (docs/protocol.md 14.3: magic P2PKPBM1, u64 nbits, u64 count, big-endian),
# found by its magic, so the identity header before it may change.
state_holds() {
	local st off nbits count
	for st in "$1"/.p2pkp-partial/*.state; do
		[ -f "$st" ] || continue
		off=$(LC_ALL=C grep -obUaF P2PKPBM1 "$st" | head -1 | cut -d: -f1)
		[ -n "$off" ] || continue
		read -r nbits count < <(od -An -t u8 --endian=big -j $((off + 8)) -N 16 "$st")
		[ "${nbits:-0}" -gt 0 ] || continue
		[ $((count * 100)) -ge $((nbits * $2)) ] && return 0
	done
	return 1
}

test_three_receivers_through_a_bridge() {
	local src work i pids=()
	bridged_hosts 3
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/fan/out.bin" $(mib 16)
	mkdir -p "$src/fan/empty"
	for i in 1 2 3; do
		start_recv "r$i" "$work/out$i" "$work/recv$i.log"
		pids+=("$RECV_PID")
	done
	send_to a "$work/send.log" --to 10.77.0.11 --to 10.77.0.12 --to 10.77.0.13 "$src/fan" ||
		fail "send failed: $(cat "$work/send.log")"
	for i in 1 2 3; do
		RECV_PID=${pids[$((i - 1))]}
		wait_recv || fail "receiver $i failed: $(cat "$work/recv$i.log")"
		same_tree "$src" "$work/out$i"
	done
	assert_eq "$(jq '[.receivers[] | select(.ok)] | length' "$work/send.log.json")" 3 "receivers ok"
}

# The receiver dies mid-transfer and comes back: the sender re-opens, and only
# what the first receiver had not saved is sent again.
test_receiver_restart_resumes() {
	local src work written
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/resume.bin" $(mib 48)
	start_recv b "$work/out" "$work/recv1.log"
	in_ns a timeout "$(scaled 120)" "$P2PKP" send --dev veth0 --json --to 10.77.0.2 \
		--rate "$(mbit 100)" "$src/resume.bin" >"$work/send.log.json" 2>"$work/send.log" &
	started_pids+=($!)
	local send_pid=$!
	# Kill once a periodic state has recorded a quarter of the file.
	wait_for 30 state_holds "$work/out" 25 ||
		fail "no resume state claiming 25% of resume.bin after $(scaled 30) s: $(cat "$work/recv1.log")"
	# SIGKILL to the receiver, the child of the timeout(1) we started: no chance to
	# save anything beyond its last periodic state. timeout reaps it before it exits.
	pkill -KILL -P "$RECV_PID" || fail "no receiver to kill"
	wait "$RECV_PID" 2>/dev/null || true
	[ ! -e "$work/out/resume.bin" ] || fail "an incomplete file appeared under its name"
	ls "$work/out/.p2pkp-partial/"*.state >/dev/null || fail "no resume state left behind"
	start_recv b "$work/out" "$work/recv2.log"
	wait "$send_pid" || fail "send failed: $(cat "$work/send.log")"
	wait_recv || fail "second receiver failed: $(cat "$work/recv2.log")"
	cmp "$src/resume.bin" "$work/out/resume.bin" || fail "resumed copy differs"
	written=$(json_field "$work/recv2.log.json" bytes_written)
	[ "$written" -lt $(mib 40) ] || fail "nothing was resumed: $written bytes written again"
	assert_contains "$(cat "$work/send.log")" "re-opening"
}

# The sender dies: nothing appears under its final name; sending again resumes.
test_sender_killed_then_resent() {
	local src work written
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/again.bin" $(mib 32)
	start_recv b "$work/out" "$work/recv1.log" --timeout 2
	send_then_kill "$src/again.bin" 60 30 state_holds "$work/out" 10
	wait_recv && fail "receiver reported success without the sender"
	[ ! -e "$work/out/again.bin" ] || fail "file appeared under its final name"
	start_recv b "$work/out" "$work/recv2.log"
	send_to a "$work/send2.log" --to 10.77.0.2 "$src/again.bin" ||
		fail "second send failed: $(cat "$work/send2.log")"
	wait_recv || fail "receiver failed: $(cat "$work/recv2.log")"
	cmp "$src/again.bin" "$work/out/again.bin" || fail "copy differs"
	written=$(json_field "$work/recv2.log.json" bytes_written)
	[ "$written" -lt $(mib 32) ] || fail "nothing was resumed: $written bytes written"
}

# A symlink inside DIR that points out of it is never followed.
test_symlink_escape_refused() {
	local src work outside
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	outside=$(new_tmpdir)
	mkdir -p "$src/link" "$work/out"
	random_file "$src/link/payload" 4000
	ln -s "$outside" "$work/out/link"
	start_recv b "$work/out" "$work/recv.log"
	send_to a "$work/send.log" --to 10.77.0.2 "$src/link" && fail "send succeeded"
	wait_recv && fail "receiver reported success"
	[ -z "$(ls -A "$outside")" ] || fail "wrote outside DIR: $(ls -A "$outside")"
	assert_contains "$(cat "$work/recv.log")" "link"
	assert_eq "$(json_field "$work/send.log.json" receivers[0].ok)" false "receiver ok"
}

# Not enough room: refused up front with a clear reason, nothing published.
test_full_disk_refused() {
	local src work
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/too-big.bin" $(mib 8)
	mkdir -p "$work/small"
	# The tmpfs lives in the receiver's own mount namespace, which `ip netns exec` creates.
	bg_in_ns b bash -c "mount -t tmpfs -o size=$(($(mib 8) / 4096))k p2pkp-test '$work/small' &&
		timeout $(scaled 60) '$P2PKP' recv --dev veth0 --out '$work/small' --once --timeout 3 \
			2>'$work/recv.log'; echo \$? >'$work/recv.rc'; ls -A '$work/small' >'$work/left'"
	RECV_PID=$BG_PID
	wait_for 10 grep -q "receiving on" "$work/recv.log" || fail "receiver did not start"
	send_to a "$work/send.log" --to 10.77.0.2 --timeout 5 "$src/too-big.bin" &&
		fail "send succeeded onto a full disk"
	assert_contains "$(cat "$work/send.log")" "NO_SPACE"
	wait "$RECV_PID" || true
	[ "$(cat "$work/recv.rc")" != 0 ] || fail "receiver exited 0"
	grep -q too-big "$work/left" && fail "file published on the full disk"
	assert_contains "$(cat "$work/recv.log")" "not enough free space"
}

# Garbage datagrams to the port during a transfer, and a hostile name in the same
# session: the clean file completes, the receiver lives, nothing escapes OUT.
# The hostile name "link/evil" passes the protocol's name check, so it reaches
# the file store, where OUT/link is a symlink planted to a directory outside OUT.
# It is sent by a real sender (no hand-made messages: the wire format changes).
test_garbage_during_transfer() {
	local src work outside send_pid i rc=0
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	outside=$(new_tmpdir)
	random_file "$src/clean.bin" $(mib 24)
	random_file "$src/link/evil" 4000
	mkdir -p "$work/out"
	ln -s "$outside" "$work/out/link"
	start_recv b "$work/out" "$work/recv.log"
	in_ns a timeout "$(scaled 60)" "$P2PKP" send --dev veth0 --json --to 10.77.0.2 \
		--rate "$(mbit 200)" --timeout 5 "$src/clean.bin" "$src/link" \
		>"$work/send.log.json" 2>"$work/send.log" &
	send_pid=$!
	started_pids+=("$send_pid")
	for i in $(seq 1 200); do
		head -c $((16 + i % 200)) /dev/urandom |
			in_ns a timeout 2 nc -u -w 0 10.77.0.2 7471 2>/dev/null || true
	done
	wait "$send_pid" || rc=$?
	[ "$rc" -ne 0 ] || fail "send succeeded although link/evil must be refused"
	[ "$rc" -ne 124 ] || fail "send timed out: $(cat "$work/send.log")"
	wait_recv && fail "receiver reported success although link/evil was refused"
	cmp "$src/clean.bin" "$work/out/clean.bin" || fail "copy differs"
	[ "$(json_field "$work/recv.log.json" bad_msgs)" -gt 0 ] || fail "garbage not counted"
	[ -z "$(ls -A "$outside")" ] || fail "hostile name escaped OUT: $(ls -A "$outside")"
	assert_contains "$(cat "$work/send.log")" "BAD_NAME"
	assert_contains "$(cat "$work/recv.log")" "link/evil"
}

# Names past the protocol's 1024 bytes are refused by the sender, with the reason.
test_name_too_long_refused() {
	local src work deep comp
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	comp=$(printf 'n%.0s' $(seq 1 200))
	deep="$src/top/$comp/$comp/$comp/$comp/$comp/$comp"
	mkdir -p "$deep"
	echo data >"$deep/file"
	expect_status 1 in_ns a "$P2PKP" send --dev veth0 --to 10.77.0.2 --timeout 3 "$src/top"
	assert_contains "$OUT" "1024"
}

# Without --once the receiver serves session after session, and on SIGTERM it
# unloads the program it loaded and leaves nothing half-named.
test_serves_until_sigterm() {
	local src work i
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	mkdir -p "$work/out"
	bg_in_ns b "$P2PKP" recv --dev veth0 --out "$work/out" 2>"$work/recv.log"
	local recv_pid=$BG_PID
	wait_for 10 grep -q "receiving on" "$work/recv.log" || fail "receiver did not start"
	for i in 1 2 3; do
		random_file "$src/s$i.bin" $(mib $i)
		send_to a "$work/send$i.log" --to 10.77.0.2 "$src/s$i.bin" ||
			fail "session $i failed: $(cat "$work/send$i.log")"
		cmp "$src/s$i.bin" "$work/out/s$i.bin" || fail "session $i copy differs"
	done
	# A session cut short, then SIGTERM while nothing is running.
	random_file "$src/cut.bin" $(mib 32)
	bg_in_ns a "$P2PKP" send --dev veth0 --to 10.77.0.2 --rate "$(mbit 50)" --timeout 3 "$src/cut.bin" \
		>/dev/null 2>&1
	local send_pid=$BG_PID
	# The three sessions before left no state: any state now is cut.bin's.
	wait_for 30 state_holds "$work/out" 1 ||
		fail "no resume state for cut.bin after $(scaled 30) s: $(cat "$work/recv.log")"
	kill -KILL "$send_pid"
	wait "$send_pid" 2>/dev/null || true
	kill -TERM "$recv_pid"
	wait "$recv_pid" || fail "receiver exited non-zero after SIGTERM: $(cat "$work/recv.log")"
	[ ! -e "$work/out/cut.bin" ] || fail "a cut-short file appeared under its name"
	ls "$work/out/.p2pkp-partial/"*.state >/dev/null || fail "no resume state kept"
	! xdp_attached b veth0 || fail "steering program left loaded"
	assert_eq "$(grep -c "complete: 1 files verified" "$work/recv.log")" 3 "sessions served"
}
