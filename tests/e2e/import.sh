#!/usr/bin/env bash
# import.sh - `chainlog import`: bulk import of past transitions through
# git fast-import.
#
#  1. A full 2022H2 cycle of the sample (336 transitions: 83 submissions,
#     a withdrawal, a rejection, two resubmissions, three levels of
#     approval) imports as 336 ordinary commits: the records end where
#     the lines left them, `git fsck --strict` and `chainlog verify` pass,
#     no temporary ref is left, and the commits are byte for byte those
#     that `chainlog submit/approve` make at the same times.
#  2. A bad line (unknown person, bad grade, a reviewer of the wrong
#     level, a time going backwards or before the history's last commit,
#     not JSON) refuses the whole import,
#     naming the line and the rule: same tip, same index counts, no
#     temporary ref or pack file left.
#  3. When the branch moves during an import (another writer), the import
#     is refused with "changed meanwhile" (exit 6) and changes nothing.
set -uo pipefail
CHAINLOG=${CHAINLOG:?} ; SRCDIR=${SRCDIR:?}
tmp=$(mktemp -d) ; trap 'rm -rf "$tmp"' EXIT
pass=0 ; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { if [ "$1" = "$2" ]; then ok; else bad "$3: expected '$2', got '$1'"; fi; }
contains() { if grep -q -- "$2" "$1"; then ok; else bad "$3: '$2' not in: $(cat "$1")"; fi; }
cl() { "$CHAINLOG" -C "$tmp/home" "$@"; }
hgit() { git --git-dir="$tmp/home/history.git" "$@"; }
export CHAINLOG_FSYNC=${CHAINLOG_FSYNC:-0}
gen() { sh "$SRCDIR/bench/gen-transitions.sh" "$SRCDIR/records/sample" "$@"; }
people=$SRCDIR/records/sample/people.yaml
serves() { awk -v t="$1" '$0 ~ "^  - id: "t"$" {f=1} f && /serves:/ {print $2; exit}' "$people"; }
counts() { # tip, records, transitions
	echo "$(hgit rev-parse main) $(sqlite3 "$tmp/home/index.sqlite" \
		'select count(*) from records; select count(*) from transitions;' | tr '\n' ' ')"
}
leftovers() { # temporary refs and packs an import may leave behind
	hgit for-each-ref --format='%(refname)' | grep -v '^refs/heads/main$'
	ls "$tmp/home/history.git/objects/pack" | grep '^tmp_'
}

CHAINLOG_NOW=1656000000 cl init "$tmp/home" --sample >/dev/null ||
	{ echo "0 passed, 1 failed"; exit 1; }

# --- 1. a full cycle ------------------------------------------------------
gen 2022H2 4 >"$tmp/cycle.jsonl"
v10=$(serves t010); v11=$(serves t011)
log='"log":{"summary":"Revised: household list and needs follow-up added.","days_in_village":120,"needs":[]}'
{
	head -n 83 "$tmp/cycle.jsonl"
	echo '{"action":"withdraw","as":"t010","record":"2022H2/t010","time":"2022-12-02T09:00:00Z"}'
	echo '{"action":"reject","as":"v-'"$v11"'","record":"2022H2/t011","time":"2022-12-02T10:00:00Z","comment":"Please list the households you visited."}'
	echo
	echo '{"action":"submit","as":"t010","period":"2022H2","time":"2022-12-03T09:00:00Z",'"$log"'}'
	echo '{"action":"submit","as":"t011","period":"2022H2","time":"2022-12-03T10:00:00Z",'"$log"',"comment":"Added the list."}'
	tail -n +84 "$tmp/cycle.jsonl"
} >"$tmp/import.jsonl"
cl import "$tmp/import.jsonl" >"$tmp/out" 2>"$tmp/err"
check "$?" 0 "import exit status ($(cat "$tmp/err"))"
check "$(cat "$tmp/out")" "imported 336 transitions" "import output"
check "$(hgit rev-list --count main)" 337 "commits after the import"
check "$(cl list --period 2022H2 --state approved | wc -l)" 83 "approved records"
check "$(cl history 2022H2/t011 --json | grep -c '"action"')" 6 "transitions of t011"
check "$(cl history 2022H2/t010 --json | grep -c '"withdraw"')" 1 "t010 withdrew"
cl show 2022H2/t001 --json >"$tmp/show"
contains "$tmp/show" '"state": "approved"' "t001 approved"
contains "$tmp/show" '"grade": "competent"' "t001 graded"
hgit fsck --strict >"$tmp/fsck" 2>&1
check "$?" 0 "git fsck --strict ($(cat "$tmp/fsck"))"
cl verify >"$tmp/verify" 2>&1
check "$?" 0 "verify ($(cat "$tmp/verify"))"
check "$(leftovers)" "" "temporary refs or packs after the import"
check "$(hgit log -1 --format='%ae %at %ce %ct' main)" \
	"d-ecology $(date -d 2022-12-16T08:01:23Z +%s) d-ecology $(date -d 2022-12-16T08:01:23Z +%s)" \
	"author, committer and times of the last commit"

