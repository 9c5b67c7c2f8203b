#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# What `make vmtest` runs inside each VM (cwd = the repo): the feature probe
# (informational: it says what this kernel offers), then the namespace suite,
# tests/ns/run.sh, whose exit code is the VM's result.  The environment
# (P2PKP_TIMEOUT_SCALE, P2PKP_SIZE_DIVISOR, P2PKP_SKIP_TESTS) comes from
# vmtest.sh.  The TAP lands in the result share (build/vmtest/SERIES/io/ns.tap).
set -euo pipefail

probe_rc=0
vmtest/probe.sh || probe_rc=$?
((probe_rc == 0)) || echo "vmtest: the probe found missing essentials (above); the suite will likely fail"

if [[ ! -x tests/run.sh ]]; then
	echo "vmtest: tests/run.sh not found: the probe is the only test run"
	exit "$probe_rc"
fi
echo "vmtest: tests/ns/run.sh (P2PKP_TIMEOUT_SCALE=${P2PKP_TIMEOUT_SCALE:-1}, P2PKP_SIZE_DIVISOR=${P2PKP_SIZE_DIVISOR:-1}, P2PKP_SKIP_TESTS='${P2PKP_SKIP_TESTS:-}')"
# Each TAP line goes to the console as it happens (a slow test shows where it
# is), and to the result share.
rc=0
tests/ns/run.sh | tee "${VMTEST_IO:-/tmp}/ns.tap" || rc=$?
exit "$rc"
