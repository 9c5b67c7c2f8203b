# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# "Verified" means verified: what another session, a planted or damaged partial,
# or a receiver that cannot take a file does must never end as a wrong file
# reported complete, and the sender's summary never counts bytes it did not move.
source "$(dirname "${BASH_SOURCE[0]}")/transfer_lib.sh"

# partial_file DIR: the one partial data file under DIR/.p2pkp-partial, if any.
partial_file() {
	find "$1/.p2pkp-partial" -name '*.part' 2>/dev/null | head -1
}

# has_partial DIR: a partial data file exists (a session is writing into DIR).
has_partial() {
	[ -n "$(partial_file "$1")" ]
}

# has_state DIR: a resume state was saved in DIR.
has_state() {
	[ -n "$(find "$1/.p2pkp-partial" -name '*.state' 2>/dev/null)" ]
}

# refused LOG N: the receiver logged at least N times that a file was another session's.
refused() {
	[ "$(grep -c "another session is writing this file" "$1")" -ge "$2" ]
}

# second_sender_then_kill NS LOCALPORT TO FILE LOG RLOG N: start a sender of FILE to TO,
# wait until the receiver behind TO (logging to RLOG) has refused a file N times,
# then kill the sender.
second_sender_then_kill() {
	local ns=$1 port=$2 to=$3 file=$4 log=$5 rlog=$6 n=$7 pid
	bg_in_ns "$ns" "$P2PKP" send --dev veth0 --backend socket --port "$port" --to "$to" \
		--timeout 5 "$file" >/dev/null 2>"$log"
	pid=$BG_PID
	wait_for 10 refused "$rlog" "$n" ||
		fail "the second session was not refused: $(cat "$rlog")"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# shared_out_transfer OUT FILE TAG MBIT: two receivers on b serve OUT (port 7000
# over AF_XDP, 7001 over sockets) and sender A sends FILE to the first at MBIT
# Mbit/s, slowed further by the timeout scale: the other senders of the test
# must start while A still runs, and they start slowly in an emulated VM.
# Returns once A's partial exists. Sets R1, R2 and A (PIDs); logs in $WORK/TAG-*.
shared_out_transfer() {
	local out=$1 file=$2 tag=$3 rate=$(($4 * 1000 / SIZE_DIVISOR / TIMEOUT_SCALE))
	start_recv b "$out" "$WORK/$tag-r1.log" --port 7000
	R1=$RECV_PID
	# Not --once: it serves every other sender of the test, however far apart.
	mkdir -p "$out"
	bg_in_ns b timeout "$(scaled 120)" "$P2PKP" recv --dev veth0 --out "$out" --port 7001 \
		--backend socket 2>"$WORK/$tag-r2.log"
	R2=$BG_PID
	wait_for 10 grep -q "receiving on" "$WORK/$tag-r2.log" ||
		fail "$tag: receiver 2 did not start: $(cat "$WORK/$tag-r2.log")"
	bg_in_ns a timeout "$(scaled 60)" "$P2PKP" send --dev veth0 --port 7000 \
		--to 10.77.0.2:7000 --rate "${rate}k" --json "$file" \
		>"$WORK/$tag-a.json" 2>"$WORK/$tag-a.log"
	A=$BG_PID
	wait_for 10 has_partial "$out" || fail "$tag: A never started: $(cat "$WORK/$tag-a.log")"
}

# Two receivers share one output directory; while sender A sends a file to one,
# sender B announces the same file to the other and is killed. Five times: A's
# copy is byte-exact, or A fails; never "verified" with other content.
test_second_session_cannot_corrupt_a_transfer() {
	local src i rc out
	two_hosts
	src=$(new_tmpdir)
	WORK=$(new_tmpdir)
	random_file "$src/shared.bin" $(mib 3)
	for i in 1 2 3 4 5; do
		out="$WORK/out$i"
		shared_out_transfer "$out" "$src/shared.bin" "run$i" 20
		second_sender_then_kill a 7003 10.77.0.2:7001 "$src/shared.bin" "$WORK/run$i-b.log" \
			"$WORK/run$i-r2.log" 1
		rc=0
		wait "$A" || rc=$?
		if [ "$rc" -eq 0 ]; then
			cmp "$src/shared.bin" "$out/shared.bin" ||
				fail "run $i: A exited 0 but the published file differs"
			assert_eq "$(json_field "$WORK/run$i-a.json" result)" ok "run $i: A's result"
		fi
		RECV_PID=$R1
		wait_recv || [ "$rc" -ne 0 ] || fail "run $i: receiver 1 failed: $(cat "$WORK/run$i-r1.log")"
		kill "$R2" 2>/dev/null || true
		wait "$R2" 2>/dev/null || true
		[ "$rc" -eq 0 ] || fail "run $i: A failed ($rc) though B was refused: $(cat "$WORK/run$i-a.log")"
	done
}

# A session that keeps re-announcing the identity of a file being received
# (four senders started and killed in a row) does not damage the transfer.
test_reannounced_identity_leaves_transfer_intact() {
	local src i
	two_hosts
	src=$(new_tmpdir)
	WORK=$(new_tmpdir)
	random_file "$src/busy.bin" $(mib 6)
	shared_out_transfer "$WORK/out" "$src/busy.bin" busy 10
	for i in 1 2 3 4; do
		second_sender_then_kill a $((7010 + i)) 10.77.0.2:7001 "$src/busy.bin" \
			"$WORK/b$i.log" "$WORK/busy-r2.log" "$i"
	done
	wait "$A" || fail "A failed: $(cat "$WORK/busy-a.log")"
	cmp "$src/busy.bin" "$WORK/out/busy.bin" || fail "the published file differs"
	RECV_PID=$R1
	wait_recv || fail "receiver 1 failed: $(cat "$WORK/busy-r1.log")"
	kill "$R2" 2>/dev/null || true
}

# A file that is already there is not sent again and nothing is claimed to have
# moved; a different file under the same name, size and mtime is refused and the
# published file does not change.
test_published_file_is_never_written_again() {
	local src work before
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/done.bin" $(mib 2)
	start_recv b "$work/out" "$work/r1.log"
	send_to a "$work/s1.log" --to 10.77.0.2 "$src/done.bin" || fail "first send failed"
	wait_recv || fail "receiver failed: $(cat "$work/r1.log")"
	before=$(sha256sum <"$work/out/done.bin")

	start_recv b "$work/out" "$work/r2.log"
	send_to a "$work/s2.log" --to 10.77.0.2 "$src/done.bin" || fail "second send failed"
	wait_recv || fail "receiver failed: $(cat "$work/r2.log")"
	assert_eq "$(jq '.receivers[0].files_have' "$work/s2.log.json")" 1 "files_have"
	assert_eq "$(json_field "$work/s2.log.json" data_bytes)" 0 "data_bytes"
	assert_eq "$(json_field "$work/s2.log.json" delivered_bytes)" 0 "delivered_bytes"
	assert_eq "$(json_field "$work/s2.log.json" skipped_bytes)" $(mib 2) "skipped_bytes"
	assert_eq "$(json_field "$work/s2.log.json" goodput_bps)" null "goodput with nothing moved"

	# Same name, size and mtime, other content: not HAVE, refused, untouched.
	touch -r "$src/done.bin" "$work/ref"
	dd if=/dev/urandom of="$src/done.bin" bs=4096 count=1 conv=notrunc status=none
	touch -r "$work/ref" "$src/done.bin"
	start_recv b "$work/out" "$work/r3.log"
	expect_status 1 send_to a "$work/s3.log" --to 10.77.0.2 "$src/done.bin"
	wait_recv && fail "receiver reported success for a refused file"
	assert_eq "$(sha256sum <"$work/out/done.bin")" "$before" "published file after a refused send"
	assert_eq "$(jq -r '.receivers[0].failed[0]' "$work/s3.log.json")" done.bin "failed file named"
	assert_eq "$(json_field "$work/s3.log.json" goodput_bps)" null "goodput of a refused file"
}

# A partial whose data was changed behind the receiver's back (as a planted one
# would be) is not trusted on resume: the damaged blocks are fetched again.
test_damaged_partial_is_refetched() {
	local src work
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/planted.bin" $(mib 16)
	start_recv b "$work/out" "$work/r1.log" --timeout 2
	send_then_kill "$src/planted.bin" 40 20 has_state "$work/out"
	wait_recv && fail "receiver reported success without the sender"
	# Overwrite the start of the partial, which the state claims as held.
	dd if=/dev/zero of="$(partial_file "$work/out")" bs=65536 count=4 conv=notrunc status=none
	start_recv b "$work/out" "$work/r2.log"
	send_to a "$work/s2.log" --to 10.77.0.2 "$src/planted.bin" ||
		fail "resumed send failed: $(cat "$work/s2.log")"
	wait_recv || fail "receiver failed: $(cat "$work/r2.log")"
	cmp "$src/planted.bin" "$work/out/planted.bin" || fail "a damaged block was published"
	[ ! -e "$work/out/.p2pkp-partial" ] || fail "an empty .p2pkp-partial was left behind"
}

# A partial directory the receiver does not own alone is refused, with the reason.
test_foreign_partial_dir_is_refused() {
	local work
	two_hosts
	work=$(new_tmpdir)
	mkdir -p "$work/ww/.p2pkp-partial" "$work/sl" "$work/elsewhere" "$work/other/.p2pkp-partial"
	chmod 0777 "$work/ww/.p2pkp-partial"
	ln -s "$work/elsewhere" "$work/sl/.p2pkp-partial"
	chown 65534:65534 "$work/other/.p2pkp-partial"
	chmod 0700 "$work/other/.p2pkp-partial"
	expect_status 1 in_ns b timeout 10 "$P2PKP" recv --dev veth0 --out "$work/ww" --once
	assert_contains "$OUT" "writable by others"
	expect_status 1 in_ns b timeout 10 "$P2PKP" recv --dev veth0 --out "$work/sl" --once
	assert_contains "$OUT" ".p2pkp-partial"
	expect_status 1 in_ns b timeout 10 "$P2PKP" recv --dev veth0 --out "$work/other" --once
	assert_contains "$OUT" "owned by"
}

# A receiver that cannot take the data refuses it: the sender exits non-zero,
# names the receiver's reason and claims no goodput.
test_refused_size_is_reported_honestly() {
	local src work
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/big.bin" $(mib 24)
	mkdir -p "$work/small"
	# A tmpfs of half the file, seen only by the receiver's own mount namespace,
	# gone when it exits.
	bg_in_ns b timeout "$(scaled 60)" unshare -m sh -c \
		'mount -t tmpfs -o "size=$2" none "$1" && shift 2 && exec "$@"' sh "$work/small" \
		$(($(mib 24) / 2)) \
		"$P2PKP" recv --dev veth0 --out "$work/small" --once --json \
		>"$work/r.json" 2>"$work/r.log"
	RECV_PID=$BG_PID
	wait_for 10 grep -q "receiving on" "$work/r.log" || fail "receiver did not start"
	expect_status 1 send_to a "$work/s.log" --to 10.77.0.2 "$src/big.bin"
	assert_contains "$(cat "$work/s.log")" "NO_SPACE"
	assert_eq "$(json_field "$work/s.log.json" goodput_bps)" null "goodput of a refused session"
	assert_eq "$(json_field "$work/s.log.json" data_bytes)" 0 "data_bytes"
	kill "$RECV_PID" 2>/dev/null || true
}
