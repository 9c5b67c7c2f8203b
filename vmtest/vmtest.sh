#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Run the namespace test suite inside qemu on Debian's kernels, one VM per
# kernel series, in parallel.  `make vmtest [KERNELS="6.1 6.12"]` calls this.
#
#   vmtest/vmtest.sh [SERIES...]        default: 6.1 6.12
#
# Each VM runs vmtest/guest-suite.sh (probe + `tests/run.sh ns`) with
# P2PKP_TIMEOUT_SCALE (default 6) and P2PKP_SKIP_TESTS built from
# vmtest/DENYLIST.  Output is printed prefixed with [SERIES] and kept in
# build/vmtest/SERIES/vmtest.log (guest console: console.log).
#
# Environment: P2PKP_VMTEST_TIMEOUT (seconds per VM, default 1800; the suite needs ~1100),
# P2PKP_VMTEST_JOBS (VMs at once, default 2), P2PKP_VMTEST_MEM (default 2G),
# P2PKP_VMTEST_CACHE (kernel cache), P2PKP_TIMEOUT_SCALE (default 6),
# P2PKP_SIZE_DIVISOR (default 8: test data and rates in the VM).
#
# Exit: 0 all passed; 1 any failed, timed out or gave back no exit code;
# 77 none failed but some could not run (no qemu / kernel obtainable).
# The last lines are TAP, one test per kernel, for tests/run.sh.
# shellcheck disable=SC2317  # functions run through traps
set -euo pipefail

# shellcheck source=vmtest/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# A skip before any VM runs (no qemu...) is also one TAP line for tests/run.sh.
skip() {
	printf 'vmtest: SKIP: %s\n' "$*" >&2
	((BASH_SUBSHELL)) || printf 'ok 1 - vmtest # SKIP %s\n1..1\n' "$*"
	exit "$SKIP_RC"
}

DENYLIST=${P2PKP_VMTEST_DENYLIST:-$VMTEST_DIR/DENYLIST}
timeout_s=${P2PKP_VMTEST_TIMEOUT:-1800}
jobs_max=${P2PKP_VMTEST_JOBS:-2}
scale=${P2PKP_TIMEOUT_SCALE:-6}
# Emulated CPUs move the same code paths with an eighth of the data.
size_divisor=${P2PKP_SIZE_DIVISOR:-8}

declare -A pid_of=() rc_of=() kver_of=() secs_of=()
series_list=()

