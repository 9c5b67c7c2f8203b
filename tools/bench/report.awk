# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Summarises tools/bench/bench.sh's results.tsv, one line per run:
#   method n run ok seconds bytes snd_cpu rcv_cpu snd_syscalls rcv_syscalls retx note injected
# (bytes: delivered, all receivers together; cpu in seconds; syscalls counted;
# ok: 1 verified, 0 failed, T reached its time limit, S not run after a T;
# injected: the fraction the loss injectors dropped, or -).
# Medians with min-max over the verified runs; mode=text (stdout tables and
# target checks), md (markdown tables and target checks) or dat (gnuplot data).
# Methods loss-IMPL-N-PCT form the loss table: goodput and ratio to the same
# IMPL and N at loss 0. A run that reached its time limit counts there as its
# bound, size / limit, and makes the row's figure an upper bound.
# Portable awk (mawk): no asort, so a small insertion sort.

BEGIN {
	FS = "\t"
	GIB = 1073741824
}

function sortn(a, n, i, j, t) {
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--)
			a[j + 1] = a[j]
		a[j + 1] = t
	}
}

# median of the values of key k in list L (stored as L[k, 1..cnt[k]])
function median(k, what, i, n, a) {
	n = 0
	for (i = 1; i <= nok[k]; i++) {
		if (val[what, k, i] == "NA")
			return "NA"
		a[++n] = val[what, k, i] + 0
	}
	if (n == 0)
		return "NA"
	sortn(a, n)
	if (n % 2)
		return a[(n + 1) / 2]
	return (a[n / 2] + a[n / 2 + 1]) / 2
}

function extreme(k, what, want_max, i, r) {
	r = "NA"
	for (i = 1; i <= nok[k]; i++) {
		if (r == "NA" || (want_max && val[what, k, i] > r) || (!want_max && val[what, k, i] < r))
			r = val[what, k, i] + 0
	}
	return r
}

# median of A[k, 1..n]
function medk(A, k, n, i, a) {
	if (n == 0)
		return "NA"
	for (i = 1; i <= n; i++)
		a[i] = A[k, i] + 0
	sortn(a, n)
	if (n % 2)
		return a[(n + 1) / 2]
	return (a[n / 2] + a[n / 2 + 1]) / 2
}

function extk(A, k, n, want_max, i, r) {
	r = "NA"
	for (i = 1; i <= n; i++)
		if (r == "NA" || (want_max && A[k, i] > r) || (!want_max && A[k, i] < r))
			r = A[k, i] + 0
	return r
}

function perg(x, bytes) {
	return x == "NA" ? "NA" : x / (bytes / GIB)
}

{
	k = $1
	if (!(k in seen)) {
		seen[k] = 1
		order[++nkeys] = k
		nrecv[k] = $2
		nok[k] = 0
	}
	nruns[k]++
	if ($4 == "T")
		nto[k]++
	if ($4 == "S")
		nskip[k]++
	# Goodput of the loss table: verified runs, and bounds of the timed-out ones.
	if (($4 == 1 || $4 == "T" || $4 == "S") && $5 + 0 > 0) {
		i = ++ng[k]
		gv[k, i] = $6 * 8 / $5 / 1e9
		if ($4 != 1)
			ub[k] = 1
		if ($13 != "" && $13 != "-" && $13 != "NA")
			inj[k, ++ninj[k]] = $13
	}
	if ($4 != 1 || $5 + 0 <= 0)
		next
	i = ++nok[k]
	val["g", k, i] = $6 * 8 / $5 / 1e9
	val["sc", k, i] = perg($7, $6)
	val["rc", k, i] = perg($8, $6)
	val["ss", k, i] = perg($9, $6)
	val["rs", k, i] = perg($10, $6)
	val["rx", k, i] = $11 == "-" ? "NA" : $11
	note[k] = $12
}

function fmt(x, f) {
	return x == "NA" ? "n/a" : sprintf(f, x)
}

function ratio(a, b) {
	return (a == "NA" || b == "NA" || b + 0 == 0) ? "NA" : a / b
}

