#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The benchmark of `make bench`: p2pkp-xdp (AF_XDP and socket backends) against
# the project's TCP baseline (sendfile -> recv+write or splice), uftp and
# udpcast, 1 -> 1 over a veth pair and 1 -> N over a bridge; the same under
# random loss injected by tools/p2pkp-fault; IPv6 against IPv4; in namespaces
# it builds and removes. See tools/bench/bench.sh --help.
set -eEuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${BUILD:-$TOP/build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$TOP/$BUILD_DIR ;; esac
P2PKP=$BUILD_DIR/p2pkp-xdp
TCPB=$BUILD_DIR/p2pkp-tcpbench
FAULT=$BUILD_DIR/p2pkp-fault

ALL_METHODS="xdp socket tcp tcp-splice uftp udpcast fanout loss ipv6 keyed"
ALL_LOSS_METHODS="xdp tcp uftp"
PORT_TCP=7472
PORT_UFTP=1044

usage() {
	cat <<EOF
Usage: tools/bench/bench.sh [--help]        (or: make bench [VAR=...])

Copies a random file from one namespace to others with each method, several
times, alternating methods, and prints a table of medians (min-max): verified
goodput, CPU seconds and system calls per GiB on each side, retransmitted
fraction, and each method's ratio to TCP and to the best peer (uftp, udpcast);
then the loss table (each row's goodput and its ratio to the same transfer
without loss) and the targets of issues 11 and 17, met or not met.
A full run also writes docs/benchmarks.md and docs/bench-*.png.
Expected time on a 2-CPU host: QUICK=1 5 to 7 minutes, a full run about
40 minutes (see docs/benchmarks.md); every transfer has a time limit.

Environment:
  SIZE=BYTES        File size, suffix K, M or G (default 1G; 128M with QUICK=1)
  RUNS=N            Runs of every method (default 3; 1 with QUICK=1)
  QUICK=1           Development mode: small defaults, no calibration, prints only
  METHODS="..."     Any of: $ALL_METHODS
                    (fanout = p2pkp-xdp vs N parallel TCP streams over a bridge;
                    loss = the loss rows below; ipv6 = p2pkp-xdp AF_XDP 1 -> 1 over
                    the bridge by IPv4 and by IPv6; keyed = p2pkp-xdp AF_XDP with a
                    pre-shared key, authenticated and also encrypted)
  FANOUT="4 8"      Receiver counts of the fanout method
Loss rows (METHODS contains loss): over the bridge, every IPv4/IPv6 packet of the
data direction dropped at random by tools/p2pkp-fault --match ip, independently
for each receiver's copy (on the sender's bridge port; for uftp, multicast to
several receivers, on each receiver's own port instead).
  LOSS="0 1 3 10"   Loss levels in percent; 0 is required (the reference of each row)
  LOSS_FANOUT="1 4" Receiver counts of the loss rows
  LOSS_METHODS="$ALL_LOSS_METHODS"
                    xdp = p2pkp-xdp AF_XDP, adaptive rate; tcp = the TCP baseline
                    (N parallel streams for 1 -> N); uftp = uftp at UFTP_RATE
                    (unicast for 1 -> 1, multicast for 1 -> N)
  LOSS_SIZE=BYTES   File size of the loss rows (default SIZE if given, else 1G;
                    256M with QUICK=1)
  LOSS_TIMEOUT=SEC  Time limit of each loss transfer (default 120; 60 with QUICK=1);
                    a row that reaches it is reported as timed out (goodput below
                    size / limit) and is not run again in later runs
  LOSS_SEED=N       Seed of the injected loss (default 1)
  OUT=DIR           Write benchmarks.md and the charts there (default: docs/ on a
                    full run, nothing with QUICK=1; OUT= disables)
  CALIBRATE=0|1     Pick uftp's and udpcast's rates by a short ladder first
                    (default 1, 0 with QUICK=1); else UFTP_RATE / UDPCAST_RATE
  UFTP_RATE=KBPS    uftp -R (default -1: as fast as the interface allows)
  UDPCAST_RATE=R    udp-sender --max-bitrate, e.g. 2000m (default: none)
  MTU=BYTES         MTU of every link (default 1500)
  BUILD=DIR         Where the binaries are (default build/)
EOF
}

die() {
	echo "bench: $*" >&2
	exit 1
}

note() {
	echo "bench: $*" >&2
}

# --- configuration ------------------------------------------------------------------

# to_bytes 64M -> 67108864
to_bytes() {
	local v=$1 n
	n=${v%[kKmMgG]}
	[[ "$n" =~ ^[0-9]+$ ]] || die "SIZE '$v' is not a number with an optional K, M or G"
	case $v in
	*[kK]) echo $((n << 10)) ;;
	*[mM]) echo $((n << 20)) ;;
	*[gG]) echo $((n << 30)) ;;
	*) echo "$n" ;;
	esac
}

# has WORD LIST...: true if WORD is one of the words of LIST (one string or several).
has() {
	local w=$1
	shift
	[[ " $* " == *" $w "* ]]
}

