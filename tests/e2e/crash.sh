#!/usr/bin/env bash
# crash.sh - a transition either fully happens or not at all.
#
# Needs a build with -Dfault_injection=true (CHAINLOG_FAULT=<point> makes
# the process _exit(99) at that point, like a crash or power cut).
#
#  1. One crash at each fault point of a transition.  Before the ref
#     update (after-blob, after-commit-object, before-cas) the transition
#     did not happen; after it (after-ref, during-index) it did, the index
#     lags, and the next command catches it up.  Either way no lock is
#     left that blocks the next user, and verify passes.
#  2. A random kill -9 loop: at least 200 kills during a stream of
#     transitions.  Afterwards the history and the index agree (verify),
#     and every transition the CLI reported done is in the history.
#  3. reindex killed mid-way leaves an index the next command repairs.
set -uo pipefail
CHAINLOG=${CHAINLOG:?} ; here=$(cd "$(dirname "$0")" && pwd)
KILLS=${CRASH_KILLS:-200}
tmp=$(mktemp -d) ; trap 'rm -rf "$tmp"' EXIT
pass=0 ; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { if [ "$1" = "$2" ]; then ok; else bad "$3: expected '$2', got '$1'"; fi; }
export CHAINLOG_FSYNC=${CHAINLOG_FSYNC:-0}
home=""
cl() { "$CHAINLOG" -C "$home" "$@"; }
tip() { git --git-dir="$home/history.git" rev-parse main; }
ihead() { sqlite3 "$home/index.sqlite" "select value from meta where key='head'"; }
state() { cl show "$1" --json 2>/dev/null | sed -n 's/^  "state": "\(.*\)",$/\1/p'; }

bash "$here/mkconf.sh" "$tmp/conf" 4 20
home="$tmp/base"
cl init "$home" --config "$tmp/conf" >/dev/null
cl submit --as t-1-01 --period 2022H2 --file "$tmp/conf/log.yaml" >/dev/null

# --- 1. each fault point ----------------------------------------------
for point in after-blob after-commit-object before-cas after-pack after-ref during-index; do
	rm -rf "$tmp/f" ; cp -r "$tmp/base" "$tmp/f" ; home="$tmp/f"
	t0=$(tip)
	CHAINLOG_FAULT=$point cl approve --as s1-v1 2022H2/t-1-01 >/dev/null 2>&1
	check "$?" 99 "$point: the process died at the fault point"
	case $point in
	after-ref | during-index)
		check "$(git --git-dir="$home/history.git" rev-list --count "$t0..main")" 1 "$point: the commit is in the history"
		[ "$(ihead)" != "$(tip)" ] && ok || bad "$point: the index should lag behind the tip"
		check "$(state 2022H2/t-1-01)" pending-township "$point: the next command sees the transition"
		check "$(ihead)" "$(tip)" "$point: the index caught up"
		;;
	*)
		check "$(tip)" "$t0" "$point: the history did not move"
		check "$(state 2022H2/t-1-01)" pending-village "$point: the record did not move"
		cl approve --as s1-v1 2022H2/t-1-01 >/dev/null 2>"$tmp/err"
		check "$?" 0 "$point: the next writer is not blocked by a lock: $(cat "$tmp/err")"
		;;
	esac
	out=$(cl verify 2>&1) ; check "$?" 0 "$point: verify: $out"
done

# --- 1b. a group commit dies after writing its pack, before the branch ---
rm -rf "$tmp/f" ; cp -r "$tmp/base" "$tmp/f" ; home="$tmp/f"
t0=$(tip)
for t in 02 03 04; do
	printf '{"action":"submit","as":"t-1-%s","period":"2022H2","file":"%s"}\n' "$t" "$tmp/conf/log.yaml"
