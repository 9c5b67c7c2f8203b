#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Helpers for namespace tests, in the manner of xdp-tools' test runner: every
# test builds its own hosts (network namespaces joined by veth pairs or a
# bridge, both ends of every link inside them), and a trap removes them and
# kills the processes it started, by PID, however the test ends.
#
# A test is a function test_NAME in tests/ns/test_*.sh. It returns 0 to pass,
# calls skip "reason" to skip, and fails on any other status (set -e is on).

P2PKP_TOP=${P2PKP_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
P2PKP=${P2PKP:-$P2PKP_TOP/${BUILD:-build}/p2pkp-xdp}
TIMEOUT_SCALE=${P2PKP_TIMEOUT_SCALE:-1}
SKIP_RC=77

NS_PREFIX="p2t$$"
created_ns=()
started_pids=()
TEST_TMP="" # every new_tmpdir lives in it; cleanup removes it

skip() {
	echo "SKIP: $*"
	exit $SKIP_RC
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Seconds scaled for slow hosts (the VM tests run about 6x slower).
scaled() {
	echo $(($1 * TIMEOUT_SCALE))
}

# Test data in MiB, and send rates in Mbit/s, divided by P2PKP_SIZE_DIVISOR:
# emulated VMs move the same code paths with less data, in the same proportions.
SIZE_DIVISOR=${P2PKP_SIZE_DIVISOR:-1}

mib() {
	echo $((($1 << 20) / SIZE_DIVISOR))
}

mbit() {
	echo "$(($1 * 1000 / SIZE_DIVISOR))k"
}

cleanup() {
	local pid ns
	# Never stop half-way: every namespace and process must go.
	set +e
	for pid in "${started_pids[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	for ns in "${created_ns[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -z "$TEST_TMP" ] || rm -rf -- "$TEST_TMP"
	return 0
}

# ns_name SHORT: the full name of this test's namespace SHORT.
ns_name() {
	echo "$NS_PREFIX-$1"
}

ns_add() {
	local ns
	ns=$(ns_name "$1")
	ip netns add "$ns" || fail "cannot create namespace $ns"
	created_ns+=("$ns")
	ip -n "$ns" link set lo up
}

# in_ns SHORT CMD...: run CMD inside namespace SHORT.
in_ns() {
	local ns
	ns=$(ns_name "$1")
	shift
	ip netns exec "$ns" "$@"
}

# veth_pair NS_A DEV_A ADDR_A NS_B DEV_B ADDR_B: a link with both ends in test namespaces.
veth_pair() {
	local a b
	a=$(ns_name "$1") b=$(ns_name "$4")
	ip link add "$2" netns "$a" type veth peer name "$5" netns "$b" ||
		fail "cannot create veth $2/$5"
	ip -n "$a" addr add "$3" dev "$2"
	ip -n "$b" addr add "$6" dev "$5"
	ip -n "$a" link set "$2" up
	ip -n "$b" link set "$5" up
}

# Two hosts "a" (10.77.0.1, fd77::1 on veth0) and "b" (10.77.0.2, fd77::2 on veth0).
two_hosts() {
	ns_add a
	ns_add b
	veth_pair a veth0 10.77.0.1/24 b veth0 10.77.0.2/24
	ip -n "$(ns_name a)" -6 addr add fd77::1/64 dev veth0 nodad
	ip -n "$(ns_name b)" -6 addr add fd77::2/64 dev veth0 nodad
}

# bg_in_ns SHORT CMD...: start CMD in the background inside SHORT; remembered for cleanup.
# `ip netns exec` execs CMD, so BG_PID is CMD itself and a kill reaches it.
bg_in_ns() {
	local ns
	ns=$(ns_name "$1")
	shift
	ip netns exec "$ns" "$@" &
	started_pids+=($!)
	BG_PID=$!
}

# listening NS tcp|udp PORT: true once a socket in NS listens on PORT.
listening() {
	in_ns "$1" ss -Hln --"$2" "sport = :$3" | grep -q .
}

new_tmpdir() {
	# Called as $(new_tmpdir), a subshell: nothing it records would reach
	# cleanup, so every directory goes under the test's own TEST_TMP.
	mktemp -d "$TEST_TMP/d.XXXXXX"
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds or time runs out.
wait_for() {
	local deadline=$((SECONDS + $(scaled "$1")))
	shift
	until "$@" 2>/dev/null; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}

# xdp_attached NS DEV: true if DEV in NS has an XDP program, false if not; fails
# the test if the device cannot be shown. The output is captured first: under
# pipefail `ip | grep -q` can fail with SIGPIPE when grep stops reading early.
xdp_attached() {
	local out
	out=$(in_ns "$1" ip -d link show dev "$2") || fail "cannot show $2 in namespace $1"
	[[ $out == *prog/xdp* ]]
}

# Assertions print what was expected and what was seen.
assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

assert_contains() {
	case "$1" in
	*"$2"*) ;;
	*) fail "${3:-output} does not contain '$2': $1" ;;
	esac
}

# expect_status WANT CMD...: run CMD, require exit status WANT, keep output in $OUT.
expect_status() {
	local want=$1 rc=0
	shift
	OUT=$("$@" 2>&1) || rc=$?
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, expected $want: $OUT"
}

# Probes: skip cleanly where the host cannot run a test.
require_cmd() {
	command -v "$1" >/dev/null || skip "$1 is not installed"
}

# Called by run.sh: lib.sh --run FILE FUNC
if [ "${1:-}" = "--run" ]; then
	set -eEuo pipefail
	trap cleanup EXIT
	trap 'exit 1' INT TERM
	TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/p2pkp-test.XXXXXX")
	[ -x "$P2PKP" ] || fail "$P2PKP is not built"
	# shellcheck disable=SC1090
	source "$2"
	"$3"
fi
