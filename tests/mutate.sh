#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Proves the test net holds: each mutation below breaks one promise in a scratch
# copy of the tree, rebuilds what it touches, and runs the tests that should
# notice. A mutation the tests do not kill is a hole in the net, and fails the
# suite; so does a mutation that no longer applies (the code moved: update it).
#   tests/mutate.sh [FILTER]     FILTER: a substring of a mutation's name
# Environment: BUILD (build), the built tree to start from; needs root for the
# BPF and namespace tests that some mutations run. Prints TAP.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
filter=${1:-}

# name ^^ file ^^ exact text ^^ replacement ^^ make targets ^^ test command (run in the
# copy). Replacements are literal; each text must occur exactly once in its file.
MUTATIONS=$(
	cat <<'EOF'
control: the copy builds and passes unchanged ^^ common/blocksum.c ^^ sizeof(off_be)); ^^ sizeof(off_be)); ^^ build/tests/test_blocksum build/p2pkp-xdp ^^ build/tests/test_blocksum && BUILD=build tests/ns/run.sh steer:load_status_unload
store publishes without checking the digest ^^ loader/store/filestore.c ^^ if (!memcmp(got, f->digest, sizeof(got))) { ^^ if (1) { ^^ build/tests/test_filestore ^^ build/tests/test_filestore
store takes no lock on a partial ^^ loader/store/store_partial.c ^^ if (flock(fd, LOCK_EX | LOCK_NB) || fstat(fd, &st)) { ^^ if (fstat(fd, &st)) { ^^ build/tests/test_filestore ^^ build/tests/test_filestore
store trusts resumed blocks ^^ loader/store/store_partial.c ^^ err = resume_check(f, &dropped); ^^ err = 0; ^^ build/tests/test_filestore ^^ build/tests/test_filestore
store leaves mode bits unset ^^ loader/store/filestore.c ^^ if (fchmod(fd, mode & MODE_BITS) || futimens(fd, ts)) ^^ if (futimens(fd, ts)) ^^ build/tests/test_filestore ^^ build/tests/test_filestore
store accepts a world-writable partial dir ^^ loader/store/store_dir.c ^^ if (st->st_mode & S_IWOTH) ^^ if (0) ^^ build/tests/test_filestore ^^ build/tests/test_filestore
store follows symlinks under DIR ^^ loader/store/store_path.c ^^ .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, ^^ .resolve = 0, ^^ build/tests/test_filestore build/p2pkp-xdp ^^ build/tests/test_filestore
name check lets .. through ^^ common/wire.c ^^ (n == 2 && name[start] == '.' && name[start + 1] == '.')) ^^ (n == 2 && 0)) ^^ build/tests/test_wire_malformed ^^ build/tests/test_wire_malformed
block sum leaves the offset out ^^ common/blocksum.c ^^ crc = crc64_ecma_refl(0, (const unsigned char *)&off_be, sizeof(off_be)); ^^ crc = 0; ^^ build/tests/test_blocksum ^^ build/tests/test_blocksum
bitmap reports no holes ^^ common/ranges.c ^^ while (pos < bm->high) { ^^ while (0) { ^^ build/tests/test_ranges ^^ build/tests/test_ranges
rate control never probes above the bottleneck ^^ loader/engine/ratectl.c ^^ rate = btl / 4 * 5; ^^ rate = btl; ^^ build/tests/test_ratectl ^^ build/tests/test_ratectl
rate control forgets that every receiver gets its own copy ^^ loader/engine/ratectl.c ^^ bps *= c->takers ? c->takers : 1; ^^ bps *= 1; ^^ build/tests/test_ratectl ^^ build/tests/test_ratectl
receiver writes blocks whose sum fails ^^ loader/engine/recv_data.c ^^ if (p2pkp_block_sum(d->offset, d->payload, d->len) != d->sum) { ^^ if (0) { ^^ build/p2pkp-xdp build/p2pkp-fault ^^ BUILD=build tests/ns/run.sh transfer_faults:corrupt_hidden
steering program never redirects ^^ bpf/p2pkp_steer.bpf.c ^^ action = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS); ^^ action = XDP_PASS; ^^ build/tests/bpf/test_steer_prog ^^ build/tests/bpf/test_steer_prog
requests take RTT samples from resent requests (no Karn) ^^ loader/engine/reqs.c ^^ if (req->tries == 1) ^^ if (req->tries >= 1) ^^ build/tests/test_reqs ^^ build/tests/test_reqs
engine does not resend reported holes ^^ loader/engine/send_data.c ^^ resend_hole(p, st->file, r.start, r.end < sent ? r.end : sent, now, &h); ^^ (void)sent; ^^ build/tests/test_engine ^^ build/tests/test_engine
sender resends repairs still on their way ^^ loader/engine/send_data.c ^^ __u64 since = now > p->rtt.rto_ns ? now - p->rtt.rto_ns : 0; ^^ __u64 since = now + 1; ^^ build/p2pkp-xdp build/p2pkp-fault ^^ BUILD=build tests/ns/run.sh rate:repairs_are_sent_once
rate control lets app-limited intervals end startup ^^ loader/engine/ratectl.c ^^ c->app_limited = waited || c->waited; ^^ c->app_limited = false; ^^ build/tests/test_ratectl ^^ build/tests/test_ratectl
rate control never goes back to startup ^^ loader/engine/ratectl.c ^^ if (c->cycle == 2 && btl >= c->cycle_btl + c->cycle_btl / 5) { ^^ if (0) { ^^ build/tests/test_ratectl ^^ build/tests/test_ratectl
rate control keeps the bursts of an overrun receiver ^^ loader/engine/ratectl.c ^^ forget_window(p, slot, bps > p->bw_bps / 2 ? bps : p->bw_bps / 2); ^^ (void)forget_window; ^^ build/tests/test_ratectl ^^ build/tests/test_ratectl
keyed receiver takes an OPEN whose seal fails ^^ loader/engine/recv_data.c ^^ n = p2pkp_linkauth_unseal(la, true, data, rx->len); ^^ n = (int)mlen; ^^ build/p2pkp-xdp ^^ BUILD=build tests/ns/run.sh security:wrong_key_or_none
keyed link accepts a replayed datagram ^^ loader/engine/linkauth.c ^^ if (!p2pkp_replay_accept(open ? &la->open_win : &la->rx_win, seq)) ^^ if (0) ^^ build/p2pkp-xdp build/p2pkp-relay ^^ BUILD=build tests/ns/run.sh security:replayed
unload does not detach ^^ loader/xdp/steer.c ^^ err = p2pkp_xdp_detach(ifname, info.ifindex, P2PKP_STEER_PROG_NAME, "steering program", ^^ err = 0; (void)("steering program", ^^ build/p2pkp-xdp ^^ BUILD=build tests/ns/run.sh steer:load_status_unload
receiver drops the payloads its frames do not align (issue 17) ^^ loader/net/xsk_transport.c ^^ m->data = rx_realign(frame, &fi); ^^ m->data = rx_realign(frame, &fi); goto drop; ^^ build/p2pkp-xdp ^^ BUILD=build tests/ns/run.sh ipv6:xdp
receiver serves IPv4 senders only (issue 17) ^^ loader/engine/recv.c ^^ .family = r->o->nfrom ? r->o->from[0].family : AF_UNSPEC, ^^ .family = r->o->nfrom ? r->o->from[0].family : AF_INET, ^^ build/p2pkp-xdp ^^ BUILD=build tests/ns/run.sh ipv6:socket
steering counts every family as IPv4 (issue 17) ^^ bpf/p2pkp_steer.bpf.c ^^ v = &s->fam[fam]; ^^ v = &s->fam[0]; ^^ build/tests/bpf/test_steer_prog ^^ build/tests/bpf/test_steer_prog
EOF
)

n=0 rc=0
scratch=$(mktemp -d "${TMPDIR:-/tmp}/p2pkp-mutate.XXXXXX")
trap 'rm -rf -- "$scratch"' EXIT

# copy_tree DIR: the sources as git sees them, and the built objects to start from.
copy_tree() {
	local dir=$1
	mkdir -p "$dir/build"
	(cd "$top" && git ls-files -co --exclude-standard | while read -r f; do [ -e "$f" ] && echo "$f"; done |
		tar -cf - -T -) | tar -xf - -C "$dir"
	(cd "$top/$build" && tar -cf - obj bpf tests libp2pkp.a ./*.skel.h p2pkp-*) |
		tar -xf - -C "$dir/build"
}

# apply DIR FILE FROM TO: replace the one occurrence of FROM; 0 if it did.
apply() {
	FROM=$3 TO=$4 perl -0pi -e 'BEGIN { $n = 0 } $n = s/\Q$ENV{FROM}\E/$ENV{TO}/g; END { exit($n == 1 ? 0 : 3) }' \
		"$1/$2"
}

while read -r line; do
	[ -n "$line" ] || continue
	name=${line%% ^^ *} line=${line#* ^^ }
	file=${line%% ^^ *} line=${line#* ^^ }
	from=${line%% ^^ *} line=${line#* ^^ }
	to=${line%% ^^ *} line=${line#* ^^ }
	targets=${line%% ^^ *} cmd=${line#* ^^ }
	[ -z "$filter" ] || [[ "$name" == *"$filter"* ]] || continue
	n=$((n + 1))
	work="$scratch/$n"
	copy_tree "$work"
	if ! apply "$work" "$file" "$from" "$to"; then
		echo "not ok $n - $name (does not apply: '$from' is not once in $file)"
		rc=1
		continue
	fi
	# tar kept every time stamp: only what the mutation wrote is newer than its objects.
	# A mutation that does not build proves nothing about the tests.
	if ! (cd "$work" && make --no-print-directory -j2 BUILD=build CFLAGS='-O2 -g -Wno-error' $targets >"$work.build.log" 2>&1); then
		echo "not ok $n - $name (does not build)"
		grep -m3 -E 'error|warning' "$work.build.log" | sed 's/^/#   /'
		rc=1
		continue
	fi
	survived=0
	(cd "$work" && eval "$cmd") >"$work.test.log" 2>&1 && survived=1
	if [[ "$name" == control:* ]]; then
		# The harness itself: an unchanged copy must pass, or no kill above means anything.
		[ $survived -eq 1 ] && echo "ok $n - $name" || {
			echo "not ok $n - $name (the unchanged copy fails)"
			rc=1
		}
	elif [ $survived -eq 1 ]; then
		echo "not ok $n - $name (survived: '$cmd' passed)"
		sed 's/^/#   /' "$work.test.log" | tail -5
		rc=1
	else
		echo "ok $n - $name"
	fi
	rm -rf -- "$work"
done <<<"$MUTATIONS"
echo "1..$n"
exit $rc
