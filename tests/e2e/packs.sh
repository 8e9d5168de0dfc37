#!/usr/bin/env bash
# packs.sh - a single command writes its transition as one small pack, no
# loose object; the pack directory folds as it fills (16 small packs into
# one), a kept pack is left out of the fold, and git fsck and verify pass.
set -uo pipefail
CHAINLOG=${CHAINLOG:?}
tmp=$(mktemp -d) ; trap 'rm -rf "$tmp"' EXIT
pass=0 ; fail=0
check() { if [ "$1" = "$2" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $3: expected '$2', got '$1'" >&2; fi; }
export CHAINLOG_FSYNC=0

home="$tmp/home"
"$CHAINLOG" init "$home" --sample >/dev/null
g="git --git-dir=$home/history.git"
packdir="$home/history.git/objects/pack"
npacks() { find "$packdir" -name 'pack-*.pack' | wc -l; }
loose() { $g count-objects -v | sed -n 's/^count: //p'; }
printf 'summary: Visits.\ndays_in_village: 100\n' >"$tmp/log.yaml"
submit() { "$CHAINLOG" -C "$home" submit --as "$1" --period 2022H2 --file "$tmp/log.yaml"; }

loose0=$(loose)
packs0=$(npacks)
tip0=$($g rev-parse main)

# one command: one pack with the blob, the trees on its path, the commit
submit t001 >/dev/null 2>"$tmp/err"
check "$?" 0 "submit ($(cat "$tmp/err"))"
check "$(loose)" "$loose0" "the command wrote no loose object"
check "$(npacks)" "$((packs0 + 1))" "the command wrote one pack"
new=$(ls -t "$packdir"/pack-*.idx | head -1)
tip=$($g rev-parse main)
check "$($g verify-pack -v "$new" | grep -c " commit ")" 1 "its pack holds one commit"
check "$($g verify-pack -v "$new" | awk '$2 == "commit" {print $1}')" "$tip" "the commit is the new tip"
check "$($g rev-parse main^)" "$tip0" "on top of the old tip"

# a refusal writes nothing at all
before=$(ls "$packdir" | md5sum)
submit t001 >/dev/null 2>"$tmp/err"
check "$?" 5 "a second submission is refused"
check "$(cat "$tmp/err")" "chainlog: 2022H2/t001: cannot submit a record in state 'pending-village'" "the refusal says why"
check "$(ls "$packdir" | md5sum)" "$before" "a refusal writes no pack"
check "$(loose)" "$loose0" "a refusal writes no loose object"
check "$($g rev-parse main)" "$tip" "a refusal leaves the branch"

# 15 more: the 16th small pack folds them all into one
for t in $(seq -w 2 16); do submit "t0$t" >/dev/null || echo "submit t0$t failed" >&2; done
check "$($g rev-list --count "$tip0..main")" 16 "sixteen commits"
check "$(npacks)" "$((packs0 + 1))" "16 small packs folded into one"
check "$(loose)" "$loose0" "still no loose object"
folded=$(ls -t "$packdir"/pack-*.idx | head -1)
check "$($g verify-pack -v "$folded" | grep -c " commit ")" 16 "the fold holds the 16 commits"

# a kept pack is not folded: 16 more small packs, one of them kept
submit t017 >/dev/null
kept=$(ls -t "$packdir"/pack-*.pack | head -1)
touch "${kept%.pack}.keep"
for t in $(seq 18 32); do submit "t0$t" >/dev/null || echo "submit t0$t failed" >&2; done
check "$([ -e "$kept" ] && echo yes)" yes "the kept pack is still there"
check "$(npacks)" "$((packs0 + 3))" "15 small packs folded, the kept one left"

$g fsck --strict >"$tmp/fsck" 2>&1
check "$?" 0 "git fsck ($(cat "$tmp/fsck"))"
check "$("$CHAINLOG" -C "$home" list --period 2022H2 --json | jq length)" 32 "the index has every record"
"$CHAINLOG" -C "$home" verify >"$tmp/v" 2>&1
check "$?" 0 "verify ($(cat "$tmp/v"))"

# a pack git made folds like any other, and the bitmap and reverse index
# git wrote beside it go with it
home="$tmp/home2"
"$CHAINLOG" init "$home" --sample >/dev/null
g="git --git-dir=$home/history.git"
packdir="$home/history.git/objects/pack"
for t in 01 02 03; do submit "t0$t" >/dev/null; done
$g -c pack.writeReverseIndex=true repack -a -d -b -q
check "$(find "$packdir" -name 'pack-*.bitmap' | wc -l) $(find "$packdir" -name 'pack-*.rev' | wc -l)" "1 1" "git repack wrote a bitmap and a reverse index (precondition)"
for t in $(seq 4 18); do submit "t0$(printf %02d "$t")" >/dev/null || echo "submit $t failed" >&2; done
check "$(npacks)" 1 "git's pack folded with 15 small ones"
check "$(find "$packdir" -name 'pack-*.bitmap' -o -name 'pack-*.rev' | wc -l)" 0 "its bitmap and reverse index went with it"
$g fsck --strict >"$tmp/fsck" 2>&1
check "$?" 0 "git fsck after folding git's pack ($(cat "$tmp/fsck"))"

# a multi-pack index names its packs: with one, chainlog folds nothing
$g multi-pack-index write
for t in $(seq 19 34); do submit "t0$t" >/dev/null || echo "submit $t failed" >&2; done
check "$(npacks)" 17 "no fold beside a multi-pack index"
$g multi-pack-index verify >"$tmp/midx" 2>&1
check "$?" 0 "git multi-pack-index verify ($(cat "$tmp/midx"))"
check "$("$CHAINLOG" -C "$home" list --period 2022H2 --json | jq length)" 34 "the second home's index has every record"
"$CHAINLOG" -C "$home" verify >"$tmp/v" 2>&1
check "$?" 0 "verify, second home ($(cat "$tmp/v"))"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
