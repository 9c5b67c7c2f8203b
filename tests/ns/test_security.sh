# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Keyed sessions (docs/security.md): who holds the key gets files through, and
# nobody else writes anything, whatever they send: no key, another key, the
# wrong protection mode, replayed datagrams, a third host on the bridge.
source "$(dirname "${BASH_SOURCE[0]}")/transfer_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/fault_lib.sh"

# keys DIR: a key K and another key OTHER in DIR.
keys() {
	"$P2PKP" keygen "$1/K" >/dev/null || fail "keygen failed"
	"$P2PKP" keygen "$1/OTHER" >/dev/null || fail "keygen failed"
}

# nothing_written DIR: DIR holds no file, and no partial either.
nothing_written() {
	local found
	found=$(find "$1" -mindepth 1 ! -path "$1/.p2pkp-partial" 2>/dev/null || true)
	[ -z "$found" ] || fail "files appeared in $1: $found"
}

# recv_counter LOG NAME: a counter of the receiver's JSON summary.
recv_counter() {
	jq -r ".$2" "$1.json"
}

test_keygen_writes_a_private_key_once() {
	local dir before
	dir=$(new_tmpdir)
	umask 022
	expect_status 0 "$P2PKP" keygen "$dir/key"
	assert_eq "$(stat -c %a "$dir/key")" 600 "key file mode"
	grep -qxE '[0-9a-f]{64}' "$dir/key" || fail "not 64 hex digits: $(cat "$dir/key")"
	before=$(cat "$dir/key")
	expect_status 1 "$P2PKP" keygen "$dir/key"
	assert_contains "$OUT" "not overwriting" "keygen over a key"
	assert_eq "$(cat "$dir/key")" "$before" "the existing key"
	"$P2PKP" keygen "$dir/key2" >/dev/null
	[ "$(cat "$dir/key2")" != "$before" ] || fail "two keys are the same"
	# A key others can read is refused, before anything else happens.
	chmod 0644 "$dir/key"
	expect_status 1 "$P2PKP" recv --dev lo --out "$dir" --key-file "$dir/key"
	assert_contains "$OUT" "others may read it" "recv with a world-readable key"
	expect_status 2 "$P2PKP" send --dev lo --to 127.0.0.1 --encrypt "$dir/key2"
	assert_contains "$OUT" "--encrypt needs --key-file" "send --encrypt without a key"
}

test_keyed_transfers_authenticated_and_encrypted() {
	local src work mode
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	keys "$work"
	random_file "$src/f.bin" $(mib 16)
	mkdir -p "$src/tree/d"
	random_file "$src/tree/d/small" 3000
	for mode in mac encrypt; do
		local enc=()
		[ $mode = mac ] || enc=(--encrypt)
		start_recv b "$work/out-$mode" "$work/recv-$mode.log" --key-file "$work/K" "${enc[@]}"
		send_to a "$work/send-$mode.log" --to 10.77.0.2 --key-file "$work/K" "${enc[@]}" \
			"$src/f.bin" "$src/tree" || fail "$mode: send failed: $(cat "$work/send-$mode.log")"
		wait_recv || fail "$mode: receiver failed: $(cat "$work/recv-$mode.log")"
		cmp "$src/f.bin" "$work/out-$mode/f.bin" || fail "$mode: copy differs"
		cmp "$src/tree/d/small" "$work/out-$mode/tree/d/small" || fail "$mode: tree differs"
		assert_eq "$(recv_counter "$work/recv-$mode.log" auth_failed)" 0 "$mode: datagrams refused"
		if grep -q "no --key-file" "$work/send-$mode.log" "$work/recv-$mode.log"; then
			fail "$mode: a keyed run warned that it has no key"
		fi
	done
}

# A --once receiver with a key: a sender with another key and one without are
# both told "authentication failed" (exit 3) and write nothing; the receiver
# stays for the real sender, and ends with it.
test_wrong_key_or_none_writes_nothing() {
	local src work
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	keys "$work"
	random_file "$src/f.bin" $(mib 2)
	start_recv b "$work/out" "$work/recv.log" --key-file "$work/K"
	expect_status 3 in_ns a "$P2PKP" send --dev veth0 --to 10.77.0.2 --timeout 20 \
		--key-file "$work/OTHER" "$src/f.bin"
	assert_contains "$OUT" "authentication failed" "sender with another key"
	nothing_written "$work/out"
	expect_status 3 in_ns a "$P2PKP" send --dev veth0 --to 10.77.0.2 --timeout 20 "$src/f.bin"
	assert_contains "$OUT" "authentication failed" "sender without a key"
	assert_contains "$OUT" "no --key-file" "sender without a key"
	nothing_written "$work/out"
	kill -0 "$RECV_PID" 2>/dev/null || fail "the --once receiver ended on a refused session"
	if grep -q "session .*: 1 files" "$work/recv.log"; then
		fail "a session was set up for a sender without the key: $(cat "$work/recv.log")"
	fi
	send_to a "$work/send.log" --to 10.77.0.2 --key-file "$work/K" "$src/f.bin" ||
		fail "the real sender failed: $(cat "$work/send.log")"
	wait_recv || fail "receiver failed: $(cat "$work/recv.log")"
	cmp "$src/f.bin" "$work/out/f.bin" || fail "copy differs"
	[ "$(recv_counter "$work/recv.log" auth_failed)" -ge 2 ] ||
		fail "refused datagrams not counted: $(cat "$work/recv.log.json")"
}

