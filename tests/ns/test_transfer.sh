# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# send / recv end to end between test namespaces: sizes, trees, backends, IPv6.
source "$(dirname "${BASH_SOURCE[0]}")/transfer_lib.sh"

# xfer SRC_DIR SEND_BACKEND RECV_BACKEND [send args...]: a → b, output compared.
xfer() {
	local src=$1 sb=$2 rb=$3 work out
	shift 3
	work=$(new_tmpdir)
	out=$work/out
	start_recv b "$out" "$work/recv.log" --backend "$rb"
	send_to a "$work/send.log" --to 10.77.0.2 --backend "$sb" "$@" "$src"/* ||
		fail "send failed: $(cat "$work/send.log")"
	wait_recv || fail "receiver failed: $(cat "$work/recv.log")"
	same_tree "$src" "$out"
	assert_eq "$(json_field "$work/send.log.json" result)" ok "send result"
	assert_eq "$(json_field "$work/recv.log.json" result)" ok "recv result"
	LAST_WORK=$work
}

test_sizes_around_block() {
	local src
	two_hosts
	src=$(new_tmpdir)
	for n in 0 1 1399 1400 1401 4199 4200 4201 65536; do
		random_file "$src/f$n" "$n"
	done
	xfer "$src" xdp xdp --block-size 1400
	assert_eq "$(json_field "$LAST_WORK/send.log.json" files)" 9 "files"
}

test_large_file_xdp() {
	local src
	two_hosts
	src=$(new_tmpdir)
	random_file "$src/big.bin" $(mib 64) # 64 MiB on the host
	xfer "$src" xdp xdp
	assert_eq "$(json_field "$LAST_WORK/send.log.json" backend)" xdp "send backend"
	assert_eq "$(json_field "$LAST_WORK/recv.log.json" backend)" xdp "recv backend"
	[ "$(in_ns b "$P2PKP" status veth0 --json 2>/dev/null | jq -r .loaded)" != true ] ||
		fail "the receiver left its steering program loaded"
}

test_tree_with_empty_dirs_and_200_files() {
	local src i
	two_hosts
	src=$(new_tmpdir)
	mkdir -p "$src/tree/empty" "$src/tree/a/b/c/empty too" "$src/tree/ünïcødé ∂ir"
	for i in $(seq 1 200); do
		random_file "$src/tree/a/b/file $i.dat" $((i * 37))
	done
	random_file "$src/tree/ünïcødé ∂ir/名前 with spaces.txt" 5000
	: >"$src/tree/a/empty file"
	chmod 0640 "$src/tree/a/b/file 7.dat"
	chmod 0700 "$src/tree/a/b/c"
	xfer "$src" xdp xdp
	assert_eq "$(json_field "$LAST_WORK/send.log.json" files)" 209 "entries"
}

test_socket_to_xdp() {
	local src
	two_hosts
	src=$(new_tmpdir)
	random_file "$src/data" $(mib 8)
	xfer "$src" socket xdp
}

test_xdp_to_socket() {
	local src
	two_hosts
	src=$(new_tmpdir)
	random_file "$src/data" $(mib 8)
	xfer "$src" xdp socket
}

# ipv6_settled NS: no IPv6 address in NS is still tentative.
ipv6_settled() {
	local out
	out=$(in_ns "$1" ip -6 addr show tentative) || return 1
	[ -z "$out" ]
}

test_ipv6() {
	local src work
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/data6" $(mib 8)
	# The link-local addresses must be usable before neighbour discovery answers:
	# wait for duplicate address detection to finish on both hosts.
	wait_for 5 ipv6_settled a && wait_for 5 ipv6_settled b ||
		fail "IPv6 addresses still tentative after $(scaled 5) s: a: $(in_ns a ip -6 -br addr show tentative)" \
			"b: $(in_ns b ip -6 -br addr show tentative)"
	[ -z "$(in_ns a ip -6 addr show dadfailed)$(in_ns b ip -6 addr show dadfailed)" ] ||
		fail "duplicate address detection failed on veth0"
	start_recv b "$work/out" "$work/recv.log" --backend xdp
	send_to a "$work/send.log" --to '[fd77::2]' --backend xdp "$src/data6" ||
		fail "send failed: $(cat "$work/send.log")"
	wait_recv || fail "receiver failed: $(cat "$work/recv.log")"
	cmp "$src/data6" "$work/out/data6" || fail "IPv6 copy differs"
}

test_mtime_and_mode_kept() {
	local src
	two_hosts
	src=$(new_tmpdir)
	random_file "$src/stamped" 3000
	chmod 0604 "$src/stamped"
	touch -d '2001-02-03 04:05:06.123456789' "$src/stamped"
	xfer "$src" xdp xdp
	assert_eq "$(stat -c '%a %.9Y' "$LAST_WORK/out/stamped")" \
		"$(stat -c '%a %.9Y' "$src/stamped")" "mode and mtime"
}

test_existing_file_refused_or_kept() {
	local src work
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/same" 10000
	random_file "$src/other" 10000
	mkdir -p "$work/out"
	cp -p "$src/same" "$work/out/same"
	echo "a different file" >"$work/out/other"
	start_recv b "$work/out" "$work/recv.log" --backend xdp
	send_to a "$work/send.log" --to 10.77.0.2 "$src/same" "$src/other" &&
		fail "send succeeded although 'other' exists"
	wait_recv && fail "receiver reported success"
	assert_eq "$(cat "$work/out/other")" "a different file" "existing file"
	assert_eq "$(json_field "$work/send.log.json" receivers[0].files_have)" 1 "files_have"
	assert_eq "$(json_field "$work/send.log.json" receivers[0].files_failed)" 1 "files_failed"
	grep -q "other" "$work/recv.log" || fail "the refusal was not logged: $(cat "$work/recv.log")"
	# With --overwrite it is replaced.
	start_recv b "$work/out" "$work/recv2.log" --backend xdp --overwrite
	send_to a "$work/send2.log" --to 10.77.0.2 "$src/same" "$src/other" ||
		fail "send with --overwrite failed: $(cat "$work/send2.log")"
	wait_recv
	cmp "$src/other" "$work/out/other" || fail "not overwritten"
}

test_from_filter_refuses() {
	local src work
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/x" 1000
	start_recv b "$work/out" "$work/recv.log" --from 10.77.0.99
	send_to a "$work/send.log" --to 10.77.0.2 --timeout 3 "$src/x" && fail "send succeeded"
	assert_contains "$(cat "$work/send.log")" "refused"
	assert_contains "$(cat "$work/recv.log")" "not allowed"
	kill "$RECV_PID" 2>/dev/null || true
	wait "$RECV_PID" 2>/dev/null || true
	[ ! -e "$work/out/x" ] || fail "file written despite --from"
}

test_bad_arguments() {
	two_hosts
	expect_status 2 "$P2PKP" send --dev veth0 /etc/hostname
	assert_contains "$OUT" "missing required option --to"
	expect_status 2 "$P2PKP" send --dev veth0 --to 10.77.0.2
	assert_contains "$OUT" "missing PATH"
	expect_status 2 "$P2PKP" send --dev veth0 --to 10.77.0.256 /etc/hostname
	assert_contains "$OUT" "bad receiver '10.77.0.256'"
	expect_status 2 "$P2PKP" send --dev veth0 --to 10.77.0.2 --to 10.77.0.2:7471 /etc/hostname
	assert_contains "$OUT" "given twice"
	expect_status 2 "$P2PKP" send --dev veth0 --to 10.77.0.2 --rate fast /etc/hostname
	assert_contains "$OUT" "bad --rate 'fast'"
	expect_status 1 in_ns a "$P2PKP" send --dev veth0 --to 10.77.0.2 /nonexistent/file
	assert_contains "$OUT" "/nonexistent/file"
	expect_status 1 in_ns b "$P2PKP" recv --dev veth0 --out /nonexistent/dir --once
	assert_contains "$OUT" "/nonexistent/dir"
	expect_status 1 in_ns b "$P2PKP" recv --dev nosuchdev0 --once --backend xdp
	assert_contains "$OUT" "nosuchdev0"
}

# A progress line on a terminal, silence otherwise.
test_progress_only_on_a_terminal() {
	local src work
	require_cmd script
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/p.bin" $(mib 16)
	start_recv b "$work/out" "$work/recv.log"
	in_ns a script -qec "timeout $(scaled 60) $P2PKP send --dev veth0 --to 10.77.0.2 \
		--rate $(mbit 200) $src/p.bin" /dev/null >"$work/tty.out" 2>&1 ||
		fail "send on a terminal failed: $(cat "$work/tty.out")"
	wait_recv
	grep -q "ETA" "$work/tty.out" || fail "no progress on a terminal: $(cat "$work/tty.out")"
	grep -q "10.77.0.2:7471 100% done" "$work/tty.out" || fail "no final progress line"
	start_recv b "$work/out2" "$work/recv2.log"
	send_to a "$work/send.log" --to 10.77.0.2 "$src/p.bin" || fail "send failed"
	wait_recv
	grep -q "ETA" "$work/send.log" && fail "progress drawn without a terminal"
	return 0
}

# A receiver nobody can reach fails at once, with the reason, instead of after
# --timeout: a local address, and an on-link address that answers no ARP
# (after a few tries). --timeout is long on purpose: the
# message, not the clock, tells the two paths apart.
test_unreachable_receivers_fail_fast() {
	local src
	two_hosts
	src=$(new_tmpdir)
	random_file "$src/f" 1000
	expect_status 1 in_ns a "$P2PKP" send --dev veth0 --to 10.77.0.1 --timeout 600 "$src/f"
	assert_contains "$OUT" "is a local address" "send to ourselves"
	assert_contains "$OUT" "cannot send to it" "send to ourselves"
	expect_status 1 in_ns a "$P2PKP" send --dev veth0 --to 10.77.0.99 --timeout 600 "$src/f"
	assert_contains "$OUT" "no ARP answer" "send to a silent on-link address"
	# A host name is looked up (localhost: /etc/hosts, no DNS query).
	expect_status 1 in_ns a "$P2PKP" send --dev veth0 --to localhost --timeout 600 "$src/f"
	assert_contains "$OUT" "127.0.0.1:7471: failed" "send to localhost"
}

# Without --dev, send uses the device the routes to its receivers go through.
test_send_finds_its_device() {
	local src work
	two_hosts
	src=$(new_tmpdir)
	work=$(new_tmpdir)
	random_file "$src/f" 300000
	start_recv b "$work/out" "$work/recv.log"
	in_ns a timeout "$(scaled 60)" "$P2PKP" send --to 10.77.0.2 "$src/f" >"$work/send.log" 2>&1 ||
		fail "send without --dev failed: $(cat "$work/send.log")"
	wait_recv || fail "receiver failed: $(cat "$work/recv.log")"
	cmp "$src/f" "$work/out/f" || fail "copy differs"
	expect_status 1 in_ns a "$P2PKP" send --to 192.0.2.1 "$src/f"
	assert_contains "$OUT" "no route"
}
