# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# load / unload / status on a veth pair between two test namespaces.
# Sourced by lib.sh --run; each test_* runs in its own process and namespaces.

# counter JSON NAME: one counter out of `status --json`.
counter() {
	echo "$1" | jq -r ".counters.$2"
}

status_json() {
	in_ns "$1" "$P2PKP" status veth0 --json
}

test_load_status_unload() {
	two_hosts
	# One shell, so the bpffs that load mounts is still there for the checks.
	in_ns b bash -ec "
		'$P2PKP' load veth0
		'$P2PKP' status veth0 | grep -q 'UDP port 7471'
		test -e /sys/fs/bpf/p2pkp/veth0/xsks
		test -e /sys/fs/bpf/p2pkp/veth0/stats
		bpftool map dump pinned /sys/fs/bpf/p2pkp/veth0/stats | grep -q steered
		ip -d link show dev veth0 | grep -q 'prog/xdp'
		'$P2PKP' unload veth0
		test ! -e /sys/fs/bpf/p2pkp/veth0
		test ! -e /sys/fs/bpf/p2pkp
	"
	# Outside the script: under bash -e a negated command (! cmd) never stops it.
	! xdp_attached b veth0 || fail "XDP left on veth0 after unload"
}

test_status_json() {
	local js
	two_hosts
	in_ns b "$P2PKP" load veth0 --port 9000
	js=$(status_json b)
	assert_eq "$(echo "$js" | jq -r .loaded)" true "loaded"
	assert_eq "$(echo "$js" | jq -r .port)" 9000 "port"
	assert_eq "$(echo "$js" | jq -r .mode)" native "mode"
	assert_eq "$(echo "$js" | jq -r .dev)" veth0 "dev"
	[ "$(echo "$js" | jq -r .prog_id)" -gt 0 ] || fail "no program id: $js"
	for c in steered passed too_short fragments no_socket malformed; do
		[ "$(counter "$js" $c)" -ge 0 ] || fail "counter $c missing: $js"
		for fam in ipv4 ipv6 other; do
			[ "$(counter "$js" "$fam.$c")" -ge 0 ] || fail "counter $fam.$c missing: $js"
		done
	done
	for fam in ipv4 ipv6 other; do
		for c in accepted realigned malformed bad_csum fragments wrong_port too_short; do
			[ "$(echo "$js" | jq -r ".sockets.$fam.$c")" -ge 0 ] ||
				fail "socket counter $fam.$c missing: $js"
		done
	done
	for c in dropped ring_full fill_empty invalid; do
		[ "$(echo "$js" | jq -r ".sockets.kernel.$c")" -ge 0 ] ||
			fail "kernel counter $c missing: $js"
	done
	# Without DEV, status lists every device that has the program.
	expect_status 0 in_ns b "$P2PKP" status --json
	assert_contains "$OUT" '"dev":"veth0"'
}

test_load_twice_is_idempotent() {
	local id1 id2
	two_hosts
	in_ns b "$P2PKP" load veth0
	id1=$(status_json b | jq -r .prog_id)
	expect_status 0 in_ns b "$P2PKP" load veth0
	assert_contains "$OUT" "already loaded"
	id2=$(status_json b | jq -r .prog_id)
	assert_eq "$id2" "$id1" "program id after the second load"
}

test_load_other_port_refused() {
	two_hosts
	in_ns b "$P2PKP" load veth0 --port 7000
	expect_status 1 in_ns b "$P2PKP" load veth0 --port 7001
	assert_contains "$OUT" "already loaded for port 7000"
	assert_eq "$(status_json b | jq -r .port)" 7000 "port after the refused load"
}

test_skb_mode() {
	two_hosts
	in_ns b "$P2PKP" load veth0 --mode skb
	assert_eq "$(status_json b | jq -r .mode)" skb "mode"
	in_ns b "$P2PKP" unload veth0
	! xdp_attached b veth0 || fail "XDP left after unload"
}

test_errors_are_one_line() {
	two_hosts
	expect_status 1 in_ns b "$P2PKP" load nosuchdev0
	assert_eq "$OUT" "no such device: nosuchdev0"
	expect_status 1 in_ns b "$P2PKP" unload veth0
	assert_eq "$OUT" "veth0: the steering program is not loaded"
	expect_status 1 in_ns b "$P2PKP" status veth0
	assert_contains "$OUT" "not loaded"
	expect_status 2 in_ns b "$P2PKP" load veth0 --bogus
	assert_contains "$OUT" "unknown option '--bogus'"
	expect_status 2 in_ns b "$P2PKP" load veth0 --port 70000
	assert_contains "$OUT" "invalid value '70000' for --port"
	expect_status 2 in_ns b "$P2PKP" load veth0 --mode turbo
	assert_contains "$OUT" "expected one of auto native skb"
	expect_status 2 in_ns b "$P2PKP" load
	assert_contains "$OUT" "missing DEV"
	expect_status 2 "$P2PKP" frobnicate
	assert_contains "$OUT" "unknown command 'frobnicate'"
}

