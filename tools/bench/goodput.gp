# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Chart of tools/bench/bench.sh: goodput (median, min-max) and CPU per GiB by method.
#   gnuplot -e "datafile='D'; outfile='O.png'; plottitle='T'" tools/bench/goodput.gp
# D: "label" median min max cpu_sender_per_gib cpu_receiver_per_gib, one line per method.
set terminal pngcairo size 1100,820 font "sans,10" noenhanced
set output outfile
set multiplot layout 2,1 title plottitle
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set grid ytics
set key top left
set xtics scale 0 font ",9"
set yrange [0:*]
set bmargin 4

set ylabel "Gbit/s"
set style histogram errorbars gap 1 lw 1.5
plot datafile using 2:3:4:xticlabels(1) lc rgb "#3060a0" title "goodput (median, min-max)"

set ylabel "CPU s/GiB"
set style histogram rowstacked
plot datafile using 5:xticlabels(1) lc rgb "#c05030" title "sender", \
     '' using 6 lc rgb "#e0a040" title "receiver"
unset multiplot
