#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# What `make vmtest` runs inside each VM (cwd = the repo): the feature probe
# (informational: it says what this kernel offers), then the namespace suite,
# `tests/run.sh ns`, whose exit code is the VM's result.  The environment
# (P2PKP_TIMEOUT_SCALE, P2PKP_SKIP_TESTS) comes from vmtest.sh.  The suite's
# logs are copied to the result share (build/vmtest/SERIES/io/test-logs/).
set -euo pipefail

probe_rc=0
vmtest/probe.sh || probe_rc=$?
((probe_rc == 0)) || echo "vmtest: the probe found missing essentials (above); the suite will likely fail"

if [[ ! -x tests/run.sh ]]; then
	echo "vmtest: tests/run.sh not found: the probe is the only test run"
	exit "$probe_rc"
fi
echo "vmtest: tests/run.sh ns (P2PKP_TIMEOUT_SCALE=${P2PKP_TIMEOUT_SCALE:-1}, P2PKP_SKIP_TESTS='${P2PKP_SKIP_TESTS:-}')"
rc=0
tests/run.sh ns || rc=$?
logs=${BUILD:-build}/test-logs
if [[ -d $logs && -n ${VMTEST_IO:-} ]]; then
	cp -r "$logs" "$VMTEST_IO/test-logs" || true
	[[ -f $logs/ns.log ]] && sed 's/^/  ns.log: /' "$logs/ns.log"
fi
exit "$rc"
