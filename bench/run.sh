#!/usr/bin/env bash
# run.sh - chainlog's benchmark suite, in one command:
#
#   bench/run.sh [--history N] [--scans S] [--samples K] [--work DIR] [--quick] [--keep]
#
#   --history N  records for the reads and the transition's growth
#                (default 200000); the suite also measures at 1000 and
#                N/2 records (the CLI beside the floor, batch, serve)
#   --scans S    records for the history scans, verify and reindex
#                against git, and for bytes per transition (default
#                1000000, at least N): the history grows from N to S
#                after the reads.  The default takes 15-25 minutes
#                (mostly the imports, verify, reindex and git gc) and
#                ~3 GB of disk in DIR; --scans 200000 some 4-7
#   --samples K  runs per timed command, medians reported (default 21:
#                this machine's speed moves from second to second, and
#                11 left a CLI median ~2 ms either way)
#   --work DIR   scratch space, several GB at 1M (default /tmp/chainlog-bench)
#   --quick      --history 20000 --samples 5, to try the suite out
#   --keep       keep DIR afterwards
#   --results D  where results.json and results.md go (default bench/results)
#
# Writes bench/results/results.json and bench/results/results.md (the
# table docs/PERFORMANCE.md quotes), with medians, ratios and a PASS/FAIL
# mark per target; the suite itself never fails on a missed target.  Every
# comparison is measured in the same run, on the same machine.  Progress
# goes to stderr when it is a terminal.  Needs git, sqlite3, cc,
# pkg-config, libgit2-dev (scripts/deps.sh installs them), meson/ninja for
# the build unless CHAINLOG names a built binary.
#
# What is measured (docs/PERFORMANCE.md explains each number):
#  - a synthetic province (bench/gen-province.sh: 120 counties, 9,960
#    talents) and the bundled sample (83 talents), same workflow;
#  - histories of 1k, N/2 and N records made by `chainlog import` (one
#    submission per record, all pending at the village level);
#  - one durable transition through the CLI (a village approval: process
#    start, config load, authorize, commit, fsync, index) at each size and
#    with the sample config, and at N/2 also with `chainlog serve` running;
#    `chainlog batch` and `batch --group 32`;
#  - the peers: bench/peers/naive.sh (git CLI + sqlite3 CLI), git
#    fast-import fed the same commits as the import, bench/floor/floor.c
#    (minimal libgit2 commit + CAS, with and without fsync);
#  - verify vs `git log --raw`, reindex vs `git log --format=%(trailers)`
#    (time and peak RSS; reindex also on a history of whole half-year
#    cycles, N/2 transitions), reads (show, queue, list --period) vs --version,
#    and repository bytes per transition after `git gc`.
# The CLI at N/2 (alone and with serve) and the floor's durable commits
# are measured side by side, in rounds of two CLI approvals and three
# floor commits, the first of each side not counted;
# the CLI with the sample config, at 1k and at N records in rounds, one
# approval in each per round (a copy of the 1k home is kept for it); the
# reads and --version in rounds, one of each per round.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
HISTORY=200000
SCAN_N=1000000
SAMPLES=21
WORK=/tmp/chainlog-bench
KEEP=0
out=$here/results
while [ $# -gt 0 ]; do
	case $1 in
	--history) HISTORY=$2; shift 2 ;;
	--scans) SCAN_N=$2; shift 2 ;;
	--samples) SAMPLES=$2; shift 2 ;;
	--work) WORK=$2; shift 2 ;;
	--quick) HISTORY=20000; SCAN_N=20000; SAMPLES=5; shift ;;
	--keep) KEEP=1; shift ;;
	--results) out=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[ "$HISTORY" -ge 4000 ] || { echo "run.sh: --history must be at least 4000" >&2; exit 2; }
[ "$SCAN_N" -ge "$HISTORY" ] || SCAN_N=$HISTORY
SMALL=1000
MID=$((HISTORY / 2))
NAIVE_SAMPLES=$(( SAMPLES < 7 ? SAMPLES : 7 ))
SCANS=3 # rounds of verify and reindex beside git (medians: keep it odd)
BATCH_LINES=100
GROUP_LINES=960
log=$WORK/run.log
tty=0; [ -t 2 ] && tty=1
t_start=${EPOCHREALTIME/./}
unset CHAINLOG_FSYNC # durable: what users get
# The history's times never go backwards (verify checks it), and the
# imports bring past periods: homes are initialised on 2015-01-01, and the
# transitions measured between two imports are dated at their parent's
# time (CHAINLOG_NOW=1, which the engine raises to the tip's time) so that
# the next import's periods still come after them.
export CHAINLOG_NOW=1
EPOCH_2015=1420070400