load_config() {
	QUICK=${QUICK:-0}
	local size_given=${SIZE:-}
	if [ "$QUICK" = 1 ]; then
		SIZE=${SIZE:-128M} RUNS=${RUNS:-1} CALIBRATE=${CALIBRATE:-0}
		LOSS_SIZE=${LOSS_SIZE:-${size_given:-256M}} LOSS_TIMEOUT=${LOSS_TIMEOUT:-60}
		OUT_DIR=${OUT-}
	else
		SIZE=${SIZE:-1G} RUNS=${RUNS:-3} CALIBRATE=${CALIBRATE:-1}
		LOSS_SIZE=${LOSS_SIZE:-${size_given:-1G}} LOSS_TIMEOUT=${LOSS_TIMEOUT:-120}
		OUT_DIR=${OUT-$TOP/docs}
	fi
	SIZE_BYTES=$(to_bytes "$SIZE")
	[ "$SIZE_BYTES" -ge 1048576 ] || die "SIZE must be at least 1M"
	[[ "$RUNS" =~ ^[1-9][0-9]?$ ]] || die "RUNS must be 1..99"
	METHODS=${METHODS:-$ALL_METHODS}
	local m
	for m in $METHODS; do
		has "$m" "$ALL_METHODS" || die "unknown method '$m' (one of: $ALL_METHODS)"
	done
	FANOUT=${FANOUT:-4 8}
	for m in $FANOUT; do
		[[ "$m" =~ ^[0-9]+$ ]] && [ "$m" -ge 2 ] && [ "$m" -le 16 ] ||
			die "FANOUT counts must be 2..16, got '$m'"
	done
	load_loss_config
	MTU=${MTU:-1500}
	UFTP_RATE=${UFTP_RATE:--1}
	UFTP_BLOCK=${UFTP_BLOCK:-1300}
	UDPCAST_RATE=${UDPCAST_RATE:-}
	SIZE_MIB=$((SIZE_BYTES >> 20))
}

load_loss_config() {
	local m
	LOSS=${LOSS:-0 1 3 10}
	LOSS_FANOUT=${LOSS_FANOUT:-1 4}
	LOSS_METHODS=${LOSS_METHODS:-$ALL_LOSS_METHODS}
	LOSS_SEED=${LOSS_SEED:-1}
	LOSS_BYTES=$(to_bytes "$LOSS_SIZE")
	[ "$LOSS_BYTES" -ge 1048576 ] || die "LOSS_SIZE must be at least 1M"
	for m in $LOSS; do
		[[ "$m" =~ ^[0-9]{1,2}(\.[0-9]{1,4})?$ ]] ||
			die "LOSS levels must be percentages below 100, got '$m'"
	done
	has 0 "$LOSS" || die "LOSS must include 0: every loss row is compared with its lossless run"
	for m in $LOSS_FANOUT; do
		[[ "$m" =~ ^[0-9]+$ ]] && [ "$m" -ge 1 ] && [ "$m" -le 16 ] ||
			die "LOSS_FANOUT counts must be 1..16, got '$m'"
	done
	for m in $LOSS_METHODS; do
		has "$m" "$ALL_LOSS_METHODS" || die "unknown loss method '$m' (one of: $ALL_LOSS_METHODS)"
	done
	[[ "$LOSS_TIMEOUT" =~ ^[1-9][0-9]{0,4}$ ]] || die "LOSS_TIMEOUT must be 1..99999 seconds"
	[[ "$LOSS_SEED" =~ ^[0-9]{1,9}$ ]] || die "LOSS_SEED must be a number"
}

# loss_uses METHOD: the loss rows are run and include METHOD.
loss_uses() {
	has loss "$METHODS" && has "$1" "$LOSS_METHODS"
}

require_tools() {
	local t
	[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces); run as root"
	[ -x "$P2PKP" ] && [ -x "$TCPB" ] || die "binaries missing in $BUILD_DIR; run make first"
	! has loss "$METHODS" || [ -x "$FAULT" ] || die "$FAULT missing; run make first"
	for t in ip perf /usr/bin/time timeout cmp awk; do
		command -v "$t" >/dev/null || die "$t is missing; run tools/deps.sh bench"
	done
	if has uftp "$METHODS" || loss_uses uftp; then
		command -v uftp >/dev/null && command -v uftpd >/dev/null ||
			die "uftp/uftpd missing; run tools/deps.sh bench"
	fi
	if has udpcast "$METHODS"; then
		command -v udp-sender >/dev/null && command -v udp-receiver >/dev/null ||
			die "udp-sender/udp-receiver missing; run tools/deps.sh bench"
	fi
	if [ -n "$OUT_DIR" ]; then
		command -v gnuplot >/dev/null || die "gnuplot is missing; run tools/deps.sh bench"
	fi
	perf stat -x, -e raw_syscalls:sys_enter -o /dev/null -- true 2>/dev/null ||
		die "perf cannot count raw_syscalls:sys_enter (tracefs mounted? perf_event_paranoid?)"
}

# most LIST...: the largest of the numbers in LIST (one string or several).
most() {
	local m=0 n
	# shellcheck disable=SC2048 # the words of every argument
	for n in $*; do [ "$n" -gt "$m" ] && m=$n; done
	echo "$m"
}

# Enough tmpfs for the sources and every receiver's copy of the largest step.
check_memory() {
	local most=1 loss_most=0 n avail_kb need_kb copies_kb
	has fanout "$METHODS" && most=$(most 1 "$FANOUT")
	has loss "$METHODS" && loss_most=$(most "$LOSS_FANOUT")
	avail_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
	copies_kb=$(most $((most * (SIZE_BYTES >> 10))) $((loss_most * (LOSS_BYTES >> 10))))
	need_kb=$(((SIZE_BYTES >> 10) + copies_kb + 262144))
	[ "$loss_most" = 0 ] || [ "$LOSS_BYTES" = "$SIZE_BYTES" ] || need_kb=$((need_kb + (LOSS_BYTES >> 10)))
	[ "$need_kb" -le "$avail_kb" ] ||
		die "needs ~$((need_kb >> 10)) MiB of memory for SIZE=$SIZE, LOSS_SIZE=$LOSS_SIZE with $(most "$most" "$loss_most") receivers, $((avail_kb >> 10)) MiB available; lower SIZE, LOSS_SIZE or the receiver counts"
}