test_not_root() {
	require_cmd setpriv
	two_hosts
	expect_status 1 in_ns b setpriv --reuid=65534 --regid=65534 --clear-groups "$P2PKP" load veth0
	assert_contains "$OUT" "must be run as root"
}

test_help_matches_options() {
	local cmd
	for cmd in load unload status; do
		expect_status 0 "$P2PKP" "$cmd" --help
		assert_contains "$OUT" "Usage: p2pkp-xdp $cmd"
	done
	expect_status 0 "$P2PKP" load --help
	assert_contains "$OUT" "--port PORT"
	assert_contains "$OUT" "--mode MODE"
	assert_contains "$OUT" "auto, native, skb"
	expect_status 0 "$P2PKP" status --help
	assert_contains "$OUT" "--json"
	assert_contains "$OUT" "--interval SEC"
	expect_status 0 "$P2PKP" --help
	assert_contains "$OUT" "load"
}

# While the program is attached, other traffic still reaches the stack.
test_other_traffic_passes() {
	local dir js
	require_cmd nc
	two_hosts
	dir=$(new_tmpdir)
	in_ns b "$P2PKP" load veth0
	in_ns a ping -c 2 -W 2 -q 10.77.0.2 >/dev/null || fail "ping failed"
	in_ns a ping -6 -c 2 -W 2 -q fd77::2 >/dev/null || fail "ping6 failed"

	bg_in_ns b timeout "$(scaled 10)" nc -l -N 10.77.0.2 5001 >"$dir/tcp.out"
	wait_for 5 listening b tcp 5001
	echo "over tcp" | in_ns a timeout "$(scaled 5)" nc -N 10.77.0.2 5001
	wait "$BG_PID"
	assert_eq "$(cat "$dir/tcp.out")" "over tcp" "TCP payload"

	bg_in_ns b timeout "$(scaled 10)" nc -u -l -W 1 10.77.0.2 5002 >"$dir/udp.out"
	wait_for 5 listening b udp 5002
	echo "over udp" | in_ns a timeout "$(scaled 5)" nc -u -w 1 10.77.0.2 5002
	wait "$BG_PID"
	assert_eq "$(cat "$dir/udp.out")" "over udp" "UDP payload"

	js=$(status_json b)
	[ "$(counter "$js" passed)" -ge 4 ] || fail "passed counter did not move: $js"
	[ "$(counter "$js" ipv4.passed)" -ge 2 ] || fail "IPv4 passed counter did not move: $js"
	[ "$(counter "$js" ipv6.passed)" -ge 2 ] || fail "IPv6 passed counter did not move: $js"
	assert_eq "$(counter "$js" steered)" 0 "steered"
}

# A P2PKP datagram with no AF_XDP socket bound falls back to the stack.
test_p2pkp_without_socket_passes() {
	local dir js
	require_cmd nc
	two_hosts
	dir=$(new_tmpdir)
	in_ns b "$P2PKP" load veth0
	bg_in_ns b timeout "$(scaled 10)" nc -u -l -W 1 10.77.0.2 7471 >"$dir/udp.out"
	wait_for 5 listening b udp 7471
	printf '0123456789abcdef-p2pkp' | in_ns a timeout "$(scaled 5)" nc -u -w 1 10.77.0.2 7471
	wait "$BG_PID"
	assert_eq "$(cat "$dir/udp.out")" "0123456789abcdef-p2pkp" "datagram"
	js=$(status_json b)
	assert_eq "$(counter "$js" no_socket)" 1 "no_socket"
	assert_eq "$(counter "$js" ipv4.no_socket)" 1 "IPv4 no_socket"
	assert_eq "$(echo "$js" | jq -r '.sockets.no_socket_by_queue."0"')" 1 "no_socket of queue 0"
	# A runt datagram to the port is counted too_short. nc's status is not the
	# check (the stack's port-unreachable may fail it); the counter below is.
	printf 'short' | in_ns a timeout "$(scaled 5)" nc -u -w 1 10.77.0.2 7471 || true
	js=$(status_json b)
	assert_eq "$(counter "$js" too_short)" 1 "too_short after a runt datagram"
}

# Unload removes exactly what load added: another program elsewhere stays.
test_unload_leaves_nothing() {
	two_hosts
	in_ns a "$P2PKP" load veth0
	in_ns b "$P2PKP" load veth0
	in_ns b "$P2PKP" unload veth0
	! xdp_attached b veth0 || fail "XDP left on b"
	xdp_attached a veth0 || fail "a lost its program"
	expect_status 0 in_ns a "$P2PKP" status veth0
	in_ns a "$P2PKP" unload veth0
}

test_status_interval() {
	two_hosts
	in_ns b "$P2PKP" load veth0
	expect_status 0 in_ns b "$P2PKP" status veth0 --json --interval 1 --count 2
	assert_eq "$(echo "$OUT" | grep -c '"loaded":true')" 2 "reports"
}
