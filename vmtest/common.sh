# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # variables are for the sourcing scripts
# Shared helpers for vmtest/*.sh: messages, packages, the kernel cache and the
# initramfs.  Sourced, never executed.  Callers use `set -euo pipefail`.

VMTEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$VMTEST_DIR/.." && pwd)
VMTEST_BUILD=${P2PKP_VMTEST_BUILD:-$REPO_DIR/build/vmtest}
VMTEST_SERIES_ALL="6.1 6.12"
SKIP_RC=77

# Host packages (Debian names) the VM runner needs; see README.md.
VMTEST_PKGS="qemu-system-x86 busybox-static kmod cpio xz-utils zstd"

msg()  { printf 'vmtest: %s\n' "$*" >&2; }
die()  { printf 'vmtest: error: %s\n' "$*" >&2; exit 1; }
skip() { printf 'vmtest: SKIP: %s\n' "$*" >&2; exit "$SKIP_RC"; }

# Default cache: persistent, outside git and the clone.
vmtest_cache_root() {
	if [[ -n ${P2PKP_VMTEST_CACHE:-} ]]; then
		printf '%s\n' "$P2PKP_VMTEST_CACHE"
	elif [[ $(id -u) -eq 0 ]]; then
		printf '%s\n' /var/cache/p2pkp-xdp/vmtest
	else
		printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/p2pkp-xdp/vmtest"
	fi
}

# The metapackage that names the current kernel ABI of a series.
series_metapkg() {
	case $1 in
	6.1)  echo linux-image-amd64 ;;          # bookworm's own kernel
	6.12) echo linux-image-6.12-amd64 ;;     # bookworm-security / backports
	*)    echo "linux-image-$1-amd64" ;;
	esac
}