# --- state and cleanup -----------------------------------------------------------------

NS=pb$$
created_ns=()
started_pids=()
WORK=
declare -A TIMED_OUT=() # loss row -> the run in which it reached its time limit

cleanup() {
	local pid ns
	set +e
	for pid in "${started_pids[@]}"; do
		kill -0 "$pid" 2>/dev/null || continue
		# shellcheck disable=SC2046
		kill -KILL $(descendants "$pid") "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${created_ns[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$WORK" ] && rm -rf -- "$WORK"
	return 0
}

make_workdir() {
	[ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] || die "/dev/shm is not a tmpfs"
	WORK=$(mktemp -d /dev/shm/p2pkp-bench.XXXXXX)
	mkdir -p "$WORK/log" "$WORK/out"
	"$P2PKP" keygen "$WORK/bench.key" >/dev/null || die "cannot write a key to $WORK"
	RESULTS=$WORK/results.tsv
	: >"$RESULTS"
}

# A random source file in tmpfs: page cache by construction; the loss rows' own
# (named alike: every copy is DIR/bench.bin) when their size differs.
make_source() {
	SRC=$WORK/bench.bin
	note "creating a $SIZE_MIB MiB random file in $WORK"
	head -c "$SIZE_BYTES" /dev/urandom >"$SRC"
	LOSS_SRC=$SRC
	if has loss "$METHODS" && [ "$LOSS_BYTES" != "$SIZE_BYTES" ]; then
		mkdir -p "$WORK/loss"
		LOSS_SRC=$WORK/loss/bench.bin
		note "creating a $((LOSS_BYTES >> 20)) MiB random file for the loss rows"
		head -c "$LOSS_BYTES" /dev/urandom >"$LOSS_SRC"
	fi
}

# --- topology --------------------------------------------------------------------------

ns_add() {
	ip netns add "$NS-$1" || die "cannot create namespace $NS-$1"
	created_ns+=("$NS-$1")
	ip -n "$NS-$1" link set lo up
}

# link_up NS DEV ADDR: address, MTU and up for one end inside its namespace.
link_up() {
	ip -n "$NS-$1" addr add "$3" dev "$2"
	ip -n "$NS-$1" link set "$2" mtu "$MTU" up
}

# 1 -> 1: "a" (10.78.0.1) and "b" (10.78.0.2), joined by one veth pair.
make_pair() {
	ns_add a
	ns_add b
	ip link add veth0 netns "$NS-a" type veth peer name veth0 netns "$NS-b" ||
		die "cannot create the veth pair"
	link_up a veth0 10.78.0.1/24
	link_up b veth0 10.78.0.2/24
}

# 1 -> N: "s" (10.79.0.1, fd79::1) and r1..rN (10.79.0.11.., fd79::11..) on a bridge
# in namespace "sw"; the sender's bridge port is ps, receiver i's is pI. IPv6
# addresses without DAD: usable at once.
make_bridge() {
	local n=$1 i
	ns_add sw
	ip -n "$NS-sw" link add br0 type bridge
	ip -n "$NS-sw" link set br0 mtu "$MTU" up
	ns_add s
	ip link add veth0 netns "$NS-s" type veth peer name ps netns "$NS-sw" ||
		die "cannot create the bridge port of the sender"
	link_up s veth0 10.79.0.1/24
	ip -n "$NS-s" -6 addr add fd79::1/64 dev veth0 nodad
	ip -n "$NS-sw" link set ps mtu "$MTU" master br0 up
	for i in $(seq 1 "$n"); do
		ns_add "r$i"
		ip link add veth0 netns "$NS-r$i" type veth peer name "p$i" netns "$NS-sw" ||
			die "cannot create the bridge port of receiver $i"
		link_up "r$i" veth0 "10.79.0.$((10 + i))/24"
		ip -n "$NS-r$i" -6 addr add "fd79::$((10 + i))/64" dev veth0 nodad
		ip -n "$NS-sw" link set "p$i" mtu "$MTU" master br0 up
	done
}

# --- measured processes ----------------------------------------------------------------

# limit_for COPIES: seconds a step may take, generous for a loaded 2-core host.
limit_for() {
	echo $((60 + $1 * SIZE_MIB / 20))
}

# spawn NS TAG LIMIT CMD...: run CMD in namespace NS in the background, under
# perf stat (system calls; CPU as task-clock and elapsed as duration_time, both
# precise), time (user, sys, elapsed to 10 ms: the fallback) and, innermost, timeout
# (TERM after LIMIT seconds, KILL 5 s later: udp-sender ignores TERM); files
# $WORK/log/TAG.{out,err,perf,time}. Sets SPAWN_PID (the perf process) and
# SPAWN_LIMIT (LIMIT, if set, overrides the one given).
spawn() {
	local ns=$1 tag=$2 limit=${LIMIT:-$3}
	shift 3
	SPAWN_LIMIT=$limit
	ip netns exec "$NS-$ns" \
		perf stat -x, -o "$WORK/log/$tag.perf" -e raw_syscalls:sys_enter,task-clock,duration_time -- \
		/usr/bin/time -f '%e %U %S' -o "$WORK/log/$tag.time" \
		timeout -k 5 "$limit" "$@" >"$WORK/log/$tag.out" 2>"$WORK/log/$tag.err" &
	SPAWN_PID=$!
	started_pids+=("$SPAWN_PID")
}