function label(k) {
	if (k == "xdp") return "p2pkp-xdp AF_XDP"
	if (k == "socket") return "p2pkp-xdp socket"
	if (k == "tcp") return "TCP sendfile->recv+write"
	if (k == "tcp-splice") return "TCP sendfile->splice"
	if (k == "uftp") return "uftp"
	if (k == "udpcast") return "udpcast"
	if (k ~ /^xdp-1to/) return "p2pkp-xdp AF_XDP 1->" nrecv[k]
	if (k ~ /^tcp-1to/) return "TCP " nrecv[k] " streams 1->" nrecv[k]
	if (k == "xdp-br-v4") return "p2pkp-xdp IPv4 (bridge)"
	if (k == "xdp-br-v6") return "p2pkp-xdp IPv6 (bridge)"
	if (k == "xdp-keyed") return "p2pkp-xdp keyed"
	if (k == "xdp-keyed-enc") return "p2pkp-xdp keyed+encrypt"
	return k
}

# The parts of a loss row's key, loss-IMPL-N-PCT.
function loss_impl(k, a) { split(k, a, "-"); return a[2] }
function loss_n(k, a) { split(k, a, "-"); return a[3] }
function loss_pct(k, a) { split(k, a, "-"); return a[4] }

# The loss table's method names (uftp's rate is in the header: "uftp -R RATE").
function loss_label(impl, n) {
	if (impl == "xdp") return "p2pkp-xdp AF_XDP, adaptive"
	if (impl == "tcp") return n == 1 ? "TCP sendfile->recv+write" : "TCP " n " streams"
	if (impl == "uftp") return n == 1 ? "uftp unicast" : "uftp multicast"
	return impl
}

# "<=" (text) or "≤" (md) before an upper bound, ">=" or "≥" before a lower one; "-" or
# "–" between min and max.
function le() { return mode == "md" ? "≤" : "<=" }
function ge() { return mode == "md" ? "≥" : ">=" }
function dash() { return mode == "md" ? "–" : "-" }

# A loss row's goodput: median (min-max), an upper bound if a run timed out.
function loss_goodput(k) {
	if (G[k] == "NA")
		return mode == "md" ? "failed" : "FAILED"
	if (ub[k] && ng[k] == nto[k] + nskip[k])
		return sprintf("%s%.3f (timed out)", le(), G[k])
	if (ub[k])
		return sprintf("%s%.3f (%.3f%s%.3f)", le(), G[k], Gmin[k], dash(), Gmax[k])
	return sprintf("%.3f (%.3f%s%.3f)", G[k], Gmin[k], dash(), Gmax[k])
}

# ratio of a loss row to its lossless row, "<=" when only a bound is known.
function loss_ratio(k, k0) {
	if (!(k0 in G) || G[k] == "NA" || G[k0] == "NA" || ub[k0] || G[k0] == 0)
		return "n/a"
	return sprintf("%s%.2f", ub[k] ? le() : "", G[k] / G[k0])
}

function runs_of(k, s) {
	s = nok[k] "/" nruns[k]
	if (nto[k])
		s = s ", " nto[k] " timed out"
	if (nskip[k])
		s = s ", " nskip[k] " not rerun"
	return s
}

# Target "A >= F x B" on two rows' goodputs, either of them possibly an upper bound.
function target(name, ka, kb, f, st, a, b, d, rq) {
	if (!(ka in G) || !(kb in G) || G[ka] == "NA" || G[kb] == "NA") {
		st = "not measured"
		d = ""
		if (!(ka in G) || G[ka] == "NA")
			d = "no verified run of " ka
		if (!(kb in G) || G[kb] == "NA")
			d = (d == "" ? "no verified run of " : d ", nor of ") kb
	} else {
		a = G[ka]
		b = G[kb]
		if (!ub[ka] && !ub[kb])
			st = a >= f * b ? "met" : "not met"
		else if (!ub[ka])
			st = a >= f * b ? "met" : "not determined"
		else if (!ub[kb])
			st = a < f * b ? "not met" : "not determined"
		else
			st = "not determined"
		# A bound on a bounds the ratio from above, a bound on b from below.
		rq = sprintf("%s%.3fx", ub[ka] ? le() : ub[kb] ? ge() : "", b > 0 ? a / b : 0)
		if (ub[ka] && ub[kb])
			rq = "?"
		d = sprintf("%s%.3f vs %s%.3f Gbit/s = %s", ub[ka] ? le() : "", a, ub[kb] ? le() : "", b, rq)
		if (ub[ka] || ub[kb])
			d = d " (" le() ": timed out, an upper bound)"
	}
	if (mode == "md")
		printf "| %s | %s | %s |\n", name, st == "not met" ? "**not met**" : st, d
	else
		printf "  %-16s %s: %s\n", "[" st "]", name, d
}

