#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Install the Debian packages that building, testing, the demo, the VM tests
# and the benchmark need. Idempotent and quiet: installs only what is missing.
#   tools/deps.sh [GROUP...]   GROUP: build test vmtest bench all (default: all)
set -euo pipefail

declare -A GROUPS_PKGS=(
	[build]="make gcc clang llvm pkg-config bpftool libbpf-dev libxdp-dev libelf-dev zlib1g-dev libisal-dev libxxhash-dev libssl-dev
		 libmnl-dev liburing-dev linux-libc-dev iproute2"
	[test]="libcmocka-dev clang-format libclang-rt-14-dev xxd jq iputils-ping netcat-openbsd groff-base
		util-linux xdp-tools clang-16 clang-19 git"
	[vmtest]="qemu-system-x86 busybox-static kmod cpio xz-utils zstd"
	[bench]="uftp udpcast gnuplot-nox linux-perf time"
)

die() {
	echo "deps: $*" >&2
	exit 1
}

is_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

main() {
	local groups=("$@") missing=() pkg g
	[ ${#groups[@]} -gt 0 ] || groups=(all)
	[ "${groups[0]}" = all ] && groups=(build test vmtest bench)
	for g in "${groups[@]}"; do
		[ -n "${GROUPS_PKGS[$g]+x}" ] || die "unknown group '$g' (build test vmtest bench all)"
		for pkg in ${GROUPS_PKGS[$g]}; do
			is_installed "$pkg" || missing+=("$pkg")
		done
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run as root to install them"
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install failed for: ${missing[*]}"
}

main "$@"