# descendants PID: PID's children, grandchildren..., deepest last.
descendants() {
	local kid
	for kid in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$kid"
		descendants "$kid"
	done
}

# finish PID: its exit status, without tripping set -e.
finish() {
	local rc=0
	wait "$1" || rc=$?
	return $rc
}

# stop_leaf PID: SIGTERM the innermost process under PID (a daemon that never exits
# by itself), so that time and perf above it still report.
stop_leaf() {
	local leaf
	leaf=$(descendants "$1" | tail -1)
	[ -z "$leaf" ] || kill -TERM "$leaf" 2>/dev/null || true
}

# stop_all PID...: stop_leaf each (receivers whose sender failed).
stop_all() {
	local p
	for p in "$@"; do stop_leaf "$p"; done
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds or time runs out.
wait_until() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

log_has() {
	grep -q "$2" "$WORK/log/$1.err"
}

udp_listening() {
	[ -n "$(ip netns exec "$NS-$1" ss -Hlnu "sport = :$2")" ]
}

# perf_value TAG EVENT: a counter of TAG's perf stat output, or nothing.
perf_value() {
	awk -F, -v e="$2" '$3 == e && $1 ~ /^[0-9.]+$/ {print $1; exit}' "$WORK/log/$1.perf" \
		2>/dev/null || true
}

# time_value TAG FIELD: elapsed (1), user (2), sys (3) or user+sys (4) seconds from time(1).
time_value() {
	awk -v f="$2" 'NF >= 3 && $1 ~ /^[0-9.]+$/ {print (f == 4 ? $2 + $3 : $f); exit}' \
		"$WORK/log/$1.time" 2>/dev/null || true
}

# cpu_of TAG: CPU seconds (user+sys); elapsed_of TAG: wall seconds; syscalls_of TAG.
# perf_seconds TAG EVENT UNITS_PER_SECOND TIME_FIELD: a perf counter in seconds, else the
# field of /usr/bin/time's output, else NA.
perf_seconds() {
	local v
	v=$(perf_value "$1" "$2")
	if [ -n "$v" ]; then
		awk -v x="$v" -v per="$3" 'BEGIN {printf "%.6f", x / per}'
	else
		v=$(time_value "$1" "$4")
		echo "${v:-NA}"
	fi
}

cpu_of() {
	perf_seconds "$1" task-clock 1000 4
}

elapsed_of() {
	perf_seconds "$1" duration_time 1e9 1
}

syscalls_of() {
	local v
	v=$(perf_value "$1" raw_syscalls:sys_enter)
	echo "${v:-NA}"
}

# sum_of FUNC TAG...: the sum of FUNC over TAGs, NA if any is NA.
sum_of() {
	local f=$1 t v s=0
	shift
	for t in "$@"; do
		v=$("$f" "$t")
		[ "$v" != NA ] || {
			echo NA
			return
		}
		s=$(awk -v a="$s" -v b="$v" 'BEGIN {print a + b}')
	done
	echo "$s"
}

tcp_counters() {
	ip netns exec "$NS-$1" awk '/^Tcp:/ {n++; if (n == 1) for (i = 1; i <= NF; i++) h[$i] = i;
		else print $h["OutSegs"], $h["RetransSegs"]}' /proc/net/snmp
}

# --- one run of one method ---------------------------------------------------------------

# record METHOD N RUN OK SECS SNDTAG RCVTAGS RETX NOTE: one line of results.tsv. OK is
# 1 (verified), 0 (failed), T (reached its time limit) or S (not run: timed out
# before). The last column is the loss the injectors of INJECT_AT made, or -.
record() {
	local method=$1 n=$2 run=$3 ok=$4 secs=$5 snd=$6 rcv=$7 retx=$8 extra=$9
	# shellcheck disable=SC2086
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$method" "$n" "$run" "$ok" \
		"$secs" "$((n * SIZE_BYTES))" "$(cpu_of "$snd")" "$(sum_of cpu_of $rcv)" \
		"$(syscalls_of "$snd")" "$(sum_of syscalls_of $rcv)" "$retx" "$extra" \
		"$(injected_fraction)" >>"$RESULTS"
}

# run_failed METHOD RUN WHY: the run failed (RUN_OK=0), unless it already ran out of
# time (RUN_OK=T), which explains whatever fails after it.
run_failed() {
	[ "$RUN_OK" != T ] || return 0
	RUN_OK=0
	failed "$@"
}

# sender_done METHOD RUN TAG WHAT: wait for the sender just spawned; true if it exited
# 0. A sender that reached its time limit makes the run T, and a loss row that
# did is not run again.
sender_done() {
	local rc=0
	finish "$SPAWN_PID" || rc=$?
	case $rc in
	0) return 0 ;;
	124 | 137)
		RUN_OK=T
		TIMED_OUT[$1]=$2
		note "$1 run $2 reached its time limit ($SPAWN_LIMIT s); reported as timed out"
		;;
	*) run_failed "$1" "$2" "$4: $(tail -c 300 "$WORK/log/$3.err" | tr '\r' '\n' | tail -1)" ;;
	esac
	return 1
}

# verify DIR...: every DIR/bench.bin equals the source; explains the first mismatch.
verify() {
	local d
	for d in "$@"; do
		cmp -s "$SRC" "$d/bench.bin" || {
			note "output $d/bench.bin differs from the source or is missing"
			return 1
		}
	done
}

