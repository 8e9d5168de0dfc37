#!/usr/bin/env bash
# demo-cycle.sh CHAINLOG HOME - one half-year cycle (2022H2) of the bundled
# Weishan sample, from filing to the county's grades, then an audit.
#
# Called by scripts/demo.sh after the build.  HOME must not exist or be
# empty.  Every step is a real chainlog command; the audit at the end uses
# plain git on HOME/history.git.
set -euo pipefail
cl=$1
home=$2
here=$(cd "$(dirname "$0")" && pwd)
sample=$here
period=2022H2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say() { printf '\n== %s\n' "$*"; }
run() { printf '$ chainlog %s\n' "$*"; "$cl" -C "$home" "$@"; }

# who reviews whom, straight from the sample's people file
talents=$(awk '/^  - id: t[0-9]+$/ {print $3}' "$sample/people.yaml")
serves() { awk -v t="$1" '$0 ~ "^  - id: "t"$" {f=1} f && /serves:/ {print $2; exit}' "$sample/people.yaml"; }
dispatcher() { awk -v t="$1" '$0 ~ "^  - id: "t"$" {f=1} f && /dispatched_by:/ {print $2; exit}' "$sample/people.yaml"; }
needs_of() { awk -v u="$1" '/- id:/ {id=$3} $1=="unit:" && $2==u {print id}' "$sample/needs.yaml"; }

# a plausible log for talent $1 serving village $2
write_log() {
	local t=$1 v=$2 f="$work/$1.yaml" n
	{
		printf 'summary: |\n  Served %s for the second half of 2022: visited households,\n' "$v"
		printf '  joined branch meetings and followed up the village needs list.\n'
		printf 'days_in_village: %d\n' $((60 + (10#${t#t} * 7) % 120))
		printf 'needs:\n'
		for n in $(needs_of "$v"); do printf '  - %s\n' "$n"; done
	} >"$f"
	echo "$f"
}

say "The administrator creates the home from the bundled sample"
run init "$home" --sample
run workflow show

say "A talent's log is refused: days_in_village is out of bounds"
run submit --as t001 --period "$period" --file "$sample/logs/bad-days.yaml" || true

say "All 83 talents file their 2022H2 logs"
run submit --as t001 --period "$period" --file "$sample/logs/t001-2022H2.yaml"
for t in $talents; do
	[ "$t" = t001 ] && continue
	"$cl" -C "$home" submit --as "$t" --period "$period" --file "$(write_log "$t" "$(serves "$t")")" >/dev/null
done
run list --period "$period" --state pending-village | tail -n 3

say "Village party organizations review (one log goes back)"
run queue --as v-nanzhao-05
run reject --as v-nanzhao-05 "$period/t005" --comment "Please list the households you visited and the needs you followed up."
run show "$period/t005"
for t in $talents; do
	[ "$t" = t005 ] && continue
	"$cl" -C "$home" approve --as "v-$(serves "$t")" "$period/$t" >/dev/null
done

say "The talent revises and resubmits; the village approves"
log=$(write_log t005 nanzhao-05)
printf 'achievements: |\n  Visited all 96 households of %s; followed up both needs.\n' nanzhao-05 >>"$log"
run submit --as t005 --period "$period" --file "$log"
run approve --as v-nanzhao-05 "$period/t005" --comment "Complete now."

say "A reviewer cannot act out of turn"
run approve --as tw-miaojie "$period/t001" || true

say "Township party committees review"
for t in $talents; do
	v=$(serves "$t")
	"$cl" -C "$home" approve --as "tw-${v%-*}" "$period/$t" >/dev/null
done

say "County department party committees grade"
grades=(excellent competent competent basic)
i=0
for t in $talents; do
	"$cl" -C "$home" approve --as "d-$(dispatcher "$t")" "$period/$t" \
		--grade "${grades[$((i % 4))]}" >/dev/null
	i=$((i + 1))
done
run approve --as d-agri "$period/t001" --grade excellent || true
run list --period "$period" --state approved | wc -l | sed 's/^/approved records: /'

say "The auditor's view of 2022H2/t005, with plain git"
git_dir="$home/history.git"
path=$(git --git-dir="$git_dir" log --format= --name-only -1 --grep='^Record: 2022H2/t005$')
echo "record file: $path"
printf '$ git log --reverse --format=... -- %s\n' "$path"
git --git-dir="$git_dir" log --reverse --date=iso-strict \
	--format='%h %ad %an <%ae> %(trailers:key=Action,valueonly,separator=%x2C) %(trailers:key=From,valueonly,separator=%x2C) -> %(trailers:key=To,valueonly,separator=%x2C)' -- "$path"
printf '$ git log --grep=Action: reject --format=%%B -1\n'
git --git-dir="$git_dir" log --grep='^Action: reject$' --format=%B -1
printf '$ git show HEAD:%s | head -n 12\n' "$path"
git --git-dir="$git_dir" show "HEAD:$path" | head -n 12
printf '$ git fsck --strict\n'
git --git-dir="$git_dir" fsck --strict && echo "fsck: ok"
printf '$ git rev-list --count HEAD\n'
git --git-dir="$git_dir" rev-list --count HEAD

say "chainlog's own audit"
run history "$period/t005"
run verify