pkg_missing() { ! dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

# Install whatever of VMTEST_PKGS is missing; `apt-get update` only if apt does
# not know a package.  Skips (77) when packages cannot be obtained.
ensure_packages() {
	local missing=() p
	for p in $VMTEST_PKGS; do pkg_missing "$p" && missing+=("$p"); done
	((${#missing[@]})) || return 0
	command -v apt-get >/dev/null || skip "missing packages ${missing[*]} and no apt-get"
	[[ $(id -u) -eq 0 ]] || skip "missing packages ${missing[*]} (run as root or install them)"
	msg "installing ${missing[*]}"
	for p in "${missing[@]}"; do
		if ! apt-cache show "$p" >/dev/null 2>&1; then
			apt-get update -qq >&2 || skip "apt-get update failed"
			break
		fi
	done
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null || skip "cannot install ${missing[*]}"
}

# Candidate version of a package, or nothing.
apt_candidate() {
	apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { if ($2 != "(none)") print $2 }'
}

# linux-image-<abi>-amd64-unsigned for a series, from the apt lists: the
# metapackage's linux-image dependency, else the newest name apt offers.
resolve_kernel_pkg() {
	local series=$1 meta dep re
	meta=$(series_metapkg "$series")
	if [[ -n $(apt_candidate "$meta") ]]; then
		dep=$(apt-cache depends "$meta" 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
		if [[ -n $dep ]] && [[ -n $(apt_candidate "$dep-unsigned") ]]; then
			echo "$dep-unsigned"
			return 0
		fi
	fi
	re="^linux-image-${series//./\\.}[.0-9+-]*(deb[0-9]+-)?amd64-unsigned\$"
	apt-cache search --names-only "$re" 2>/dev/null | awk '{ print $1 }' |
		grep -E "$re" | sort -V | tail -n 1
}

# Uncompressed ELF vmlinux (PVH-bootable) from a bzImage: the payload is at
# (setup_sects + 1) * 512 + payload_offset, payload_length long, ending in the
# 4-byte decompressed size.
extract_vmlinux() {
	local bz=$1 out=$2 ss po pl start magic dec
	read -r ss < <(od -An -tu1 -j $((0x1f1)) -N1 "$bz")
	read -r po pl < <(od -An -tu4 -j $((0x248)) -N8 "$bz")
	((ss)) || ss=4
	start=$(((ss + 1) * 512 + po))
	magic=$(od -An -tx1 -j "$start" -N4 "$bz" | tr -d ' \n')
	case $magic in
	fd377a58) dec="xz -dcq" ;;
	28b52ffd) dec="zstd -dcq" ;;
	1f8b*)    dec="gzip -dcq" ;;
	*) die "$bz: unknown kernel payload compression (magic $magic)" ;;
	esac
	dd if="$bz" iflag=skip_bytes,count_bytes skip="$start" count=$((pl - 4)) bs=1M status=none |
		$dec >"$out.tmp" ||
		die "$bz: cannot decompress the kernel payload"
	[[ $(od -An -c -N4 "$out.tmp" | tr -d ' ') == 177ELF ]] || die "$bz: payload is not an ELF vmlinux"
	mv "$out.tmp" "$out"
}

# Download, unpack and depmod one kernel package into $dir (atomically).
unpack_kernel() {
	local pkg=$1 dir=$2 tmp deb kver
	tmp=$(mktemp -d "$dir.tmp.XXXXXX")
	chmod 755 "$tmp"
	# apt drops to _apt for downloads; let it write here to avoid the warning.
	id _apt >/dev/null 2>&1 && chown _apt "$tmp"
	(cd "$tmp" && apt-get download -qq "$pkg" >&2) || { rm -rf "$tmp"; return 1; }
	deb=$(find "$tmp" -maxdepth 1 -name '*.deb' | head -n 1)
	mkdir "$tmp/root"
	dpkg-deb -x "$deb" "$tmp/root" || { rm -rf "$tmp"; return 1; }
	rm -f "$deb"
	kver=$(ls "$tmp/root/lib/modules")
	[[ -n $kver && -f $tmp/root/boot/vmlinuz-$kver ]] || { rm -rf "$tmp"; die "$pkg: no vmlinuz/modules in package"; }
	extract_vmlinux "$tmp/root/boot/vmlinuz-$kver" "$tmp/vmlinux"
	depmod -b "$tmp/root" "$kver" || { rm -rf "$tmp"; die "depmod failed for $kver"; }
	echo "$kver" >"$tmp/kver"
	echo "$pkg" >"$tmp/pkg"
	rm -rf "$dir"
	mv "$tmp" "$dir"
}

# Make sure the series' current kernel is cached; print its directory.
# Offline (apt cannot resolve), fall back to the newest cached kernel.
ensure_kernel() {
	local series=$1 root sdir pkg dir old
	root=$(vmtest_cache_root)
	sdir=$root/$series
	mkdir -p "$sdir" 2>/dev/null || skip "cannot create kernel cache $sdir"
	exec {lockfd}>"$sdir/.lock"
	flock -w 600 "$lockfd" || die "kernel cache $sdir is locked"
	pkg=$(resolve_kernel_pkg "$series" || true)
	if [[ -z $pkg ]]; then
		dir=$(find "$sdir" -mindepth 2 -maxdepth 2 -name kver -printf '%h\n' | sort -V | tail -n 1)
		[[ -n $dir ]] || skip "apt offers no kernel for series $series and none is cached"
		msg "$series: apt offers no kernel; using cached $(cat "$dir/pkg")"
	else
		dir=$sdir/$pkg
		if [[ ! -f $dir/kver ]]; then
			msg "$series: fetching $pkg"
			unpack_kernel "$pkg" "$dir" || skip "cannot download $pkg"
			for old in "$sdir"/*/; do   # keep one kernel per series
				[[ ${old%/} == "$dir" ]] || rm -rf "${old%/}"
			done
		fi
	fi
	exec {lockfd}>&-
	printf '%s\n' "$dir"
}

# Modules the initramfs loads, in dependency order, as paths relative to the
# kernel root; built-in ones drop out.
initramfs_modules() {
	local kroot=$1 kver=$2 m path
	for m in virtio_pci 9pnet_virtio 9p overlay; do
		modprobe -d "$kroot" -S "$kver" --show-depends "$m" ||
			die "$kver: cannot resolve module $m"
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
		while read -r path; do printf '%s\n' "${path#"$kroot"/}"; done
}

# Build a tiny busybox initramfs for the cached kernel $kdir into $out.
build_initramfs() {
	local kdir=$1 out=$2 kver tmp m base
	kver=$(cat "$kdir/kver")
	tmp=$(mktemp -d)
	mkdir -p "$tmp"/{bin,dev,proc,sys,lower,rw,newroot,mods}
	cp /bin/busybox "$tmp/bin/busybox"
	ln -s busybox "$tmp/bin/sh"
	install -m 755 "$VMTEST_DIR/initramfs-init" "$tmp/init"
	: >"$tmp/mods/order"
	while read -r m; do
		base=$(basename "$m")
		case $base in
		*.ko.xz)  xz -dc "$kdir/root/$m" >"$tmp/mods/${base%.xz}"; base=${base%.xz} ;;
		*.ko.zst) zstd -dcq "$kdir/root/$m" >"$tmp/mods/${base%.zst}"; base=${base%.zst} ;;
		*.ko)     cp "$kdir/root/$m" "$tmp/mods/$base" ;;
		*) rm -rf "$tmp"; die "unexpected module file $m" ;;
		esac
		echo "$base" >>"$tmp/mods/order"
	done < <(initramfs_modules "$kdir/root" "$kver")
	(cd "$tmp" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$out.tmp"
	rm -rf "$tmp"
	mv "$out.tmp" "$out"
}