# The same transitions made one by one give the same commits.
CHAINLOG_NOW=1656000000 "$CHAINLOG" init "$tmp/one" --sample >/dev/null
head -n 1 "$tmp/cycle.jsonl" >"$tmp/first.jsonl"
printf 'summary: "Served %s in 2022H2: visited households, joined branch meetings and followed up the village needs list."\ndays_in_village: 67\nneeds: [n001, n002]\n' \
	"$(serves t001)" >"$tmp/t001.yaml"
CHAINLOG_NOW=$(date -d 2022-12-01T08:00:01Z +%s) "$CHAINLOG" -C "$tmp/one" submit --as t001 \
	--period 2022H2 --file "$tmp/t001.yaml" >/dev/null
CHAINLOG_NOW=1656000000 "$CHAINLOG" init "$tmp/two" --sample >/dev/null
"$CHAINLOG" -C "$tmp/two" import "$tmp/first.jsonl" >/dev/null
check "$(git --git-dir="$tmp/two/history.git" rev-parse main)" \
	"$(git --git-dir="$tmp/one/history.git" rev-parse main)" "import and submit make the same commit"

# --- 2. a bad line refuses everything --------------------------------------
gen 2023H1 4 >"$tmp/next.jsonl"
before=$(counts)
dispatcher() { awk -v t="$1" '$0 ~ "^  - id: "t"$" {f=1} f && /dispatched_by:/ {print $2; exit}' "$people"; }
township() { v=$(serves "$1"); echo "${v%-*}"; }
refused() { # $1: name, $2: line number, $3: bad line, $4: expected status, $5: expected words
	{ head -n $(($2 - 1)) "$tmp/next.jsonl"; echo "$3"; tail -n +"$2" "$tmp/next.jsonl"; } >"$tmp/bad.jsonl"
	cl import "$tmp/bad.jsonl" >"$tmp/out" 2>"$tmp/err"
	check "$?" "$4" "$1: exit status"
	contains "$tmp/err" "bad.jsonl:$2: " "$1: names the line"
	contains "$tmp/err" "$5" "$1: names the rule"
	contains "$tmp/err" "nothing was imported" "$1: says nothing changed"
	check "$(counts)" "$before" "$1: tip and index counts"
	check "$(leftovers)" "" "$1: temporary refs or packs"
}
# Line 101: t001..t017 are pending-township, t018.. pending-village.
# Line 260: t001..t010 are approved, t011.. pending-department.
refused "unknown person" 101 \
	'{"action":"approve","as":"v-nowhere-99","record":"2023H1/t030","time":"2023-06-06T09:00:00Z"}' \
	4 "unknown person 'v-nowhere-99'"