# The targets of issue 11: 1->1 at 3 %, and 1->4 at 10 % (or the largest fan-out run).
# The targets of the rows this run has, under a heading (and, for markdown, a table head).
function all_targets(table_head) {
	if (!has_loss && !has_v6 && !has_key)
		return
	print ""
	print "Targets of issues 11 (loss), 12 (keys) and 17 (IPv6), checked on this run:"
	if (table_head != "")
		print table_head
	if (has_loss)
		loss_targets()
	if (has_v6)
		target("IPv6 1->1 >= 0.8x IPv4 1->1 (same bridge)", "xdp-br-v6", "xdp-br-v4", 0.8)
	if (has_key)
		target("keyed 1->1 >= 0.85x keyless 1->1", "xdp-keyed", "xdp", 0.85)
}

function loss_targets(j, n, big) {
	target("1->1 at 3 % loss >= 0.8x its lossless goodput", "loss-xdp-1-3", "loss-xdp-1-0", 0.8)
	target("1->1 at 3 % loss >= 2x TCP at 3 % loss", "loss-xdp-1-3", "loss-tcp-1-3", 2)
	big = 0
	for (j = 1; j <= nkeys; j++) {
		if (order[j] !~ /^loss-/)
			continue
		n = loss_n(order[j]) + 0
		if (n == 4 || (n > big && big != 4))
			big = n
	}
	if (big < 2)
		big = 4
	target("1->" big " at 10 % loss >= 0.7x its lossless goodput", "loss-xdp-" big "-10", \
		"loss-xdp-" big "-0", 0.7)
	target("1->" big " at 10 % loss >= uftp at 10 % loss", "loss-xdp-" big "-10", \
		"loss-uftp-" big "-10", 1)
}

# Chart labels: two short lines (gnuplot reads \n in double quotes as a line break).
function short_label(k) {
	if (k == "xdp") return "p2pkp-xdp\\nAF_XDP"
	if (k == "socket") return "p2pkp-xdp\\nsocket"
	if (k == "tcp") return "TCP\\nrecv+write"
	if (k == "tcp-splice") return "TCP\\nsplice"
	if (k ~ /^xdp-1to/) return "p2pkp-xdp\\n1->" nrecv[k]
	if (k ~ /^tcp-1to/) return "TCP x" nrecv[k] "\\n1->" nrecv[k]
	if (k == "xdp-br-v4") return "p2pkp-xdp\\nIPv4 bridge"
	if (k == "xdp-br-v6") return "p2pkp-xdp\\nIPv6 bridge"
	if (k == "xdp-keyed") return "p2pkp-xdp\\nkeyed"
	if (k == "xdp-keyed-enc") return "p2pkp-xdp\\nkeyed+enc"
	return k
}

function check(name, ok, detail) {
	if (ok == "NA")
		return
	printf "| %s | %s | %s |\n", name, ok ? "met" : "**not met**", detail
}