fresh_out() {
	rm -rf "$WORK/out"
	mkdir -p "$WORK/out"
	local d
	for d in "$@"; do mkdir -p "$WORK/out/$d"; done
}

# json FILE FIELD: a number or string field of a one-line JSON object (no jq needed).
json() {
	local v
	v=$(grep -o "\"$2\":[^,}]*" "$1" 2>/dev/null | head -1 | cut -d: -f2- | tr -d '"') || true
	echo "${v:-NA}"
}

failed() {
	note "$1 run $2 failed: $3"
	FAILURES+=("$1 run $2: $3")
}

# p2pkp_run METHOD RUN BACKEND SENDER_NS RECEIVER_NS... (addresses from the namespace names)
p2pkp_run() {
	local method=$1 run=$2 backend=$3 sns=$4 n i r tos=() tags=() pids=() dirs=()
	shift 4
	n=$#
	RUN_OK=1
	fresh_out "$@"
	for r in "$@"; do
		# shellcheck disable=SC2086 # KEY_ARGS: the keyed rows' options, split on purpose
		spawn "$r" "$method-$run-$r" "$(limit_for "$n")" "$P2PKP" recv --dev veth0 \
			--out "$WORK/out/$r" --once --json --backend "$backend" ${KEY_ARGS:-}
		pids+=("$SPAWN_PID") tags+=("$method-$run-$r") dirs+=("$WORK/out/$r")
		tos+=(--to "$(ns_addr "$r")")
	done
	for i in "${!tags[@]}"; do
		wait_until 20 log_has "${tags[$i]}" "receiving on" ||
			failed "$method" "$run" "receiver did not start: $(tail -1 "$WORK/log/${tags[$i]}.err")"
	done
	# shellcheck disable=SC2086
	spawn "$sns" "$method-$run-snd" "$(limit_for "$n")" "$P2PKP" send --dev veth0 \
		"${tos[@]}" --json --backend "$backend" ${KEY_ARGS:-} "$SRC"
	sender_done "$method" "$run" "$method-$run-snd" sender || stop_all "${pids[@]}"
	for i in "${!pids[@]}"; do
		finish "${pids[$i]}" || run_failed "$method" "$run" "receiver ${tags[$i]} exited non-zero"
	done
	[ "$RUN_OK" = T ] || verify "${dirs[@]}" || RUN_OK=0
	local sj=$WORK/log/$method-$run-snd.out rj=$WORK/log/${tags[0]}.out
	record "$method" "$n" "$run" "$RUN_OK" "$(elapsed_of "$method-$run-snd")" "$method-$run-snd" \
		"${tags[*]}" "$(json "$sj" retransmit_fraction)" \
		"final_rate_bps=$(json "$sj" final_rate_bps) rx_dropped=$(json "$rj" rx_dropped) dup=$(json "$rj" duplicates) payloads/write=$(json "$rj" payloads_per_write)"
}

# tcp_run METHOD RUN RECV_OPTION ("" or --splice) SENDER_NS RECEIVER_NS...
tcp_run() {
	local method=$1 run=$2 splice_opt=$3 sns=$4 n i r tos=() tags=() pids=() dirs=() before after
	shift 4
	n=$#
	RUN_OK=1
	fresh_out "$@"
	for r in "$@"; do
		spawn "$r" "$method-$run-$r" "$(limit_for "$n")" "$TCPB" recv --port "$PORT_TCP" \
			--out "$WORK/out/$r/bench.bin" ${splice_opt:+"$splice_opt"}
		pids+=("$SPAWN_PID") tags+=("$method-$run-$r") dirs+=("$WORK/out/$r")
		tos+=(--to "$(ns_addr "$r"):$PORT_TCP")
	done
	for i in "${!tags[@]}"; do
		wait_until 20 log_has "${tags[$i]}" "listening on" ||
			failed "$method" "$run" "receiver did not start: $(tail -1 "$WORK/log/${tags[$i]}.err")"
	done
	before=$(tcp_counters "$sns")
	spawn "$sns" "$method-$run-snd" "$(limit_for "$n")" "$TCPB" send "${tos[@]}" "$SRC"
	sender_done "$method" "$run" "$method-$run-snd" sender || stop_all "${pids[@]}"
	after=$(tcp_counters "$sns")
	for i in "${!pids[@]}"; do
		finish "${pids[$i]}" || run_failed "$method" "$run" "receiver ${tags[$i]} exited non-zero"
	done
	[ "$RUN_OK" = T ] || verify "${dirs[@]}" || RUN_OK=0
	record "$method" "$n" "$run" "$RUN_OK" "$(elapsed_of "$method-$run-snd")" "$method-$run-snd" \
		"${tags[*]}" "$(awk -v b="$before" -v a="$after" 'BEGIN {split(b, x, " "); split(a, y, " ");
			o = y[1] - x[1]; printf "%.6f", (o > 0 ? (y[2] - x[2]) / o : 0)}')" "-"
}

# uftp_id ADDR: uftpd's default client ID, its IPv4 address as 0xNNNNNNNN.
uftp_id() {
	local IFS=.
	# shellcheck disable=SC2086
	printf '0x%02X%02X%02X%02X' $1
}

