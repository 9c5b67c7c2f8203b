# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Summarises tools/bench/bench.sh's results.tsv, one line per run:
#   method n run ok seconds bytes snd_cpu rcv_cpu snd_syscalls rcv_syscalls retx note
# (bytes: delivered, all receivers together; cpu in seconds; syscalls counted).
# Medians with min-max over the verified runs; mode=text (stdout table),
# md (markdown table and target checks) or dat (gnuplot data).
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
	return k
}

# Chart labels: two short lines (gnuplot reads \n in double quotes as a line break).
function short_label(k) {
	if (k == "xdp") return "p2pkp-xdp\\nAF_XDP"
	if (k == "socket") return "p2pkp-xdp\\nsocket"
	if (k == "tcp") return "TCP\\nrecv+write"
	if (k == "tcp-splice") return "TCP\\nsplice"
	if (k ~ /^xdp-1to/) return "p2pkp-xdp\\n1->" nrecv[k]
	if (k ~ /^tcp-1to/) return "TCP x" nrecv[k] "\\n1->" nrecv[k]
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
	}

	if (mode == "text") {
		hdr = "%-26s %-22s %6s %6s %8s %8s %9s %9s %7s %5s\n"
		printf hdr, "method", "goodput Gbit/s", "xTCP", "xpeer", "CPU/GiB", "CPU/GiB", \
			"sysc/GiB", "sysc/GiB", "retx", "runs"
		printf hdr, "", "median (min-max)", "", "", "sender", "receiver", "sender", \
			"receiver", "%", "ok"
		for (j = 1; j <= nkeys; j++) {
			k = order[j]
			gs = g[k] == "NA" ? "FAILED" : sprintf("%.2f (%.2f-%.2f)", g[k], gmin[k], gmax[k])
			printf hdr, label(k), gs, fmt(xt[k], "%.2f"), fmt(xp[k], "%.2f"), \
				fmt(sc[k], "%.2f"), fmt(rc[k], "%.2f"), fmt(ss[k], "%.0f"), \
				fmt(rs[k], "%.0f"), fmt(rx[k] == "NA" ? "NA" : rx[k] * 100, "%.1f"), \
				nok[k] "/" nruns[k]
		}
	} else if (mode == "md") {
		print "| method | goodput Gbit/s median (min–max) | × TCP | × best peer | CPU s/GiB sender | CPU s/GiB receiver | syscalls/GiB sender | syscalls/GiB receiver | retransmitted | runs ok |"
		print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		for (j = 1; j <= nkeys; j++) {
			k = order[j]
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
		print ""
		print "Per-method notes (last verified run):"
		print ""
		for (j = 1; j <= nkeys; j++) {
			k = order[j]
			if (note[k] != "" && note[k] != "-")
				printf "- %s: %s\n", label(k), note[k]
		}
	} else if (mode == "dat") {
		for (j = 1; j <= nkeys; j++) {
			k = order[j]
			if (g[k] == "NA")
				continue
			l = short_label(k)
			printf "\"%s\"\t%.3f\t%.3f\t%.3f\t%s\t%s\n", l, g[k], gmin[k], gmax[k], \
				(sc[k] == "NA" ? "0" : sc[k]), (rc[k] == "NA" ? "0" : rc[k])
		}
	}
}