rm -rf "$WORK"
mkdir -p "$WORK/bin" "$out" || exit 1
: >"$log"
[ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT

# ---- helpers -------------------------------------------------------------

step_no=0
step() { # progress, on a terminal only
	step_no=$((step_no + 1))
	echo "== $step_no. $*" >>"$log"
	[ "$tty" = 1 ] || return 0
	local s=$(( (${EPOCHREALTIME/./} - t_start) / 1000000 ))
	printf '[%2d:%02d] %d. %s\n' $((s / 60)) $((s % 60)) "$step_no" "$*" >&2
}
SERVE_PID=""
die() { [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null; echo "run.sh: $*" >&2; tail -n 20 "$log" >&2; exit 1; }
# Times are read inline as ${EPOCHREALTIME/./} (microseconds): a $(...)
# around them forks a subshell, some 0.6 ms that would count as the timed
# command's.
median() { sort -n | awk '{a[NR] = $1} END {if (!NR) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
ms() { awk -v x="$1" 'BEGIN {printf "%.1f", x / 1000}'; } # us -> ms
div() { awk -v a="$1" -v b="$2" 'BEGIN {if (b == 0) print "n/a"; else printf "%.2f", a / b}'; }

declare -A M # metric -> value
metric() { M[$1]=$2; echo "metric $1 = $2" >>"$log"; }

# peak RSS and wall time of one command, "SECONDS KB" in file $1: GNU
# time when there is one, else bench/maxrss.c (wait4's ru_maxrss)
if command -v /usr/bin/time >/dev/null 2>&1; then
	rss_run() { # $1: result file, rest: command
		local f=$1 st; shift
		/usr/bin/time -f '%e %M' -o "$f.t" "$@" >/dev/null 2>>"$log"; st=$?
		tail -n 1 "$f.t" >"$f" # after "Command exited with non-zero status"
		return $st
	}
else
	rss_run() { local f=$1; shift; "$WORK/bin/maxrss" "$f" "$@" >/dev/null 2>>"$log"; }
fi

cl() { "$CL" -C "$PH" "$@"; }
commits() { git --git-dir="$1/history.git" rev-list --count main; }

# "PERIOD/TALENT v-VILLAGE" for each submission line of a JSONL file
targets() {
	sed -n 's/.*"as":"\([^"]*\)","period":"\([^"]*\)".*"summary":"Served \([^ ]*\) in.*/\2\/\1 v-\3/p' "$1"
}

# A timed command that failed is not a sample (a refusal is quicker than
# the work, and would flatter the median): it is logged on a line of its
# own, and the results count those lines.
not_timed() { echo "timed command failed: $*" >>"$log"; }

# One CLI approval of record $2 by $3 in home $1; prints its microseconds,
# or nothing when it failed.
approve_us() {
	local t0 t1
	t0=${EPOCHREALTIME/./}
	if "$CL" -C "$1" approve --as "$3" "$2" </dev/null >/dev/null 2>>"$log"; then
		t1=${EPOCHREALTIME/./}
		echo $((t1 - t0))
	else
		not_timed approve "$2"
	fi
}

# The median of each key ($2...) over the "KEY MICROSECONDS" lines of file
# $1, one a line, in order.
key_medians() { # $1: file, rest: keys
	local f=$1 k
	shift
	for k in "$@"; do awk -v k="$k" '$1 == k {print $2}' "$f" | median; done
}

# K rounds of two CLI approvals, then three floor commits on
# $WORK/floor.git (a copy of the home's history) to the record of the
# second.  Of each side the first is not counted: it meets what the other
# side left (the floor's first reads the tip from cold pack files, and
# both sides' first fsyncs meet the other's writeback in the file
# system's journal: a CLI approval right after floor commits took ~4 ms
# longer than one right after another approval).  The fsync latency of
# this virtual disk moves by several times within minutes: side by side,
# each CLI sample meets the disk the floor meets, where two blocks a
# minute apart could each meet another.  Uses lines FROM..FROM+2K-1.
# Writes "CLI_MEDIAN FLOOR_MEDIAN" (microseconds).
cli_beside_floor() { # $1: home, $2: targets file, $3: first line, $4: K
	local home=$1 id who
	: >"$WORK/cli.us"
	: >"$WORK/floor.us"
	sync
	while read -r id who; do
		approve_us "$home" "$id" "$who" >/dev/null
		read -r id who || break
		approve_us "$home" "$id" "$who" >>"$WORK/cli.us"
		"$WORK/bin/floor" "$WORK/floor.git" 1 3 "${id%/*}" "${id#*/}" </dev/null 2>>"$log" |
			tail -n 2 >>"$WORK/floor.us"
	done < <(sed -n "$3,$(($3 + 2 * $4 - 1))p" "$2")
	echo "$(median <"$WORK/cli.us") $(median <"$WORK/floor.us")"
}

# K rounds of CLI approvals, one in each home per round, so that the
# comparisons across sizes and configurations meet the same machine (its
# speed moves within minutes); home i approves line r of its targets file
# in round r.  The median of each home in microseconds, one a line.
# Durable timings start with nothing dirty in the page cache (as in
# cli_beside_floor): an import just before leaves hundreds of MB for the
# kernel to write back, and the fsyncs measured would queue behind it.
cli_rounds() { # $1: K, then pairs: home, targets file
	local k=$1 r j id who us
	shift
	local -a homes=() files=()
	while [ $# -gt 1 ]; do homes+=("$1"); files+=("$2"); shift 2; done
	sync
	local n=${#homes[@]} q
	for ((r = 1; r <= k; r++)); do
		# each home first in turn: a command can pay for what the one
		# before it left (writeback, a cold cache), so no home always
		# follows the same one
		for ((q = 0; q < n; q++)); do
			j=$(((q + r) % n))
			read -r id who < <(sed -n "${r}p" "${files[j]}")
			us=$(approve_us "${homes[j]}" "$id" "$who")
			[ -n "$us" ] && echo "$j $us"
		done
	done >"$WORK/rounds.us"
	key_medians "$WORK/rounds.us" $(seq 0 $((${#homes[@]} - 1)))
}

# K rounds of a history scan (function $2) and its git peer ($3), one of
# each per round, so that each meets the disk and page cache the other
# meets: one run each moved by a fifth from run to run at 200k.  Each
# function takes the file rss_run writes.  A result file given as $4 (a
# run made just before) counts as the first round's scan.  Sets
# SCAN_SEC_A/B (median seconds) and SCAN_KB_A/B (largest peak RSS).
scan_rounds() { # $1: K, $2: scan, $3: peer, [$4: first scan's result]
	local k=$1 i
	: >"$WORK/scan.a"
	: >"$WORK/scan.b"
	for ((i = 0; i < k; i++)); do
		if [ "$i" = 0 ] && [ -n "${4:-}" ]; then cat "$4" >>"$WORK/scan.a"
		else "$2" "$WORK/scan.rss"; cat "$WORK/scan.rss" >>"$WORK/scan.a"; fi
		"$3" "$WORK/scan.rss"; cat "$WORK/scan.rss" >>"$WORK/scan.b"
	done
	SCAN_SEC_A=$(awk '{print $1}' "$WORK/scan.a" | median)
	SCAN_SEC_B=$(awk '{print $1}' "$WORK/scan.b" | median)
	SCAN_KB_A=$(awk '$2 > m {m = $2} END {print m + 0}' "$WORK/scan.a")
	SCAN_KB_B=$(awk '$2 > m {m = $2} END {print m + 0}' "$WORK/scan.b")
}

# K rounds of the commands "$@" names (functions), one of each per round,
# so that each meets the machine the others meet; the median of each in
# microseconds, one a line, in order
timed_rounds() { # $1: K, rest: function names
	local k=$1 i f t0 t1
	shift
	local -a fs=("$@")
	local n=$# q
	for ((i = 0; i < k; i++)); do
		for ((q = 0; q < n; q++)); do
			f=${fs[(q + i) % n]} # each first in turn, as in cli_rounds
			t0=${EPOCHREALTIME/./}
			if "$f" >/dev/null 2>>"$log"; then
				t1=${EPOCHREALTIME/./}
				echo "$f $((t1 - t0))"
			else
				not_timed "$f"
			fi
		done
	done >"$WORK/rounds.us"
	key_medians "$WORK/rounds.us" "$@"
}

import_chunk() { # $1: home, $2: file; sets IMPORT_SEC, IMPORT_KB
	# maxrss leaves stderr alone: the import's own progress shows on a terminal
	"$WORK/bin/maxrss" "$WORK/import.rss" "$CL" -C "$1" import "$2" >>"$log" ||
		die "import of $2 failed"
	read -r IMPORT_SEC IMPORT_KB <"$WORK/import.rss"
}

# ---- 1. build --------------------------------------------------------------
step "build chainlog, floor and maxrss"
if [ -z "${CHAINLOG:-}" ]; then
	BUILD=${BUILD:-/tmp/bench-build}
	[ -d "$BUILD" ] || meson setup "$BUILD" "$src" --buildtype=release >>"$log" 2>&1 ||
		die "meson setup failed"
	ninja -C "$BUILD" engine/cli/chainlog >>"$log" 2>&1 || die "build failed"
	CHAINLOG=$BUILD/engine/cli/chainlog
fi
CL=$CHAINLOG
cc -O2 "$here/floor/floor.c" $(pkg-config --cflags --libs libgit2) -o "$WORK/bin/floor" 2>>"$log" ||
	die "cannot build bench/floor/floor.c"
cc -O2 "$here/maxrss.c" -o "$WORK/bin/maxrss" 2>>"$log" || die "cannot build bench/maxrss.c"
if "$CL" batch --help >/dev/null 2>&1; then HAVE_BATCH=1; else HAVE_BATCH=0; fi

# ---- 2. data ---------------------------------------------------------------
step "generate the province and $SCAN_N submissions"
# 9,960 talents file twice a year: terms long enough for SCAN_N records
last_year=$((2015 + (SCAN_N + 19919) / 19920 - 1))
sh "$here/gen-province.sh" "$WORK/prov" 120 2015-01-01 "$last_year-12-31" || die "gen-province failed"
periods=""
for y in $(seq 2015 "$last_year"); do periods="$periods ${y}H1 ${y}H2"; done
sh "$here/gen-transitions.sh" "$WORK/prov" "$periods" 1 | head -n "$SCAN_N" >"$WORK/all.jsonl"
[ "$(wc -l <"$WORK/all.jsonl")" -eq "$SCAN_N" ] || die "could not generate $SCAN_N submissions"
sed -n "1,${SMALL}p" "$WORK/all.jsonl" >"$WORK/c1.jsonl"
sed -n "$((SMALL + 1)),${MID}p" "$WORK/all.jsonl" >"$WORK/c2.jsonl"
sed -n "$((MID + 1)),${HISTORY}p" "$WORK/all.jsonl" >"$WORK/c3.jsonl"
for c in c1 c2 c3; do tac "$WORK/$c.jsonl" | targets /dev/stdin >"$WORK/$c.targets"; done
sh "$here/gen-transitions.sh" "$src/records/sample" "2022H2 2023H1" 1 >"$WORK/sample.jsonl"
tac "$WORK/sample.jsonl" | targets /dev/stdin >"$WORK/sample.targets"

# ---- 3. the sample config --------------------------------------------------
step "sample config: init, import $(wc -l <"$WORK/sample.jsonl") records"
SH=$WORK/sample-home
CHAINLOG_NOW=$EPOCH_2015 "$CL" init "$SH" --sample >>"$log" || die "init --sample failed"
import_chunk "$SH" "$WORK/sample.jsonl"

# ---- 4. province, 1k records -------------------------------------------------
step "province config: init, import $SMALL records, verify and reindex"
PH=$WORK/home
t0=${EPOCHREALTIME/./}; CHAINLOG_NOW=$EPOCH_2015 "$CL" init "$PH" --config "$WORK/prov" >>"$log" || die "init --config failed"
metric init_province_us $(( ${EPOCHREALTIME/./} - t0 ))
import_chunk "$PH" "$WORK/c1.jsonl"
# kept as it is at SMALL records: its approvals are timed in rounds with the
# sample's and the big history's (step 7)
cp -a "$PH" "$WORK/home1k"
rss_run "$WORK/v.rss" "$CL" -C "$PH" verify; metric verify_1k_exit "$?"
read -r s kb <"$WORK/v.rss"; metric verify_1k_kb "$kb"
rss_run "$WORK/r.rss" "$CL" -C "$PH" reindex; read -r s kb <"$WORK/r.rss"
metric reindex_1k_kb "$kb"

step "naive peer at $SMALL records ($NAIVE_SAMPLES transitions)"
bash "$here/peers/naive.sh" setup "$PH/history.git" "$WORK/naive1k" >>"$log" 2>&1 || die "naive setup failed"
paths=$(sed -n "$((SAMPLES + 1)),$((SAMPLES + NAIVE_SAMPLES))p" "$WORK/c1.targets" |
	while read -r id who; do git -C "$WORK/naive1k/repo" ls-files "records/${id%/*}/*/${id#*/}.yaml"; done)
metric naive_1k_us "$(bash "$here/peers/naive.sh" run "$WORK/naive1k" $paths 2>>"$log" | median)"

# ---- 5. import vs fast-import, to MID records --------------------------------
n2=$(wc -l <"$WORK/c2.jsonl")
step "import $n2 records (to $MID) and git fast-import of the same commits"
# A copy of the home as it is before the import: fast-import writes the
# import's commits into its history, and its index then catches up over
# exactly those commits, which measures the catch-up inside the import.
cp -a "$PH" "$WORK/base"
before=$(git --git-dir="$PH/history.git" rev-parse main)
import_chunk "$PH" "$WORK/c2.jsonl"
metric import_n "$n2"
metric import_sec "$IMPORT_SEC"
metric import_kb "$IMPORT_KB"
git --git-dir="$PH/history.git" fast-export --reference-excluded-parents main "^$before" >"$WORK/fe.stream" 2>>"$log"
t0=${EPOCHREALTIME/./}
git -c core.fsync=objects,pack-metadata --git-dir="$WORK/base/history.git" fast-import --quiet --force \
	<"$WORK/fe.stream" 2>>"$log" || die "git fast-import failed"
metric fastimport_sec "$(awk -v u=$(( ${EPOCHREALTIME/./} - t0 )) 'BEGIN {printf "%.3f", u / 1e6}')"
same=no
[ "$(git --git-dir="$WORK/base/history.git" rev-parse main)" = "$(git --git-dir="$PH/history.git" rev-parse main)" ] && same=yes
metric fastimport_same_commits "$same"
rss_run "$WORK/c.rss" "$CL" -C "$WORK/base" queue --as admin; read -r s kb <"$WORK/c.rss"
metric catchup_sec "$s"; metric catchup_kb "$kb"
rm -rf "$WORK/base" "$WORK/fe.stream"

# ---- 6. at MID records: CLI, floor, naive, batch -------------------------------
step "at $MID records: $SAMPLES CLI approvals beside the floor's commits, naive, batch"
cp -a "$PH/history.git" "$WORK/floor.git"
read -r cli_us floor_us < <(cli_beside_floor "$PH" "$WORK/c2.targets" 1 "$SAMPLES")
metric cli_mid_us "$cli_us"
metric floor_fsync_us "$floor_us"
ftal=$(sed -n "1,${SAMPLES}p" "$WORK/c2.targets" | awk '{split($1, a, "/"); print a[2]}')
fper=$(sed -n 1p "$WORK/c2.targets" | cut -d/ -f1)
floor_k=$((SAMPLES * 2 + 1))
metric floor_nofsync_us "$("$WORK/bin/floor" "$WORK/floor.git" 0 "$floor_k" "$fper" $ftal 2>>"$log" | median)"


# batch: lines per second between the first and the last answer (so the
# process start and config load, measured above, are not counted twice)
batch_rate() { # $1: first target line, $2: lines, rest: batch options
	local first=$1 n=$2 l
	shift 2
	sync
	sed -n "$first,$((first + n - 1))p" "$WORK/c2.targets" |
		awk '{printf "{\"action\":\"approve\",\"as\":\"%s\",\"record\":\"%s\"}\n", $2, $1}' |
		"$CL" -C "$PH" batch "$@" 2>>"$log" |
		while IFS= read -r l; do echo "${EPOCHREALTIME/./} $l"; done >"$WORK/batch.out"
	grep -c '"ok":false' "$WORK/batch.out" >>"$log"
	awk '/"ok":true/ {n++; if (!f) f = $1; l = $1} END {if (n < 2 || l == f) print 0; else printf "%.1f", (n - 1) * 1e6 / (l - f)}' "$WORK/batch.out"
}
# The floor's durable commits beside the batches (the batch rows compare
# with these): BATCH_LINES of them before, between and after the two
# batches, their median.
floor_beside() { "$WORK/bin/floor" "$WORK/floor.git" 1 "$BATCH_LINES" "$fper" $ftal 2>>"$log" | tail -n +2; }
if [ "$HAVE_BATCH" = 1 ]; then
	step "batch: $BATCH_LINES lines durable each, $GROUP_LINES lines with --group 32, beside the floor"
	sync
	floor_beside >"$WORK/floorb.us"
	metric batch_per_sec "$(batch_rate $((2 * SAMPLES + NAIVE_SAMPLES + 1)) "$BATCH_LINES")"
	floor_beside >>"$WORK/floorb.us"
	metric batch_group_per_sec "$(batch_rate $((2 * SAMPLES + NAIVE_SAMPLES + BATCH_LINES + 1)) "$GROUP_LINES" --group 32)"
	floor_beside >>"$WORK/floorb.us"
	metric floor_batch_us "$(median <"$WORK/floorb.us")"
else
	step "batch: not available ('chainlog batch --help' failed)"
	metric batch_per_sec "not available"
	metric batch_group_per_sec "not available"
fi

# The same approvals through the CLI with `chainlog serve` running on the
# home (each command hands its transition to the server: no libgit2
# start-up or config load in the command's own process).
serve_start() { # $1: home
	"$CL" -C "$1" serve 2>>"$log" &
	SERVE_PID=$!
	for _ in $(seq 1 400); do [ -S "$1/chainlog.sock" ] && return 0; sleep 0.05; done
	die "chainlog serve did not start"
}
serve_stop() { kill -TERM "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; SERVE_PID=""; }
if "$CL" serve --help >/dev/null 2>&1; then
	step "at $MID records: $SAMPLES CLI approvals through chainlog serve"
	serve_start "$PH"
	read -r cli_us floor_us < <(cli_beside_floor "$PH" "$WORK/c2.targets" \
		$((2 * SAMPLES + NAIVE_SAMPLES + BATCH_LINES + GROUP_LINES + 1)) "$SAMPLES")
	metric cli_served_mid_us "$cli_us"
	metric floor_served_us "$floor_us"
	serve_stop
else
	metric cli_served_mid_us "not available"
fi

# The naive peers' clones (SMALL and MID files) stay until the work
# directory goes at the end of the run: ext4 without a journal (this
# machine class) steps around inodes freed in the last minutes when it
# makes a file, and removing 100k files would slow every file made in the
# minutes after, on one side of a comparison only.  So the naive peer
# runs last at MID too.
step "naive peer at $MID records (clone with $MID files, $NAIVE_SAMPLES transitions)"
bash "$here/peers/naive.sh" setup "$PH/history.git" "$WORK/naive" >>"$log" 2>&1 || die "naive setup failed"
paths=$(sed -n "$((2 * SAMPLES + 1)),$((2 * SAMPLES + NAIVE_SAMPLES))p" "$WORK/c2.targets" |
	while read -r id who; do git -C "$WORK/naive/repo" ls-files "records/${id%/*}/*/${id#*/}.yaml"; done)
metric naive_mid_us "$(bash "$here/peers/naive.sh" run "$WORK/naive" $paths 2>>"$log" | median)"

rm -rf "$WORK/floor.git"

# ---- 7. to HISTORY records -------------------------------------------------------
n3=$(wc -l <"$WORK/c3.jsonl")
step "import $n3 more records (to $HISTORY)"
import_chunk "$PH" "$WORK/c3.jsonl"
metric import2_n "$n3"
metric import2_sec "$IMPORT_SEC"
metric import2_kb "$IMPORT_KB"

step "at $HISTORY records: $SAMPLES rounds of CLI approvals (sample, $SMALL, $HISTORY) and reads"
{ read -r a; read -r b; read -r c; } < <(cli_rounds "$SAMPLES" "$SH" "$WORK/sample.targets" \
	"$WORK/home1k" "$WORK/c1.targets" "$PH" "$WORK/c3.targets")
metric cli_sample_us "$a"
metric cli_1k_us "$b"
metric cli_big_us "$c"
rm -rf "$WORK/home1k"
read -r rid rwho < <(sed -n "$((SAMPLES + 1))p" "$WORK/c3.targets")
lper=$(sed -n 1p "$WORK/c2.targets" | cut -d/ -f1)
rd_version() { "$CL" --version; }
rd_show() { "$CL" -C "$PH" show "$rid"; }
rd_queue() { "$CL" -C "$PH" queue --as "$rwho"; }
rd_list() { "$CL" -C "$PH" list --period "$lper"; }
{ read -r v; read -r sh; read -r q; read -r l; } < <(timed_rounds "$SAMPLES" rd_version rd_show rd_queue rd_list)
metric read_version_us "$v"
metric read_show_us "$sh"
metric read_queue_us "$q"
metric read_list_us "$l"
metric read_list_rows "$(cl list --period "$lper" 2>/dev/null | wc -l)"

# ---- 8. to SCAN_N records: the history scans ----------------------------------
# in parts of at most 500000 (an import's memory grows with its size:
# ~450 MB at 500k; each part is one more pack until `git gc`)
from=$((HISTORY + 1))
while [ "$from" -le "$SCAN_N" ]; do
	to=$((from + 499999)); [ "$to" -le "$SCAN_N" ] || to=$SCAN_N
	step "import records $from to $to (of $SCAN_N)"
	sed -n "${from},${to}p" "$WORK/all.jsonl" >"$WORK/c4.jsonl"
	import_chunk "$PH" "$WORK/c4.jsonl"
	from=$((to + 1))
done
rm -f "$WORK/c4.jsonl" "$WORK/all.jsonl"

# The scans run on the history as its maintenance leaves it (README:
# `git gc` from a nightly job; docs/PERFORMANCE.md, "How the history is
# packed"): one pack.  The imports' parts would otherwise be a pack each,
# and libgit2 1.5 keeps a delta-base cache of up to 16 MB for every pack
# it reads and searches them in turn.  The same gc gives bytes per
# transition.
step "git gc and bytes per transition"
metric index_bytes "$(stat -c %s "$PH/index.sqlite")"
metric packs_before_gc "$(ls "$PH/history.git/objects/pack/" | grep -c '\.pack$')"
t0=${EPOCHREALTIME/./}
git --git-dir="$PH/history.git" gc -q 2>>"$log"
metric gc_sec "$(awk -v u=$(( ${EPOCHREALTIME/./} - t0 )) 'BEGIN {printf "%.1f", u / 1e6}')"
metric repo_bytes "$(du -sb "$PH/history.git" | cut -f1)"
sync

step "verify and git log --raw over $(commits "$PH") commits ($SCANS rounds)"
metric big_commits "$(commits "$PH")"
rss_run "$WORK/v.rss" "$CL" -C "$PH" verify; metric verify_exit "$?"
sc_verify() { rss_run "$1" "$CL" -C "$PH" verify; }
sc_gitraw() { rss_run "$1" git --git-dir="$PH/history.git" log --raw main; }
scan_rounds "$SCANS" sc_verify sc_gitraw "$WORK/v.rss"
metric verify_sec "$SCAN_SEC_A"; metric verify_big_kb "$SCAN_KB_A"
metric gitlog_raw_sec "$SCAN_SEC_B"; metric gitlog_raw_kb "$SCAN_KB_B"

step "reindex and git log --format=%(trailers) ($SCANS rounds)"
sc_reindex() { rss_run "$1" "$CL" -C "$PH" reindex || echo "reindex failed" >>"$log"; }
sc_gittr() { rss_run "$1" git --git-dir="$PH/history.git" log --format='%(trailers)' main; }
scan_rounds "$SCANS" sc_reindex sc_gittr
metric reindex_sec "$SCAN_SEC_A"; metric reindex_big_kb "$SCAN_KB_A"
metric gitlog_trailers_sec "$SCAN_SEC_B"; metric gitlog_trailers_kb "$SCAN_KB_B"

# ---- 7b. a history of whole half-year cycles ---------------------------------
# The big history holds one submission per record: a record file for
# every commit, the costliest shape for reindex.  A county's history is
# whole cycles (submit and three approvals per record here; the issue's
# province counts about 6 transitions per log), and reindex reads each
# record's file once however many commits name it.  Same province and
# configuration, half as many transitions as the big history; shown for
# scale beside the target row, which stays on the big history.
LT=$MID
step "a history of whole cycles ($LT transitions): reindex and git log --format=%(trailers)"
LH=$WORK/cycles
CHAINLOG_NOW=$EPOCH_2015 "$CL" init "$LH" --config "$WORK/prov" >>"$log" || die "init --config failed"
# whole cycles in each period: np periods of lpp talents (9,960 at most)
np=$(( (LT + 39839) / 39840 ))
lpp=$(( LT / (4 * np) ))
sh "$here/gen-transitions.sh" "$WORK/prov" "$(echo $periods | cut -d' ' -f1-$np)" 4 "$lpp" >"$WORK/cycles.jsonl"
import_chunk "$LH" "$WORK/cycles.jsonl"
rm -f "$WORK/cycles.jsonl"
metric cycles_commits "$(commits "$LH")"
metric cycles_records "$(sqlite3 "$LH/index.sqlite" 'SELECT count(*) FROM records')"
rss_run "$WORK/r.rss" "$CL" -C "$LH" reindex || echo "reindex (cycles) failed" >>"$log"
read -r s kb <"$WORK/r.rss"; metric cycles_reindex_sec "$s"; metric cycles_reindex_kb "$kb"
rss_run "$WORK/g.rss" git --git-dir="$LH/history.git" log --format='%(trailers)' main
read -r s kb <"$WORK/g.rss"; metric cycles_gitlog_trailers_sec "$s"
rm -rf "$LH"

# ---- 9. results ----------------------------------------------------------------
step "write $out/results.json and results.md"
# Each row: name|chainlog|reference|ratio|target|verdict
rows=()
mark() { awk -v r="$1" -v op="$2" -v t="$3" 'BEGIN {if (r == "n/a") print "n/a"; else if ((op == "le" && r + 0 <= t + 0) || (op == "ge" && r + 0 >= t + 0)) print "PASS"; else print "FAIL"}'; }
row() { rows+=("$1|$2|$3|$4|$5|$6"); }
M[cli_mid_ms]=$(ms "${M[cli_mid_us]}")
r=$(div "${M[cli_mid_us]}" "${M[floor_fsync_us]}")
row "CLI durable transition vs floor durable (at $MID)" "${M[cli_mid_ms]} ms" "$(ms "${M[floor_fsync_us]}") ms" "${r}x" "<= 2x" "$(mark "$r" le 2)"
r=$(div "${M[naive_mid_us]}" "${M[cli_mid_us]}")
row "naive (git+sqlite3 CLI) vs CLI (at $MID)" "${M[cli_mid_ms]} ms" "$(ms "${M[naive_mid_us]}") ms" "${r}x faster" ">= 20x faster" "$(mark "$r" ge 20)"
if [ "${M[cli_served_mid_us]}" != "not available" ]; then
	r=$(div "${M[cli_served_mid_us]}" "${M[floor_served_us]}")
	row "CLI durable transition with chainlog serve vs floor durable (at $MID)" "$(ms "${M[cli_served_mid_us]}") ms" "$(ms "${M[floor_served_us]}") ms" "${r}x" "<= 2x" "$(mark "$r" le 2)"
	r=$(div "${M[naive_mid_us]}" "${M[cli_served_mid_us]}")
	row "naive vs CLI with chainlog serve (at $MID)" "$(ms "${M[cli_served_mid_us]}") ms" "$(ms "${M[naive_mid_us]}") ms" "${r}x faster" ">= 20x faster" "$(mark "$r" ge 20)"
fi
r=$(div "${M[naive_1k_us]}" "${M[cli_1k_us]}")
# the issue sets the 20x at 100k records (the MID rows above); at 1k the
# naive peer's git is still fast, and the ratio is shown for scale only
row "naive vs CLI (at $SMALL)" "$(ms "${M[cli_1k_us]}") ms" "$(ms "${M[naive_1k_us]}") ms" "${r}x faster" "(info)" "-"
r=$(div "${M[cli_big_us]}" "${M[cli_1k_us]}")
row "CLI transition at $HISTORY vs $SMALL records" "$(ms "${M[cli_big_us]}") ms" "$(ms "${M[cli_1k_us]}") ms" "${r}x" "<= 1.3x" "$(mark "$r" le 1.3)"
r=$(div "${M[cli_1k_us]}" "${M[cli_sample_us]}")
row "province config vs sample config (CLI transition)" "$(ms "${M[cli_1k_us]}") ms" "$(ms "${M[cli_sample_us]}") ms" "${r}x" "<= 1.3x" "$(mark "$r" le 1.3)"
floor_rate=$(awk -v u="${M[floor_batch_us]:-${M[floor_fsync_us]}}" 'BEGIN {printf "%.1f", 1e6 / u}')
if [ "$HAVE_BATCH" = 1 ]; then
	r=$(div "${M[batch_per_sec]}" "$floor_rate")
	row "batch (durable per line) vs floor durable" "${M[batch_per_sec]}/s" "$floor_rate/s" "${r}x" ">= 1x" "$(mark "$r" ge 1)"
	r=$(div "${M[batch_group_per_sec]}" "$floor_rate")
	row "batch --group 32 vs floor durable" "${M[batch_group_per_sec]}/s" "$floor_rate/s" "${r}x" ">= 3x" "$(mark "$r" ge 3)"
else
	row "batch (durable per line) vs floor durable" "not available" "$floor_rate/s" "n/a" ">= 1x" "n/a"
	row "batch --group 32 vs floor durable" "not available" "$floor_rate/s" "n/a" ">= 3x" "n/a"
fi
imp_rate=$(div "${M[import_n]}" "${M[import_sec]}")
fi_rate=$(div "${M[import_n]}" "${M[fastimport_sec]}")
r=$(div "$imp_rate" "$fi_rate")
row "import vs git fast-import, same commits ($n2)" "$imp_rate/s" "$fi_rate/s" "${r}x" ">= 0.5x" "$(mark "$r" ge 0.5)"
# the index catch-up inside import, measured on a copy (section 5)
w=$(awk -v a="${M[import_sec]}" -v b="${M[catchup_sec]}" 'BEGIN {x = a - b; if (x < 0.001) x = 0.001; printf "%.3f", x}')
wr=$(div "${M[import_n]}" "$w")
r=$(div "$wr" "$fi_rate")
row "import less its index catch-up (${M[catchup_sec]} s) vs fast-import" "$wr/s" "$fi_rate/s" "${r}x" "(info)" "-"
r=$(div "${M[verify_sec]}" "${M[gitlog_raw_sec]}")
row "verify vs git log --raw (${M[big_commits]} commits)" "${M[verify_sec]} s" "${M[gitlog_raw_sec]} s" "${r}x" "<= 3x" "$(mark "$r" le 3)"
r=$(div "${M[reindex_sec]}" "${M[gitlog_trailers_sec]}")
row "reindex vs git log --format=%(trailers)" "${M[reindex_sec]} s" "${M[gitlog_trailers_sec]} s" "${r}x" "<= 2x" "$(mark "$r" le 2)"
r=$(div "${M[cycles_reindex_sec]}" "${M[cycles_gitlog_trailers_sec]}")
row "reindex vs git log --format=%(trailers), whole cycles (${M[cycles_commits]} commits, ${M[cycles_records]} records)" "${M[cycles_reindex_sec]} s" "${M[cycles_gitlog_trailers_sec]} s" "${r}x" "(info)" "-"
# peak memory: the issue's bound is 256 MB at 1M commits; the growth
# from 1k records is shown beside it
for sc in verify reindex; do
	r=$(div "${M[${sc}_big_kb]}" "${M[${sc}_1k_kb]}")
	row "$sc peak RSS at $SCAN_N (at $SMALL: $((M[${sc}_1k_kb] / 1024)) MB, ${r}x)" "$((M[${sc}_big_kb] / 1024)) MB" "256 MB" "-" "<= 256 MB" "$(mark "$((M[${sc}_big_kb] / 1024))" le 256)"
done
for rd in show queue list; do
	r=$(div "${M[read_${rd}_us]}" "${M[read_version_us]}")
	extra=""; [ "$rd" = list ] && extra=" (${M[read_list_rows]} rows)"
	row "read: $rd at $HISTORY records$extra vs --version" "$(ms "${M[read_${rd}_us]}") ms" "$(ms "${M[read_version_us]}") ms" "${r}x" "<= 2x" "$(mark "$r" le 2)"
done
bpt=$(awk -v b="${M[repo_bytes]}" -v c="${M[big_commits]}" 'BEGIN {printf "%.0f", b / c}')
row "repository bytes per transition after git gc" "$bpt B" "-" "-" "< 2048 B" "$(mark "$bpt" le 2047)"

metric timed_failed "$(grep -c '^timed command failed: ' "$log")"
verify_word() { if [ "$1" = 0 ]; then echo "0 (history verified)"; else echo "$1 (violations, see run.log)"; fi; }
total=$(( (${EPOCHREALTIME/./} - t_start) / 1000000 ))
host="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr), git $(git --version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg)"
{
	echo "# chainlog benchmark results"
	echo
	echo "Command: \`bench/run.sh --history $HISTORY --scans $SCAN_N --samples $SAMPLES\` ($total s, $(date -u +%Y-%m-%dT%H:%M:%SZ))."
	echo "Machine: $host."
	echo "Medians of $SAMPLES runs (naive: $NAIVE_SAMPLES; verify and reindex: $SCANS rounds beside git); durable (fsync) unless marked."
	echo
	echo "| comparison | chainlog | reference | ratio | target | |"
	echo "|---|---|---|---|---|---|"
	for x in "${rows[@]}"; do echo "| ${x//|/ | } |"; done
	echo
	echo "Other numbers: floor without fsync $(ms "${M[floor_nofsync_us]}") ms;" \
		"floor durable beside the batches $(ms "${M[floor_batch_us]:-0}") ms (the batch rows' reference), beside the CLI $(ms "${M[floor_fsync_us]}") ms;" \
		"import of $n3 more records ${M[import2_sec]} s (peak RSS $((M[import2_kb] / 1024)) MB);" \
		"import of $n2 peak RSS $((M[import_kb] / 1024)) MB, its catch-up alone $((M[catchup_kb] / 1024)) MB;" \
		"fast-import made the same commits: ${M[fastimport_same_commits]};" \
		"index.sqlite $(div "${M[index_bytes]}" "${M[big_commits]}") B per transition;" \
		"the scans ran after \`git gc\` (${M[gc_sec]} s) made the ${M[packs_before_gc]} packs of the history one;" \
		"git log --raw peak RSS $((M[gitlog_raw_kb] / 1024)) MB; init with the province config $(ms "${M[init_province_us]}") ms;" \
		"verify exit status $(verify_word "${M[verify_exit]}") at $SCAN_N records, $(verify_word "${M[verify_1k_exit]}") at $SMALL;" \
		"timed commands that failed (not counted, see run.log): ${M[timed_failed]}."
} >"$out/results.md"
{
	echo "{"
	echo "  \"command\": \"bench/run.sh --history $HISTORY --scans $SCAN_N --samples $SAMPLES\","
	echo "  \"seconds\": $total,"
	echo "  \"machine\": \"$host\","
	echo "  \"metrics\": {"
	n=0
	for k in $(printf '%s\n' "${!M[@]}" | sort); do
		n=$((n + 1)); sep=","; [ "$n" -eq "${#M[@]}" ] && sep=""
		v=${M[$k]}
		if [[ "$v" =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then echo "    \"$k\": $v$sep"; else echo "    \"$k\": \"$v\"$sep"; fi
	done
	echo "  },"
	echo "  \"comparisons\": ["
	n=0
	for x in "${rows[@]}"; do
		n=$((n + 1)); sep=","; [ "$n" -eq "${#rows[@]}" ] && sep=""
		IFS='|' read -r a b c d e f <<<"$x"
		printf '    {"name": "%s", "chainlog": "%s", "reference": "%s", "ratio": "%s", "target": "%s", "verdict": "%s"}%s\n' \
			"$a" "$b" "$c" "$d" "$e" "$f" "$sep"
	done
	echo "  ]"
	echo "}"
} >"$out/results.json"
[ "$tty" = 1 ] && cat "$out/results.md" >&2
step "done in $total s"
exit 0