END {
	for (j = 1; j <= nkeys; j++) {
		k = order[j]
		g[k] = median(k, "g")
		gmin[k] = extreme(k, "g", 0)
		gmax[k] = extreme(k, "g", 1)
		sc[k] = median(k, "sc"); rc[k] = median(k, "rc")
		ss[k] = median(k, "ss"); rs[k] = median(k, "rs")
		rx[k] = median(k, "rx")
		G[k] = medk(gv, k, ng[k])
		Gmin[k] = extk(gv, k, ng[k], 0)
		Gmax[k] = extk(gv, k, ng[k], 1)
		INJ[k] = medk(inj, k, ninj[k])
		if (k ~ /^loss-/)
			has_loss = 1
		if (k ~ /^xdp-br-v/)
			has_v6 = 1
		if (k ~ /^xdp-keyed/)
			has_key = 1
	}
	peer = "NA"
	if ("uftp" in g && g["uftp"] != "NA") peer = g["uftp"]
	if ("udpcast" in g && g["udpcast"] != "NA" && (peer == "NA" || g["udpcast"] > peer))
		peer = g["udpcast"]
	for (j = 1; j <= nkeys; j++) {
		k = order[j]
		base = nrecv[k] == 1 ? "tcp" : "tcp-1to" nrecv[k]
		xt[k] = (base in g) ? ratio(g[k], g[base]) : "NA"
		xp[k] = nrecv[k] == 1 ? ratio(g[k], peer) : "NA"
		if (k ~ /^xdp-br-v/) # over the bridge: not comparable with the veth pair's rows
			xt[k] = xp[k] = "NA"
	}
	# The loss table's rows, grouped by receivers and method, losses in run order.
	for (j = 1; j <= nkeys; j++) {
		k = order[j]
		if (k !~ /^loss-/)
			continue
		grp = loss_n(k) SUBSEP loss_impl(k)
		if (!(grp in gseen)) {
			gseen[grp] = 1
			gorder[++ngrp] = grp
		}
		glist[grp, ++gcount[grp]] = k
	}

	if (mode == "text") {
		hdr = "%-26s %-22s %6s %6s %8s %8s %9s %9s %7s %5s\n"
		printf hdr, "method", "goodput Gbit/s", "xTCP", "xpeer", "CPU/GiB", "CPU/GiB", \
			"sysc/GiB", "sysc/GiB", "retx", "runs"
		printf hdr, "", "median (min-max)", "", "", "sender", "receiver", "sender", \
			"receiver", "%", "ok"
		for (j = 1; j <= nkeys; j++) {
			k = order[j]
			if (k ~ /^loss-/)
				continue
			gs = g[k] == "NA" ? "FAILED" : sprintf("%.2f (%.2f-%.2f)", g[k], gmin[k], gmax[k])
			printf hdr, label(k), gs, fmt(xt[k], "%.2f"), fmt(xp[k], "%.2f"), \
				fmt(sc[k], "%.2f"), fmt(rc[k], "%.2f"), fmt(ss[k], "%.0f"), \
				fmt(rs[k], "%.0f"), fmt(rx[k] == "NA" ? "NA" : rx[k] * 100, "%.1f"), \
				nok[k] "/" nruns[k]
		}
		if (has_loss) {
			print ""
			print "Loss rows: random loss of the data direction, independent per receiver; goodput"
			print "median (min-max), and its ratio to the same method without loss (<=: a run reached"
			print "its time limit, the figure is an upper bound)."
			hdr = "%-9s %-30s %6s %-26s %9s %9s %6s  %s\n"
			printf hdr, "transfer", "method", "loss %", "goodput Gbit/s", "xlossless", \
				"injected%", "retx%", "runs ok"
			for (j = 1; j <= ngrp; j++) {
				for (i = 1; i <= gcount[gorder[j]]; i++) {
					k = glist[gorder[j], i]
					n = loss_n(k)
					printf hdr, "1->" n, loss_label(loss_impl(k), n), loss_pct(k), \
						loss_goodput(k), loss_ratio(k, "loss-" loss_impl(k) "-" n "-0"), \
						fmt(INJ[k] == "NA" ? "NA" : INJ[k] * 100, "%.2f"), \
						fmt(rx[k] == "NA" ? "NA" : rx[k] * 100, "%.1f"), runs_of(k)
				}
			}
		}
		all_targets("")
	} else if (mode == "md") {
		print "| method | goodput Gbit/s median (min–max) | × TCP | × best peer | CPU s/GiB sender | CPU s/GiB receiver | syscalls/GiB sender | syscalls/GiB receiver | retransmitted | runs ok |"
		print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		for (j = 1; j <= nkeys; j++) {
			k = order[j]
			if (k ~ /^loss-/)
				continue
			gs = g[k] == "NA" ? "failed" : sprintf("%.2f (%.2f–%.2f)", g[k], gmin[k], gmax[k])
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label(k), gs, \
				fmt(xt[k], "%.2f"), fmt(xp[k], "%.2f"), fmt(sc[k], "%.2f"), \
				fmt(rc[k], "%.2f"), fmt(ss[k], "%.0f"), fmt(rs[k], "%.0f"), \
				fmt(rx[k] == "NA" ? "NA" : rx[k] * 100, "%.1f %%"), nok[k] "/" nruns[k]
		}
		print ""
		print "Targets of issue 5, checked on this run:"
		print ""
		print "| target | status | figures |"
		print "| --- | --- | --- |"
		if ("xdp" in g && g["xdp"] != "NA") {
			x = g["xdp"]
			xc = (sc["xdp"] == "NA" || rc["xdp"] == "NA") ? "NA" : sc["xdp"] + rc["xdp"]
			for (p = 1; p <= 2; p++) {
				pk = p == 1 ? "uftp" : "udpcast"
				if (!(pk in g) || g[pk] == "NA")
					continue
				check("goodput ≥ 8× " pk, x >= 8 * g[pk], \
					sprintf("%.2f vs %.2f Gbit/s = %.2f×", x, g[pk], x / g[pk]))
				pc = (sc[pk] == "NA" || rc[pk] == "NA") ? "NA" : sc[pk] + rc[pk]
				if (xc != "NA" && pc != "NA")
					check("CPU/GiB below " pk " (both sides)", xc < pc, \
						sprintf("%.2f vs %.2f s/GiB", xc, pc))
			}
			if ("tcp" in g && g["tcp"] != "NA")
				check("1→1 goodput ≥ 0.8× TCP sendfile", x >= 0.8 * g["tcp"], \
					sprintf("%.2f vs %.2f Gbit/s = %.2f×", x, g["tcp"], x / g["tcp"]))
			if (rs["xdp"] != "NA")
				check("receiver ≤ 2,000 syscalls/GiB", rs["xdp"] <= 2000, \
					sprintf("%.0f", rs["xdp"]))
			if (ss["xdp"] != "NA")
				check("sender ≤ 12,000 syscalls/GiB", ss["xdp"] <= 12000, \
					sprintf("%.0f", ss["xdp"]))
		}
		if (("xdp-1to4" in g) && ("tcp-1to4" in g) && g["xdp-1to4"] != "NA" && g["tcp-1to4"] != "NA")
			check("1→4 aggregate ≥ 2× four TCP streams", g["xdp-1to4"] >= 2 * g["tcp-1to4"], \
				sprintf("%.2f vs %.2f Gbit/s = %.2f×", g["xdp-1to4"], g["tcp-1to4"], \
					g["xdp-1to4"] / g["tcp-1to4"]))
		if (has_loss) {
			print ""
			print "Loss rows: random loss of the data direction, independent per receiver; goodput median (min–max), and its ratio to the same method without loss (≤: a run reached its time limit, the figure is an upper bound):"
			print ""
			print "| transfer | method | loss | goodput Gbit/s | × lossless | injected (measured) | retransmitted | runs ok |"
			print "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
			for (j = 1; j <= ngrp; j++) {
				for (i = 1; i <= gcount[gorder[j]]; i++) {
					k = glist[gorder[j], i]
					n = loss_n(k)
					printf "| 1→%s | %s | %s %% | %s | %s | %s | %s | %s |\n", n, \
						loss_label(loss_impl(k), n), loss_pct(k), loss_goodput(k), \
						loss_ratio(k, "loss-" loss_impl(k) "-" n "-0"), \
						fmt(INJ[k] == "NA" ? "NA" : INJ[k] * 100, "%.2f %%"), \
						fmt(rx[k] == "NA" ? "NA" : rx[k] * 100, "%.1f %%"), runs_of(k)
				}
			}
		}
		all_targets("\n| target | status | figures |\n| --- | --- | --- |")
		print ""
		print "Per-method notes (last verified run):"
		print ""
		for (j = 1; j <= nkeys; j++) {
			k = order[j]
			if (k !~ /^loss-/ && note[k] != "" && note[k] != "-")
				printf "- %s: %s\n", label(k), note[k]
		}
	} else if (mode == "dat") {
		for (j = 1; j <= nkeys; j++) {
			k = order[j]
			if (g[k] == "NA" || k ~ /^loss-/)
				continue
			l = short_label(k)
			printf "\"%s\"\t%.3f\t%.3f\t%.3f\t%s\t%s\n", l, g[k], gmin[k], gmax[k], \
				(sc[k] == "NA" ? "0" : sc[k]), (rc[k] == "NA" ? "0" : rc[k])
		}
	}
}