# The other way round, and the other mode: refused at once with a reason.
test_key_mismatch_in_kind_is_refused() {
	local src work
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	keys "$work"
	random_file "$src/f.bin" 100000
	start_recv b "$work/out" "$work/recv.log"
	expect_status 3 in_ns a "$P2PKP" send --dev veth0 --to 10.77.0.2 --timeout 20 \
		--key-file "$work/K" "$src/f.bin"
	assert_contains "$OUT" "no key here" "keyed sender, receiver without a key"
	nothing_written "$work/out"
	kill "$RECV_PID"
	wait_recv || true
	start_recv b "$work/out2" "$work/recv2.log" --key-file "$work/K" --encrypt
	expect_status 3 in_ns a "$P2PKP" send --dev veth0 --to 10.77.0.2 --timeout 20 \
		--key-file "$work/K" "$src/f.bin"
	assert_contains "$OUT" "--encrypt required" "authenticating sender, encrypting receiver"
	nothing_written "$work/out2"
}

# Every datagram twice (a relay in the middle replays them all at once): the
# replay window drops each second copy before it is decoded, and the copy is
# byte-exact.
test_replayed_datagrams_are_dropped() {
	local src work
	need_tools
	bridged_topology
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	keys "$work"
	random_file "$src/f.bin" $(mib 4)
	start_relay "$work/relay.json" --dup 100 --direction forward
	RECV_DEV=r0 start_recv r "$work/out" "$work/recv.log" --key-file "$work/K"
	SEND_DEV=s0 send_to s "$work/send.log" --to 10.82.0.2 --key-file "$work/K" "$src/f.bin" ||
		fail "send failed: $(cat "$work/send.log")"
	wait_recv || fail "receiver failed: $(cat "$work/recv.log")"
	stop_relay "$work/relay.json"
	cmp "$src/f.bin" "$work/out/f.bin" || fail "copy differs"
	[ "$(relay_counter duplicated)" -gt 0 ] || fail "the relay replayed nothing"
	assert_eq "$(recv_counter "$work/recv.log" duplicates)" 0 "replayed blocks that got through"
	[ "$(recv_counter "$work/recv.log" auth_failed)" -ge "$(relay_counter duplicated)" ] ||
		fail "replays not all refused: $(cat "$work/recv.log.json")"
}

# A third host on the same bridge, with the real sender's traffic flowing:
# its own sessions (no key, another key) write nothing and the real copy is
# byte-exact.
test_third_host_on_the_bridge_writes_nothing() {
	local src work evil
	bridged_hosts 2
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	keys "$work"
	random_file "$src/f.bin" $(mib 8)
	evil=$(new_tmpdir)
	random_file "$evil/planted" 5000
	start_recv r1 "$work/out" "$work/recv.log" --key-file "$work/K" --from 10.77.0.1
	expect_status 3 in_ns r2 "$P2PKP" send --dev veth0 --to 10.77.0.11 --timeout 20 \
		"$evil/planted"
	expect_status 3 in_ns r2 "$P2PKP" send --dev veth0 --to 10.77.0.11 --timeout 20 \
		--key-file "$work/OTHER" "$evil/planted"
	nothing_written "$work/out"
	send_to a "$work/send.log" --to 10.77.0.11 --key-file "$work/K" "$src/f.bin" ||
		fail "the real sender failed: $(cat "$work/send.log")"
	wait_recv || fail "receiver failed: $(cat "$work/recv.log")"
	cmp "$src/f.bin" "$work/out/f.bin" || fail "copy differs"
	[ ! -e "$work/out/planted" ] || fail "the third host's file arrived"
}

# --from with a port admits that port only: a filter, documented as such.
test_from_matches_the_port_when_given() {
	local src work
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/f.bin" 100000
	start_recv b "$work/out" "$work/recv.log" --from 10.77.0.1:7000
	expect_status 1 in_ns a "$P2PKP" send --dev veth0 --to 10.77.0.2:7471 --timeout 20 "$src/f.bin"
	assert_contains "$OUT" "not allowed" "a sender from port 7471"
	nothing_written "$work/out"
	send_to a "$work/send.log" --port 7000 --to 10.77.0.2:7471 "$src/f.bin" ||
		fail "the sender from port 7000 failed: $(cat "$work/send.log")"
	wait_recv || fail "receiver failed: $(cat "$work/recv.log")"
	cmp "$src/f.bin" "$work/out/f.bin" || fail "copy differs"
}