# uftp_xfer METHOD RUN RATE SENDER_NS RECEIVER_NS...: a fresh uftpd -d in each receiver,
# uftp in the sender at a fixed RATE (Kbit/s), closed group: unicast to one
# receiver, multicast (uftp's default groups) to several.
uftp_xfer() {
	local method=$1 run=$2 rate=$3 sns=$4 n i r tags=() pids=() dirs=() ids=() dest naks blocks
	shift 4
	n=$#
	RUN_OK=1
	fresh_out "$@"
	for r in "$@"; do
		spawn "$r" "$method-$run-$r" "$(limit_for "$n")" uftpd -d -D "$WORK/out/$r" -I veth0 \
			-p "$PORT_UFTP"
		pids+=("$SPAWN_PID") tags+=("$method-$run-$r") dirs+=("$WORK/out/$r")
		ids+=("$(uftp_id "$(ns_addr "$r")")")
	done
	for r in "$@"; do
		wait_until 20 udp_listening "$r" "$PORT_UFTP" || failed "$method" "$run" "uftpd did not start in $r"
	done
	if [ "$n" = 1 ]; then dest=(-M "$(ns_addr "$1")"); else dest=(); fi
	spawn "$sns" "$method-$run-snd" "$(limit_for "$n")" uftp "${dest[@]}" -p "$PORT_UFTP" -I veth0 \
		-H "$(IFS=,; echo "${ids[*]}")" -R "$rate" -b "$UFTP_BLOCK" "$SRC"
	sender_done "$method" "$run" "$method-$run-snd" uftp || true
	[ "$RUN_OK" = T ] || [ "$(cat "$WORK/log/$method-$run-snd".{err,out} | grep -c "Status: Completed")" -ge "$n" ] ||
		run_failed "$method" "$run" "uftp did not report Completed for every receiver"
	stop_all "${pids[@]}"
	for i in "${!pids[@]}"; do finish "${pids[$i]}" || true; done
	[ "$RUN_OK" = T ] || verify "${dirs[@]}" || RUN_OK=0
	naks=$(cat "$WORK/log/$method-$run-snd".{err,out} |
		awk '/Got [0-9]+ NAKs for section/ {s += $2} END {print s + 0}') || true
	blocks=$(((SIZE_BYTES + UFTP_BLOCK - 1) / UFTP_BLOCK))
	record "$method" "$n" "$run" "$RUN_OK" "$(elapsed_of "$method-$run-snd")" "$method-$run-snd" \
		"${tags[*]}" "$(awk -v k="$naks" -v b="$blocks" -v n="$n" 'BEGIN {printf "%.6f", k / b / n}')" \
		"rate=${rate}kbps"
}

# uftp_run RUN [RATE]: uftpd in b, uftp in a, unicast over the veth pair.
uftp_run() {
	uftp_xfer uftp "$1" "${2:-$UFTP_RATE}" a b
}

# udpcast_run RUN: udp-receiver in b, udp-sender in a; rendezvous by unicast address,
# so with one receiver udp-sender goes point-to-point (unicast data).
udpcast_run() {
	local run=$1 rate=${2-$UDPCAST_RATE} tag=udpcast-$1 rpid rx
	RUN_OK=1
	fresh_out b
	spawn b "$tag-b" "$(limit_for 1)" udp-receiver --interface veth0 --nokbd \
		--mcast-rdv-address 10.78.0.1 --file "$WORK/out/b/bench.bin"
	rpid=$SPAWN_PID
	wait_until 20 log_has "$tag-b" "UDP receiver for" || failed udpcast "$run" "udp-receiver did not start"
	spawn a "$tag-snd" "$(limit_for 1)" udp-sender --interface veth0 --nokbd --min-receivers 1 \
		--mcast-rdv-address 10.78.0.2 ${rate:+--max-bitrate "$rate"} --file "$SRC"
	sender_done udpcast "$run" "$tag-snd" udp-sender || stop_all "$rpid"
	finish "$rpid" || run_failed udpcast "$run" "udp-receiver exited non-zero"
	[ "$RUN_OK" = T ] || verify "$WORK/out/b" || RUN_OK=0
	rx=$(cat "$WORK/log/$tag-snd.err" "$WORK/log/$tag-snd.out" | tr '\r' '\n' |
		grep -o 're-xmits=[0-9]* *( *[0-9.]*%' | tail -1 | sed 's/.*( *//; s/%//') || true
	record udpcast 1 "$run" "$RUN_OK" "$(elapsed_of "$tag-snd")" "$tag-snd" "$tag-b" \
		"$(awk -v p="${rx:-NA}" 'BEGIN {if (p == "NA") print "NA"; else printf "%.6f", p / 100}')" \
		"rate=${rate:-unlimited}"
}

# ns_addr NS: the address of NS's veth0; IPv6 (bridge only) when ADDR_FAMILY=6.
ns_addr() {
	case ${ADDR_FAMILY:-4}:$1 in
	4:a) echo 10.78.0.1 ;;
	4:b) echo 10.78.0.2 ;;
	4:s) echo 10.79.0.1 ;;
	4:r*) echo "10.79.0.$((10 + ${1#r}))" ;;
	6:s) echo fd79::1 ;;
	6:r*) echo "fd79::$((10 + ${1#r}))" ;;
	*) die "no address for namespace $1 in IPv${ADDR_FAMILY:-4}" ;;
	esac
}

# --- loss rows ------------------------------------------------------------------------

