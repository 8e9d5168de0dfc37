#!/usr/bin/env bash
# batch.sh - chainlog batch: one JSON answer per line, each transition its
# own commit, refusals change nothing, --group commits the same history.
set -uo pipefail
CHAINLOG=${CHAINLOG:?}
tmp=$(mktemp -d) ; trap 'rm -rf "$tmp"' EXIT
pass=0 ; fail=0
check() { if [ "$1" = "$2" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $3: expected '$2', got '$1'" >&2; fi; }
export CHAINLOG_FSYNC=0

for mode in "" "--group 8"; do
	home="$tmp/home${mode:+-group}"
	"$CHAINLOG" init "$home" --sample >/dev/null
	# shellcheck disable=SC2086 # the mode is one or two words
	printf '%s\n' \
		'{"action":"submit","as":"t001","period":"2022H2","log":{"summary":"Visits.","days_in_village":100,"needs":["n001"]}}' \
		'{"action":"approve","as":"v-nanzhao-01","record":"2022H2/t001"}' \
		'{"action":"approve","as":"v-nanzhao-01","record":"2022H2/t001"}' \
		'not json' \
		'{"action":"submit","as":"t002","period":"2022H2","log":{"summary":"x","days_in_village":1.5}}' \
		'{"action":"reject","as":"tw-nanzhao","record":"2022H2/t001","comment":"More detail."}' |
		"$CHAINLOG" -C "$home" batch $mode >"$tmp/out" 2>"$tmp/err"
	st=$?
	m=${mode:-default}
	check "$st" 3 "$m: exit status is the last failure's"
	check "$(wc -l <"$tmp/out")" 6 "$m: one answer per line"
	check "$(sed -n 1p "$tmp/out" | jq -c '[.line,.ok,.state]')" '[1,true,"pending-village"]' "$m: line 1"
	check "$(sed -n 2p "$tmp/out" | jq -c '[.line,.ok,.state]')" '[2,true,"pending-township"]' "$m: line 2 (state right after it)"
	check "$(sed -n 3p "$tmp/out" | jq -c '[.ok,.status,.code]')" '[false,5,"denied"]' "$m: line 3 refused by a rule"
	check "$(sed -n 3p "$tmp/out" | jq -r .error)" "2022H2/t001: only a reviewer of level 'township' may approve it now, and 'v-nanzhao-01' is not one" "$m: line 3 message"
	check "$(sed -n 4p "$tmp/out" | jq -c '[.ok,.status]')" '[false,2]' "$m: line 4 is not JSON"
	check "$(sed -n 5p "$tmp/out" | jq -r .error)" 'log field "days_in_village" must be a string, an integer or a list of strings' "$m: line 5 names the field"
	check "$(sed -n 6p "$tmp/out" | jq -c '[.ok,.state]')" '[true,"returned"]' "$m: line 6"
	g="git --git-dir=$home/history.git"
	check "$($g rev-list --count main)" 4 "$m: init + three commits, nothing for the refused lines"
	check "$($g log --reverse --format='%(trailers:key=Action,valueonly,separator=)' | tr '\n' ' ')" "init submit approve reject " "$m: the commits, in order"
	check "$($g rev-parse main)" "$(sed -n 6p "$tmp/out" | jq -r .commit)" "$m: the last answer names the tip"
	check "$("$CHAINLOG" -C "$home" show 2022H2/t001 --json | jq -r .state)" returned "$m: the index agrees"
	"$CHAINLOG" -C "$home" verify >"$tmp/v" 2>&1
	check "$?" 0 "$m: verify ($(cat "$tmp/v"))"
done

# Each line (default) or group is one small pack; every 16 of them are
# folded into one as the batch goes, so 40 lines leave 2 + 8 packs.
home="$tmp/fold"
"$CHAINLOG" init "$home" --sample >/dev/null
for t in $(seq -w 1 40); do
	printf '{"action":"submit","as":"t0%s","period":"2022H2","log":{"summary":"Visits.","days_in_village":100}}\n' "$t"
done | "$CHAINLOG" -C "$home" batch >"$tmp/out" 2>"$tmp/err"
check "$?" 0 "fold: 40 submissions ($(cat "$tmp/err"))"
check "$(jq -c 'select(.ok)' "$tmp/out" | wc -l)" 40 "fold: 40 answers ok"
g="git --git-dir=$home/history.git"
check "$(ls "$home"/history.git/objects/pack/*.pack | wc -l)" 10 "fold: 40 packs folded to 10"
check "$($g rev-list --count main)" 41 "fold: one commit per line"
$g fsck --strict >"$tmp/fsck" 2>&1
check "$?" 0 "fold: git fsck ($(cat "$tmp/fsck"))"
check "$("$CHAINLOG" -C "$home" list --period 2022H2 --json | jq length)" 40 "fold: the index has every record"
"$CHAINLOG" -C "$home" verify >"$tmp/v" 2>&1
check "$?" 0 "fold: verify ($(cat "$tmp/v"))"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