refused "bad grade" 260 \
	'{"action":"approve","as":"d-'"$(dispatcher t011)"'","record":"2023H1/t011","time":"2023-06-16T09:00:00Z","grade":"superb"}' \
	3 "unknown grade 'superb' for level 'department'"
refused "wrong level" 101 \
	'{"action":"approve","as":"tw-'"$(township t030)"'","record":"2023H1/t030","time":"2023-06-06T09:00:00Z"}' \
	5 "2023H1/t030: "
refused "time backwards" 101 \
	'{"action":"approve","as":"v-'"$(serves t030)"'","record":"2023H1/t030","time":"2023-01-01T08:00:00Z"}' \
	3 "times must not decrease"
refused "before the last commit" 1 \
	'{"action":"submit","as":"t001","period":"2023H1","time":"2022-12-01T00:00:00Z","log":{"summary":"x","days_in_village":1}}' \
	3 "before the history's last commit"
refused "not JSON" 101 '{"action":"approve",' 3 "not JSON"
refused "unknown key" 101 \
	'{"action":"approve","as":"v-'"$(serves t030)"'","record":"2023H1/t030","time":"2023-06-06T09:00:00Z","grde":"x"}' \
	3 'unknown key "grde"'
cl import --json "$tmp/bad.jsonl" >"$tmp/out" 2>/dev/null
contains "$tmp/out" '"line": 101' "--json names the line"

# --- 3. the branch moves during the import ---------------------------------
mkfifo "$tmp/fifo"
cl import "$tmp/fifo" >"$tmp/out" 2>"$tmp/err" & ipid=$!
exec 3>"$tmp/fifo"
head -n 83 "$tmp/next.jsonl" >&3
sleep 1
cl approve --as "v-$(serves t001)" 2022H2/t001 >/dev/null 2>&1 # refused: already approved
"$CHAINLOG" -C "$tmp/home" submit --as t001 --period 2024H1 --file "$SRCDIR/records/sample/logs/t001-2022H2.yaml" >/dev/null
moved=$(hgit rev-parse main)
exec 3>&-
wait "$ipid"
check "$?" 6 "import after the branch moved: exit status"
contains "$tmp/err" "moved during the import" "conflict message"
check "$(hgit rev-parse main)" "$moved" "the other writer's commit stays the tip"
check "$(cl list --period 2023H1 2>/dev/null | wc -l)" 0 "no 2023H1 record after the refused import"
check "$(leftovers)" "" "temporary refs or packs after the conflict"
cl verify >"$tmp/verify" 2>&1
check "$?" 0 "verify after the refusals ($(cat "$tmp/verify"))"

# --- 4. a migration: a home started before the periods it imports ---------
"$CHAINLOG" init "$tmp/mig" --sample --date 2022-07-01 >/dev/null
check "$(git --git-dir="$tmp/mig/history.git" log -1 --format=%ad --date=short)" 2022-07-01 "init --date dates the first commit"
echo '{"action":"submit","as":"t001","period":"2022H2","time":"2022-12-15T08:00:00Z","log":{"summary":"Paper record.","days_in_village":120}}' >"$tmp/mig.jsonl"
"$CHAINLOG" -C "$tmp/mig" import "$tmp/mig.jsonl" >"$tmp/out" 2>"$tmp/err"
check "$?" 0 "import of a past period into it ($(cat "$tmp/err"))"
check "$(git --git-dir="$tmp/mig/history.git" log -1 --format=%ad --date=short)" 2022-12-15 "the imported transition keeps its historical date"
"$CHAINLOG" -C "$tmp/mig" verify >"$tmp/verify" 2>&1
check "$?" 0 "verify of the migrated home ($(cat "$tmp/verify"))"
"$CHAINLOG" init "$tmp/mig2" --sample --date 2099-01-01 >/dev/null 2>"$tmp/err"
check "$?" 3 "init --date in the future is refused"
contains "$tmp/err" "bad --date '2099-01-01'" "the refusal quotes the date"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