# inject PCT SEED NS:DEV...: the project's loss injector on the ingress of each DEV:
# PCT % of every IPv4/IPv6 packet dropped, the i-th DEV seeded SEED + i - 1 (its
# own draws). Loading replaces an injector there and restarts its counters. False,
# with INJECT_ERROR set, if one does not load.
inject() {
	local pct=$1 seed=$2 at
	shift 2
	for at in "$@"; do
		ip netns exec "$NS-${at%%:*}" "$FAULT" load "${at#*:}" --match ip --drop "$pct" \
			--seed "$seed" >>"$WORK/log/fault.log" 2>&1 || {
			INJECT_ERROR="cannot load the loss injector on ${at#*:} in ${at%%:*}: $(tail -1 "$WORK/log/fault.log")"
			return 1
		}
		seed=$((seed + 1))
	done
}

# uninject NS:DEV...: remove the injectors (a p2pkp-xdp receiver needs its veth0 free).
uninject() {
	local at
	for at in "$@"; do
		ip netns exec "$NS-${at%%:*}" "$FAULT" unload "${at#*:}" >>"$WORK/log/fault.log" 2>&1 ||
			note "could not unload the loss injector on ${at#*:} in $NS-${at%%:*}"
	done
}

# injected_fraction: the packets the injectors at INJECT_AT dropped, over those they saw
# (all of them together); - when there are none.
injected_fraction() {
	local at f=$WORK/log/fault-stats.json dropped=0 seen=0 v
	[ -n "${INJECT_AT:-}" ] || {
		echo -
		return
	}
	for at in $INJECT_AT; do
		ip netns exec "$NS-${at%%:*}" "$FAULT" stats "${at#*:}" --json >"$f" 2>/dev/null || continue
		v=$(json "$f" dropped)
		[ "$v" = NA ] || dropped=$((dropped + v))
		v=$(json "$f" seen)
		[ "$v" = NA ] || seen=$((seen + v))
	done
	awk -v d="$dropped" -v s="$seen" 'BEGIN {if (s > 0) printf "%.6f", d / s; else print "NA"}'
}

# loss_row IMPL N PCT RUN: one transfer of the loss table, 1 -> N over the bridge with
# PCT % random loss in the data direction, under LOSS_TIMEOUT. p2pkp-xdp and TCP
# send each receiver its own copy, so one injector on the sender's bridge port (ps)
# draws for every copy; uftp to several receivers multicasts one copy that the
# bridge replicates, so each receiver's veth0 gets its own injector instead.
loss_row() {
	local impl=$1 n=$2 pct=$3 run=$4 key="loss-$1-$2-$3" rs INJECT_AT
	local SRC=$LOSS_SRC SIZE_BYTES=$LOSS_BYTES LIMIT=$LOSS_TIMEOUT
	rs=$(seq -f 'r%g' 1 "$n" | tr '\n' ' ')
	if [ -n "${TIMED_OUT[$key]:-}" ]; then
		note "run $run/$RUNS: $impl 1 -> $n at $pct % loss not run (timed out in run ${TIMED_OUT[$key]})"
		record "$key" "$n" "$run" S "$LOSS_TIMEOUT" - - - "timed out in run ${TIMED_OUT[$key]}"
		return 0
	fi
	note "run $run/$RUNS: $impl 1 -> $n at $pct % loss"
	if [ "$impl" = uftp ]; then
		INJECT_AT=$(for r in $rs; do printf '%s:veth0 ' "$r"; done)
	else
		INJECT_AT=sw:ps
	fi
	# shellcheck disable=SC2086
	if ! inject "$pct" $((LOSS_SEED * 1000 + run * 100)) $INJECT_AT; then
		failed "$key" "$run" "$INJECT_ERROR"
		record "$key" "$n" "$run" 0 0 - - - "no loss injector"
	else
		# shellcheck disable=SC2086
		case $impl in
		xdp) p2pkp_run "$key" "$run" xdp s $rs ;;
		tcp) tcp_run "$key" "$run" "" s $rs ;;
		uftp) uftp_xfer "$key" "$run" "$UFTP_RATE" s $rs ;;
		esac
	fi
	# shellcheck disable=SC2086
	uninject $INJECT_AT
}

run_method() {
	local m=$1 run=$2 n rs pct impl
	note "run $run/$RUNS: $m"
	case $m in
	xdp) p2pkp_run xdp "$run" xdp a b ;;
	socket) p2pkp_run socket "$run" socket a b ;;
	tcp) tcp_run tcp "$run" "" a b ;;
	tcp-splice) tcp_run tcp-splice "$run" --splice a b ;;
	uftp) uftp_run "$run" ;;
	udpcast) udpcast_run "$run" ;;
	loss)
		for n in $LOSS_FANOUT; do
			for pct in $LOSS; do
				for impl in $LOSS_METHODS; do
					loss_row "$impl" "$n" "$pct" "$run"
				done
			done
		done
		;;
	keyed)
		KEY_ARGS="--key-file $WORK/bench.key" p2pkp_run xdp-keyed "$run" xdp a b
		KEY_ARGS="--key-file $WORK/bench.key --encrypt" p2pkp_run xdp-keyed-enc "$run" xdp a b
		;;
	ipv6)
		note "run $run/$RUNS: xdp 1 -> 1 over the bridge, IPv4 and IPv6"
		p2pkp_run xdp-br-v4 "$run" xdp s r1
		ADDR_FAMILY=6 p2pkp_run xdp-br-v6 "$run" xdp s r1
		;;
	fanout)
		for n in $FANOUT; do
			rs=$(seq -f 'r%g' 1 "$n" | tr '\n' ' ')
			note "run $run/$RUNS: xdp and tcp, 1 -> $n"
			# shellcheck disable=SC2086
			p2pkp_run "xdp-1to$n" "$run" xdp s $rs
			# shellcheck disable=SC2086
			tcp_run "tcp-1to$n" "$run" "" s $rs
		done
		;;
	esac
	rm -rf "$WORK/out"
}

