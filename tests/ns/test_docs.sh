# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The man page and --help describe the same options (no namespaces needed).

test_man_page_documents_every_option() {
	local cmd opt man missing=""
	man=$(sed 's/\\-/-/g' "$P2PKP_TOP/docs/p2pkp-xdp.8")
	for cmd in load unload status send recv keygen; do
		grep -q "^.B p2pkp-xdp $cmd" <<<"$man" || missing+=" $cmd(synopsis)"
		for opt in $("$P2PKP" "$cmd" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
			grep -q -- "$opt" <<<"$man" || missing+=" $cmd:$opt"
		done
	done
	[ -z "$missing" ] || fail "not in docs/p2pkp-xdp.8:$missing"
}

test_man_page_renders_cleanly() {
	require_cmd groff
	local warnings
	warnings=$(groff -man -ww -z "$P2PKP_TOP/docs/p2pkp-xdp.8" 2>&1)
	[ -z "$warnings" ] || fail "groff: $warnings"
}
