#!/usr/bin/env bash
# mkconf.sh DIR VILLAGES TALENTS_PER_VILLAGE [REVIEWERS_PER_VILLAGE]
#
# Writes a small synthetic configuration for the stress and crash tests:
# one county, one township, VILLAGES villages with their secretaries, one
# department, and TALENTS_PER_VILLAGE talents per village (ids t-VV-TT),
# on the sample's three-level chain.
set -euo pipefail
dir=$1 nv=$2 nt=$3 nr=${4:-1}
src=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dir"
cp "$src/workflows/three-level.yaml" "$dir/workflow.yaml"
sed -i 's/^    - name: needs$/    - name: needs_unused/; /choices_from: needs/d' "$dir/workflow.yaml"
{
	echo "types: [county, township, village, department]"
	echo "units:"
	echo "  - {id: c, name: County, type: county}"
	echo "  - {id: tw, name: Township, type: township, parent: c}"
	echo "  - {id: dep, name: Department, type: department, parent: c}"
	for v in $(seq -w 1 "$nv"); do
		echo "  - {id: v$v, name: Village $v, type: village, parent: tw}"
	done
} >"$dir/org.yaml"
{
	echo "people:"
	echo "  - {id: admin, name: Admin, roles: [{role: config-admin, unit: c}]}"
	echo "  - {id: tw-sec, name: Township Secretary, roles: [{role: secretary, unit: tw}]}"
	echo "  - {id: d-sec, name: Department Secretary, roles: [{role: secretary, unit: dep}]}"
	for v in $(seq -w 1 "$nv"); do
		for r in $(seq 1 "$nr"); do
			echo "  - {id: s$r-v$v, name: Secretary $r of $v, roles: [{role: secretary, unit: v$v}]}"
		done
		for t in $(seq -w 1 "$nt"); do
			echo "  - id: t-$v-$t"
			echo "    name: Talent $v $t"
			echo "    talent: {serves: v$v, dispatched_by: dep, mode: flexible, first_secretary: false, from: 2022-07-01, to: 2024-06-30}"
		done
	done
} >"$dir/people.yaml"
printf 'summary: |\n  Served the village.\ndays_in_village: 100\n' >"$dir/log.yaml"
