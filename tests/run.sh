#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs the test suites and ends with one line: "N passed, N failed, N skipped".
#   tests/run.sh [SUITE...]    SUITE: fmt unit asan bpf clang ns mutate fuzz vm (default: all)
# Every suite prints TAP; this script counts it. Logs land in $BUILD/test-logs/.
# Environment: BUILD (build), FUZZ_SECONDS (60), P2PKP_NO_VMTEST=1 skips the VM suite,
# P2PKP_TIMEOUT_SCALE and P2PKP_SKIP_TESTS are passed to the namespace tests.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
BUILD=${BUILD:-build}
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"

passed=0 failed=0 skipped=0
failures=()

# count_tap LOGFILE SUITE EXIT_CODE: fold one suite's TAP into the totals.
count_tap() {
	local log=$1 suite=$2 rc=$3 p f s
	# cmocka's TAP writes a skipped test as "not ok N # SKIP": a skip, not a failure.
	p=$(grep -E '^ok [0-9]+' "$log" | grep -cvE '# ?SKIP' | head -1)
	s=$(grep -cE '^(not )?ok [0-9]+.*# ?SKIP' "$log" | head -1)
	f=$(grep -E '^not ok [0-9]+' "$log" | grep -cvE '# ?SKIP' | head -1)
	while IFS= read -r line; do
		failures+=("$suite: ${line#not ok }")
	done < <(grep -E '^not ok [0-9]+' "$log" | grep -vE '# ?SKIP')
	if [ "$rc" -eq 77 ] && [ $((p + f + s)) -eq 0 ]; then
		s=1 # the suite's own probe said it cannot run here
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		failures+=("$suite: exited $rc without a failing case (see $log)")
	fi
	if [ $((p + f + s)) -eq 0 ]; then
		f=1
		failures+=("$suite: ran no test (see $log)")
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	printf '%-6s %3d passed, %d failed, %d skipped\n' "$suite" "$p" "$f" "$s"
}

# run_suite NAME CMD...: run, keep the log, echo failures as they come.
run_suite() {
	local suite=$1 log=$LOGS/$1.log rc
	shift
	"$@" >"$log" 2>&1
	rc=$?
	grep -E '^not ok' -A3 "$log" | head -40 >&2
	count_tap "$log" "$suite" "$rc"
}

skip_suite() {
	local suite=$1 reason=$2
	echo "ok 1 - $suite # SKIP $reason" >"$LOGS/$suite.log"
	count_tap "$LOGS/$suite.log" "$suite" 0
	echo "       ($reason)"
}

need_root() {
	[ "$(id -u)" -eq 0 ]
}

# Each cmocka binary in a directory, TAP numbering kept per binary.
run_cmocka_dir() {
	local dir=$1 bin rc=0
	for bin in "$dir"/test_*; do
		[ -x "$bin" ] || continue
		echo "# $bin"
		CMOCKA_MESSAGE_OUTPUT=TAP "$bin" || rc=1
	done
	return $rc
}

suite_fmt() {
	local files n=0 f
	mapfile -t files < <(git ls-files -co --exclude-standard -- '*.c' '*.h')
	for f in "${files[@]}"; do
		n=$((n + 1))
		if clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
			echo "ok $n - clang-format $f"
		else
			echo "not ok $n - clang-format $f (run 'make format')"
		fi
	done
}

suite_clang() {
	local n=0 c rc=0
	for c in clang-14 clang-16 clang-19; do
		n=$((n + 1))
		if ! command -v "$c" >/dev/null; then
			echo "ok $n - BPF built by $c # SKIP $c not installed"
			continue
		fi
		if make --no-print-directory BUILD="$BUILD/clang/$c" CLANG="$c" \
			"$BUILD/clang/$c/tests/bpf/test_steer_prog" >/dev/null &&
			CMOCKA_MESSAGE_OUTPUT=TAP "$BUILD/clang/$c/tests/bpf/test_steer_prog" >"$LOGS/clang-$c.tap"; then
			echo "ok $n - BPF built by $c loads and passes the fixture table"
		else
			echo "not ok $n - BPF built by $c (see $LOGS/clang-$c.tap)"
			rc=1
		fi
	done
	return $rc
}

# The fuzzer binaries, named after their sources as the Makefile builds them
# (a glob over the build directory would also catch the fuzzers' own logs).
fuzzers() {
	local src
	for src in tests/fuzz/fuzz_*.c; do
		echo "$BUILD/fuzz/$(basename "$src" .c)"
	done
}

main() {
	local suites=("$@")
	[ ${#suites[@]} -gt 0 ] || suites=(fmt unit asan bpf clang ns mutate fuzz vm)
	for s in "${suites[@]}"; do
		case $s in
		fmt) run_suite fmt suite_fmt ;;
		unit) run_suite unit run_cmocka_dir "$BUILD/tests" ;;
		asan) run_suite asan run_cmocka_dir "$BUILD/tests/asan" ;;
		bpf)
			if need_root; then run_suite bpf run_cmocka_dir "$BUILD/tests/bpf"
			else skip_suite bpf "needs root for BPF_PROG_TEST_RUN"; fi
			;;
		clang)
			if need_root; then run_suite clang suite_clang
			else skip_suite clang "needs root to load BPF"; fi
			;;
		ns)
			if need_root; then run_suite ns tests/ns/run.sh
			else skip_suite ns "needs root for network namespaces"; fi
			;;
		mutate)
			if need_root; then run_suite mutate env BUILD="$BUILD" tests/mutate.sh
			else skip_suite mutate "needs root for the BPF and namespace tests it runs"; fi
			;;
		fuzz) run_suite fuzz tests/fuzz/run.sh "${FUZZ_SECONDS:-60}" $(fuzzers) ;;
		vm)
			if [ -n "${P2PKP_NO_VMTEST:-}" ]; then skip_suite vm "P2PKP_NO_VMTEST is set"
			else run_suite vm vmtest/vmtest.sh; fi
			;;
		*) echo "run.sh: unknown suite '$s'" >&2; exit 2 ;;
		esac
	done
	if [ ${#failures[@]} -gt 0 ]; then
		printf '\nFailures:\n'
		printf '  %s\n' "${failures[@]}"
	fi
	echo
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}

main "$@"