done >"$tmp/group.jsonl"
CHAINLOG_FAULT=group-after-pack cl batch --group 4 <"$tmp/group.jsonl" >"$tmp/out" 2>/dev/null
check "$?" 99 "group-after-pack: the process died at the fault point"
check "$(wc -l <"$tmp/out")" 0 "group-after-pack: no line was answered"
check "$(tip)" "$t0" "group-after-pack: the history did not move"
check "$(cl list --period 2022H2 --json | jq length)" 1 "group-after-pack: no record appeared"
cl batch --group 4 <"$tmp/group.jsonl" >"$tmp/out" 2>"$tmp/err"
check "$?" 0 "group-after-pack: the next batch is not blocked: $(cat "$tmp/err")"
check "$(jq -c .ok "$tmp/out" | tr '\n' ' ')" "true true true " "group-after-pack: the next batch commits"
check "$(git --git-dir="$home/history.git" rev-list --count "$t0..main")" 3 "group-after-pack: three commits, once"
out=$(cl verify 2>&1) ; check "$?" 0 "group-after-pack: verify: $out"
git --git-dir="$home/history.git" fsck --strict >"$tmp/fsck" 2>&1
check "$?" 0 "group-after-pack: git fsck: $(cat "$tmp/fsck")"

# --- 2. random kill -9 loop ----------------------------------------------
home="$tmp/k" ; cp -r "$tmp/base" "$home"
steps=() # "period|talent|action|actor|state after"
for period in 2022H2 2023H1 2023H2 2024H1; do
	for v in 1 2 3 4; do for t in $(seq -w 1 20); do
		[ "$period/$v/$t" = "2022H2/1/01" ] && continue
		steps+=("$period|t-$v-$t|submit|t-$v-$t|pending-village"
			"$period|t-$v-$t|approve|s1-v$v|pending-township"
			"$period|t-$v-$t|approve|tw-sec|pending-department"
			"$period|t-$v-$t|approve|d-sec|approved")
	done; done
done
kills=0 ; done_n=0 ; i=0 ; : >"$tmp/done"
RANDOM=42
# calibrate: kill at a random moment between 0 and twice one command's time
t0=$(date +%s%N) ; cl list >/dev/null ; span=$(( ($(date +%s%N) - t0) / 500000 + 1 )) # 2x, in ms
pause() { local ms=$((RANDOM % span)); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }
while [ "$kills" -lt "$KILLS" ] && [ "$i" -lt "${#steps[@]}" ]; do
	IFS='|' read -r period talent action actor after <<<"${steps[$i]}"
	id="$period/$talent"
	if [ "$action" = submit ]; then
		set -- submit --as "$talent" --period "$period" --file "$tmp/conf/log.yaml"
	elif [ "$actor" = d-sec ]; then
		set -- approve --as d-sec "$id" --grade basic
	else
		set -- approve --as "$actor" "$id"
	fi
	"$CHAINLOG" -C "$home" "$@" >"$tmp/out" 2>"$tmp/err" & pid=$!
	sleep "$(pause)"
	kill -9 "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null ; st=$?
	if [ "$st" = 0 ]; then
		echo "$id|$action|$actor" >>"$tmp/done" ; done_n=$((done_n + 1)) ; i=$((i + 1))
	elif [ "$st" = 137 ]; then
		kills=$((kills + 1))
		s=$(state "$id")
		[ "$s" = "$after" ] && i=$((i + 1)) # it happened before the kill
	else
		bad "step $i ($*) failed with $st: $(cat "$tmp/err")" ; break
	fi
done
echo "crash loop: $kills kills, $done_n transitions reported done, $i steps (window ${span} ms)" >&2
[ "$kills" -ge "$KILLS" ] && ok || bad "only $kills kills happened"
out=$(cl verify 2>&1) ; check "$?" 0 "verify after $kills kills: $out"
git --git-dir="$home/history.git" log --format='%(trailers:key=Record,valueonly,separator=)|%(trailers:key=Action,valueonly,separator=)|%(trailers:key=Actor,valueonly,separator=)' >"$tmp/log"
missing=0
while read -r line; do grep -qxF "$line" "$tmp/log" || missing=$((missing + 1)); done <"$tmp/done"
check "$missing" 0 "transitions reported done but missing from the history"
check "$(git --git-dir="$home/history.git" fsck --strict >/dev/null 2>&1; echo $?)" 0 "git fsck --strict"

# --- 3. reindex killed mid-way -------------------------------------------
for n in 1 2 3 4 5; do
	"$CHAINLOG" -C "$home" reindex >/dev/null 2>&1 & pid=$!
	sleep "$(pause)"
	kill -9 "$pid" 2>/dev/null ; { wait "$pid"; } 2>/dev/null
done
cl list >"$tmp/after" 2>/dev/null ; check "$?" 0 "list after killed reindexes"
out=$(cl verify 2>&1) ; check "$?" 0 "verify after killed reindexes: $out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
