#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs every test_* function of tests/ns/test_*.sh in its own process, with
# its own namespaces and a time limit, and prints TAP.
#   tests/ns/run.sh [FILTER]   FILTER: a substring of "file:test" to select tests
# Environment: P2PKP_TIMEOUT_SCALE (1) stretches every time limit,
# P2PKP_SKIP_TESTS="name ..." reports those tests as skipped (see vmtest/DENYLIST),
# P2PKP_TEST_TIMEOUT (120) is the per-test limit in seconds before scaling.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
filter=${1:-}
scale=${P2PKP_TIMEOUT_SCALE:-1}
limit=$((${P2PKP_TEST_TIMEOUT:-120} * scale))
skip_list=" ${P2PKP_SKIP_TESTS:-} "
n=0 rc=0

list_tests() {
	local file=$1
	# Functions named test_* defined in the file, in file order.
	grep -oE '^test_[A-Za-z0-9_]+\(\)' "$file" | tr -d '()'
}

run_one() {
	local file=$1 func=$2 name out status started
	name="$(basename "$file" .sh | sed 's/^test_//'):${func#test_}"
	[ -z "$filter" ] || [[ "$name" == *"$filter"* ]] || return 0
	n=$((n + 1))
	if [[ "$skip_list" == *" $name "* || "$skip_list" == *" ${func#test_} "* ]]; then
		echo "ok $n - $name # SKIP listed in P2PKP_SKIP_TESTS"
		return 0
	fi
	started=$SECONDS
	out=$(timeout -k 10 "$limit" bash "$here/lib.sh" --run "$file" "$func" 2>&1)
	status=$?
	case $status in
	0) echo "ok $n - $name ($((SECONDS - started)) s)" ;;
	77) echo "ok $n - $name # SKIP $(echo "$out" | sed -n 's/^SKIP: //p' | tail -1)" ;;
	124 | 137) echo "not ok $n - $name (timed out after ${limit}s)"; rc=1 ;;
	*) echo "not ok $n - $name (exit $status)"; rc=1 ;;
	esac
	if [ $status -ne 0 ] && [ $status -ne 77 ]; then
		echo "$out" | tail -25 | sed 's/^/#   /'
	fi
}

main() {
	local file func
	for file in "$here"/test_*.sh; do
		for func in $(list_tests "$file"); do
			run_one "$file" "$func"
		done
	done
	echo "1..$n"
	return $rc
}

main