cleanup() {
	local s
	for s in "${!pid_of[@]}"; do
		kill "${pid_of[$s]}" 2>/dev/null || true   # run-in-vm.sh stops its qemu
	done
	wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# DENYLIST lines: SERIES-GLOB  TEST  REASON...   ('#' comments)
# Prints "TEST<TAB>REASON" for the entries that apply to $1.
denied_tests() {
	local series=$1 glob test reason
	[[ -r $DENYLIST ]] || return 0
	while read -r glob test reason; do
		[[ -z $glob || $glob == \#* ]] && continue
		[[ -n $test ]] || die "$DENYLIST: line without a test name: $glob"
		# shellcheck disable=SC2053  # glob match intended
		[[ $series == $glob ]] && printf '%s\t%s\n' "$test" "${reason:-no reason given}"
	done <"$DENYLIST"
	return 0
}

parse_args() {
	local s
	# shellcheck disable=SC2086  # a space-separated list
	(($#)) || set -- $VMTEST_SERIES_ALL
	for s in "$@"; do
		[[ $s == -h || $s == --help ]] && { sed -n '3,19s/^# \{0,1\}//p' "$0"; exit 0; }
		[[ $s =~ ^[0-9]+\.[0-9]+$ ]] || die "kernel series must look like 6.1 or 6.12, got '$s'"
		[[ " ${series_list[*]} " == *" $s "* ]] || series_list+=("$s")
	done
	[[ $timeout_s =~ ^[0-9]+$ && $jobs_max =~ ^[1-9][0-9]*$ ]] ||
		die "P2PKP_VMTEST_TIMEOUT and P2PKP_VMTEST_JOBS must be whole numbers"
}

# The AF_XDP bind probe is built on the host (the VM would compile over 9p).
build_xsk_probe() {
	local out=$VMTEST_BUILD/xsk-probe
	mkdir -p "$VMTEST_BUILD"
	if command -v "${CC:-gcc}" >/dev/null; then
		"${CC:-gcc}" -O2 -Wall -Wextra -Werror -o "$out" "$VMTEST_DIR/xsk-probe.c" ||
			die "cannot build $out"
	else
		msg "no C compiler: the AF_XDP probe will report 'not built'"
	fi
}

# Fetch every kernel before any VM starts, one at a time.
fetch_kernels() {
	local s dir rc
	for s in "${series_list[@]}"; do
		rc=0
		dir=$(ensure_kernel "$s") || rc=$?
		if ((rc == SKIP_RC)); then
			rc_of[$s]=$SKIP_RC
		elif ((rc)); then
			die "$s: cannot prepare the kernel"
		else
			kver_of[$s]=$(cat "$dir/kver")
		fi
	done
}

start_vm() {
	local s=$1 skips=() test reason log
	log=$VMTEST_BUILD/$s/vmtest.log
	mkdir -p "$VMTEST_BUILD/$s"
	: >"$log"
	while IFS=$'\t' read -r test reason; do
		printf '[%s] vmtest: DENYLIST skips %s: %s\n' "$s" "$test" "$reason" | tee -a "$log"
		skips+=("$test")
	done < <(denied_tests "$s")
	"$VMTEST_DIR/run-in-vm.sh" -t "$timeout_s" \
		-e "P2PKP_TIMEOUT_SCALE=$scale" -e "P2PKP_SIZE_DIVISOR=$size_divisor" \
		-e "P2PKP_SKIP_TESTS=${skips[*]}" \
		"$s" -- vmtest/guest-suite.sh </dev/null \
		> >(sed -u "s/^/[$s] /" | tee -a "$log") 2>&1 &
	pid_of[$s]=$!
	secs_of[$s]=$SECONDS
}

# Wait for any VM; record its exit code.
reap_one() {
	local s done_pid rc=0
	wait -n -p done_pid "${pid_of[@]}" || rc=$?
	for s in "${!pid_of[@]}"; do
		if [[ ${pid_of[$s]} == "${done_pid:-}" ]]; then
			rc_of[$s]=$rc
			secs_of[$s]=$((SECONDS - secs_of[$s]))
			unset "pid_of[$s]"
			return 0
		fi
	done
	die "lost track of a VM (wait status $rc)"
}

run_vms() {
	local s
	for s in "${series_list[@]}"; do
		[[ -n ${rc_of[$s]:-} ]] && continue   # skipped while fetching
		while ((${#pid_of[@]} >= jobs_max)); do reap_one; done
		start_vm "$s"
	done
	while ((${#pid_of[@]})); do reap_one; done
	sleep 0.2   # let the prefixing pipes flush
}

verdict() {  # rc -> word
	case $1 in
	0) echo PASS ;;
	77) echo SKIP ;;
	124) echo "FAIL (timeout)" ;;
	125) echo "FAIL (no exit code from the VM)" ;;
	*) echo "FAIL (exit $1)" ;;
	esac
}

# One line per kernel for people, then TAP for tests/run.sh (its `vm` suite).
summarize() {
	local s rc failed=0 skipped=0 n=0 v
	echo "vmtest: results (logs in ${VMTEST_BUILD#"$REPO_DIR"/}/SERIES/):"
	for s in "${series_list[@]}"; do
		rc=${rc_of[$s]}
		printf 'vmtest: %-5s %-24s %-32s %s\n' "$s" "${kver_of[$s]:-(no kernel)}" \
			"$(verdict "$rc")" "${secs_of[$s]:+${secs_of[$s]}s}"
		if ((rc == SKIP_RC)); then skipped=1; elif ((rc)); then failed=1; fi
	done
	for s in "${series_list[@]}"; do
		n=$((n + 1)) rc=${rc_of[$s]} v="vmtest $s ${kver_of[$s]:-}"
		case $rc in
		0) echo "ok $n - $v" ;;
		"$SKIP_RC") echo "ok $n - $v # SKIP qemu or the kernel could not be obtained" ;;
		*) echo "not ok $n - $v: $(verdict "$rc")" ;;
		esac
	done
	echo "1..$n"
	((failed)) && return 1
	((skipped)) && return "$SKIP_RC"
	return 0
}

main() {
	local start=$SECONDS rc=0
	parse_args "$@"
	ensure_packages
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not found"
	fetch_kernels
	build_xsk_probe
	run_vms
	echo "vmtest: total $((SECONDS - start))s"
	summarize || rc=$?
	exit "$rc"
}

main "$@"