# --- calibration of the peers' rates ------------------------------------------------------

# best_rate METHOD RATE...: the rate whose worse of two runs on a short file had the
# best verified goodput ("as high as it completes reliably").
best_rate() {
	local m=$1 r best="" best_g=0 g
	shift
	for r in "$@"; do
		note "calibrating $m at rate ${r:-unlimited}"
		: >"$WORK/cal.tsv"
		RESULTS=$WORK/cal.tsv "${m}_run" "cal" "$r" || true
		RESULTS=$WORK/cal.tsv "${m}_run" "cal" "$r" || true
		g=$(awk -F'\t' 'BEGIN {m = -1} {g = ($4 == 1 && $5 > 0) ? $6 * 8 / $5 : 0;
			if (m < 0 || g < m) m = g} END {printf "%.0f", m < 0 ? 0 : m}' "$WORK/cal.tsv")
		note "  worse of two: $(awk -v g="$g" 'BEGIN {printf "%.2f", g / 1e9}') Gbit/s"
		[ "${g:-0}" -gt "$best_g" ] && best_g=$g best=$r
	done
	echo "$best"
}

calibrate() {
	local keep_src=$SRC keep_size=$SIZE_BYTES cal=$((SIZE_BYTES < 134217728 ? SIZE_BYTES : 134217728))
	[ "$CALIBRATE" = 1 ] || return 0
	has uftp "$METHODS" || loss_uses uftp || has udpcast "$METHODS" || return 0
	mkdir -p "$WORK/cal"
	SRC=$WORK/cal/bench.bin SIZE_BYTES=$cal LIMIT=40
	head -c "$cal" "$keep_src" >"$SRC"
	if has uftp "$METHODS" || loss_uses uftp; then
		UFTP_RATE=$(best_rate uftp -1 4000000 2000000 1000000)
		[ -n "$UFTP_RATE" ] || UFTP_RATE=-1
	fi
	if has udpcast "$METHODS"; then
		UDPCAST_RATE=$(best_rate udpcast "" 3000m 2000m 1000m)
	fi
	rm -rf "$WORK/cal"
	SRC=$keep_src SIZE_BYTES=$keep_size LIMIT=
	FAILURES=()
	note "calibrated: uftp -R $UFTP_RATE, udp-sender --max-bitrate ${UDPCAST_RATE:-unlimited}"
}

# --- main --------------------------------------------------------------------------------

pkg_version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo '?'
}

describe_machine() {
	local cpu
	cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
	echo "machine: $(nproc) x ${cpu:-unknown CPU}, $(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) >> 20)) GiB RAM, kernel $(uname -r), load average before the runs $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "links: veth (1 -> 1) and a Linux bridge (1 -> N), MTU $MTU, all in namespaces; files in tmpfs"
	echo "file: $SIZE_MIB MiB random, $RUNS run(s) per method, alternating; uftp -R $UFTP_RATE -b $UFTP_BLOCK; udp-sender --max-bitrate ${UDPCAST_RATE:-unlimited}"
	if has loss "$METHODS"; then
		echo "loss rows: $((LOSS_BYTES >> 20)) MiB over the bridge, $LOSS % of every IPv4/IPv6 packet of the data direction dropped at random (p2pkp-fault --match ip, seed $LOSS_SEED), 1 -> $LOSS_FANOUT, methods $LOSS_METHODS, $LOSS_TIMEOUT s limit per transfer"
	fi
	echo "versions: p2pkp-xdp $(git -C "$TOP" describe --always --dirty 2>/dev/null || echo '?'), uftp $(pkg_version uftp), udpcast $(pkg_version udpcast), perf $(pkg_version linux-perf)"
}

main() {
	case ${1:-} in
	-h | --help)
		usage
		return 0
		;;
	"") ;;
	*) die "unknown argument '$1' (settings are environment variables; see --help)" ;;
	esac
	load_config
	require_tools
	check_memory
	trap cleanup EXIT
	trap 'exit 1' INT TERM
	trap 'note "internal error: \"$BASH_COMMAND\" failed (line $LINENO)"' ERR
	FAILURES=()
	make_workdir
	make_source
	local need_pair=0 m run most=0
	for m in $METHODS; do
		case $m in
		fanout) most=$(most "$most" "$FANOUT") ;;
		loss) most=$(most "$most" "$LOSS_FANOUT") ;;
		ipv6) most=$(most "$most" 1) ;;
		*) need_pair=1 ;;
		esac
	done
	# uftp's rate is calibrated over the pair, also for the loss rows.
	[ "$CALIBRATE" = 0 ] || ! loss_uses uftp || need_pair=1
	[ "$need_pair" = 0 ] || make_pair
	[ "$most" = 0 ] || make_bridge "$most"
	[ "$need_pair" = 0 ] || calibrate
	describe_machine >"$WORK/machine.txt"
	for run in $(seq 1 "$RUNS"); do
		for m in $METHODS; do
			run_method "$m" "$run"
		done
	done
	"$HERE/report.sh" "$RESULTS" "$WORK/machine.txt" "$SIZE_BYTES" "$OUT_DIR"
	if [ ${#FAILURES[@]} -gt 0 ]; then
		printf 'bench: failed run: %s\n' "${FAILURES[@]}" >&2
	fi
}

main "$@"
