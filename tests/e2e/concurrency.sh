#!/usr/bin/env bash
# concurrency.sh - many users on one home at once.
#
#  1. 16 processes run 50 transitions each, on their own records, at the
#     same time: every one succeeds (the branch is a compare-and-swap,
#     retried when another writer moved it), the history has exactly
#     1 + 800 commits, every record ends where its script left it, and
#     verify passes.
#  2. Two reviewers approve the same record at the same moment, 10 times:
#     exactly one wins; the other gets "changed meanwhile" (exit 6) and
#     nothing else changes.  Needs a build with -Dfault_injection=true,
#     whose CHAINLOG_PAUSE=before-cas:MS holds the winner inside the ref
#     update long enough for the loser to have validated.
#  3. Readers running throughout never see a half-applied transition.
#  4. A command whose index lags waits for another process that holds the
#     index's write lock past sqlite's busy timeout, says so, and answers.
set -uo pipefail
CHAINLOG=${CHAINLOG:?} ; here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d) ; trap 'rm -rf "$tmp"' EXIT
pass=0 ; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { if [ "$1" = "$2" ]; then ok; else bad "$3: expected '$2', got '$1'"; fi; }
cl() { "$CHAINLOG" -C "$tmp/home" "$@"; }
# an index whole: the file and its write-ahead log (or none)
index_copy() {
	cp "$1" "$2" || return 1
	if [ -e "$1-wal" ]; then cp "$1-wal" "$2-wal"; else rm -f "$2-wal"; fi
}
git_count() { git --git-dir="$tmp/home/history.git" rev-list --count main; }
export CHAINLOG_FSYNC=${CHAINLOG_FSYNC:-0}

bash "$here/mkconf.sh" "$tmp/conf" 16 13 2
cl init "$tmp/home" --config "$tmp/conf" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }

# --- 1. 16 writers x 50 transitions -------------------------------------
worker() { # $1: village number (01..16)
	local v=$1 n=0 t
	for t in $(seq -w 1 13); do
		local id="2022H2/t-$v-$t"
		cl submit --as "t-$v-$t" --period 2022H2 --file "$tmp/conf/log.yaml" >/dev/null || return 1
		cl approve --as "s1-v$v" "$id" >/dev/null || return 1
		n=$((n + 2))
		[ "$n" -ge 50 ] && return 0
		cl approve --as tw-sec "$id" >/dev/null || return 1
		cl approve --as d-sec "$id" --grade competent >/dev/null || return 1
		n=$((n + 2))
	done
}
reader() { # reads until told to stop; any inconsistent answer is a failure
	while [ ! -e "$tmp/stop" ]; do
		cl list --json >"$tmp/r.json" 2>"$tmp/r.err" || { echo "reader: list failed: $(cat "$tmp/r.err")"; return 1; }
		grep -q '"state": "none"' "$tmp/r.json" && { echo "reader: saw a half-made record"; return 1; }
	done
	return 0
}
reader >"$tmp/reader.out" & rpid=$!
pids=()
for v in $(seq -w 1 16); do worker "$v" 2>"$tmp/w$v.err" & pids+=($!); done
wfail=0
for p in "${pids[@]}"; do wait "$p" || wfail=$((wfail + 1)); done
touch "$tmp/stop"; wait "$rpid"; rstat=$?
check "$wfail" 0 "workers that failed"
[ "$wfail" -eq 0 ] || cat "$tmp"/w*.err >&2
check "$rstat" 0 "reader: $(cat "$tmp/reader.out")"
check "$(git_count)" 801 "commits after 16 x 50 transitions"
check "$(cl list --state approved | wc -l)" 192 "approved records"
check "$(cl list --state pending-township | wc -l)" 16 "records left at the township"
check "$(git --git-dir="$tmp/home/history.git" log --format='%(trailers:key=Action,valueonly)' | grep -c '^approve$')" 592 "approve commits"
out=$(cl verify 2>&1); check "$?" 0 "verify after the storm: $out"

# --- 2. two reviewers, one record, the same moment ----------------------
wins=0 ; conflicts=0
for i in $(seq -w 1 10); do
	talent="t-$i-12" ; id="2023H1/$talent"
	cl submit --as "$talent" --period 2023H1 --file "$tmp/conf/log.yaml" >/dev/null
	before=$(git_count)
	CHAINLOG_PAUSE=before-cas:400 cl approve --as "s1-v$i" "$id" >"$tmp/a.out" 2>"$tmp/a.err" & pa=$!
	sleep 0.1
	cl approve --as "s2-v$i" "$id" >"$tmp/b.out" 2>"$tmp/b.err" & pb=$!
	wait "$pa"; sa=$?; wait "$pb"; sb=$?
	[ "$sa" = 0 ] && wins=$((wins + 1))
	[ "$sb" = 0 ] && wins=$((wins + 1))
	if [ "$sb" = 6 ] && grep -q "changed meanwhile" "$tmp/b.err"; then conflicts=$((conflicts + 1)); fi
	check "$(git_count)" $((before + 1)) "round $i: exactly one commit"
	check "$(git --git-dir="$tmp/home/history.git" log -1 --format='%(trailers:key=Actor,valueonly)' | head -1)" "s1-v$i" "round $i: the first reviewer won"
done
check "$wins" 10 "winners over 10 races"
check "$conflicts" 10 "'changed meanwhile' refusals (exit 6) over 10 races"
out=$(cl verify 2>&1); check "$?" 0 "verify after the races: $out"

# --- 4. a command waits for a writer that holds the index past the -------
# busy timeout (10 s; loading an empty index holds it that long)
id="2023H1/t-01-12"
index_copy "$tmp/home/index.sqlite" "$tmp/index.old"
cl reject --as tw-sec "$id" --comment "Redo it." >/dev/null
index_copy "$tmp/index.old" "$tmp/home/index.sqlite" # the index lags one commit
printf 'BEGIN IMMEDIATE;\n.shell touch %s/locked; sleep 12\nCOMMIT;\n' "$tmp" |
	sqlite3 "$tmp/home/index.sqlite" >/dev/null & lpid=$!
for _ in $(seq 1 100); do [ -e "$tmp/locked" ] && break; sleep 0.05; done
t0=$(date +%s)
cl list --state returned >"$tmp/l.out" 2>"$tmp/l.err"; st=$?
waited=$(( $(date +%s) - t0 ))
wait "$lpid"
check "$st" 0 "list while another process holds the index: $(cat "$tmp/l.err")"
check "$(cat "$tmp/l.out" | cut -d' ' -f1)" "$id" "list after waiting sees the commit the index lacked"
check "$(cat "$tmp/l.err")" "chainlog: another process is writing the index (loading it, or a big import): waiting for it" "what it says while it waits"
[ "$waited" -ge 10 ] && ok || bad "list answered after $waited s, before the lock was released"
out=$(cl verify 2>&1); check "$?" 0 "verify after the wait: $out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
