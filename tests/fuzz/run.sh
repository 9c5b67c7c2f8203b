#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/fuzz/run.sh SECONDS FUZZER...
#
# Runs each libFuzzer binary for SECONDS on a writable copy of the seed corpus
# (DIR/corpus-NAME, seeded from DIR/seeds, where DIR is the fuzzer's own
# directory, e.g. build/fuzz) and prints one TAP line per fuzzer:
#   ok 1 - fuzz_wire_decode: 123456 runs clean
#   not ok 1 - fuzz_wire_decode: crash, see build/fuzz/artifacts-fuzz_wire_decode/
# Exits non-zero if any fuzzer crashed, leaked, timed out or could not run.
set -u

usage() {
	echo "usage: $0 SECONDS FUZZER..." >&2
	exit 2
}

[ $# -ge 2 ] || usage
secs=$1
shift
case $secs in '' | *[!0-9]*) usage ;; esac
[ "$secs" -gt 0 ] || usage

echo "1..$#"
n=0
fail=0
for fuzzer in "$@"; do
	n=$((n + 1))
	name=$(basename "$fuzzer")
	dir=$(dirname "$fuzzer")
	corpus=$dir/corpus-$name
	artifacts=$dir/artifacts-$name/
	log=$dir/$name.log

	if [ ! -x "$fuzzer" ]; then
		echo "not ok $n - $name: $fuzzer is not an executable"
		fail=1
		continue
	fi
	mkdir -p "$corpus" "$artifacts" || exit 1
	if [ -d "$dir/seeds" ]; then
		cp -f "$dir"/seeds/* "$corpus"/ 2>/dev/null
	fi

	# One process; every limit explicit so a run is bounded in time and memory.
	"$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
		-print_final_stats=1 -artifact_prefix="$artifacts" "$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc -eq 0 ] && [ -n "$runs" ]; then
		echo "ok $n - $name: $runs runs clean in ${secs}s"
	else
		echo "not ok $n - $name: exit $rc, see $log and $artifacts"
		tail -n 30 "$log" | sed 's/^/# /'
		fail=1
	fi
done
exit $fail
