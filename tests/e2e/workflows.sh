#!/usr/bin/env bash
# workflows.sh - each shipped workflow (two-, three- and four-level) with the
# sample's org, people and needs: one record through every level to
# approved, the states visited, the compiled machine (text, JSON, Graphviz),
# verify; and `workflow check` on good and broken files.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

# chain WORKFLOW: its levels, first reviewer first, read from the file.
chain() {
	awk '/^  levels:/ {f=1; next} f && /^    - id: / {print $3}' "$WORKFLOWS/$1.yaml"
}

# reviewer LEVEL: who reviews t001 (nanzhao-01, dispatched by agri) there.
reviewer() {
	case $1 in
	village) echo v-nanzhao-01 ;;
	township) echo tw-nanzhao ;;
	department) echo d-agri ;;
	county) echo c-weishan ;;
	*) echo "no reviewer known for level '$1'" >&2 ;;
	esac
}

json_array() {
	jq -Rn '[inputs]' -c
}

# run_workflow NAME ID LEVELS...: the full check for workflows/NAME.yaml.
run_workflow() {
	local name=$1 id=$2
	shift 2
	local levels=("$@") n=$# i lv who
	local last=${levels[$((n - 1))]}

	assert_eq "$name: its levels (precondition)" "$*" "$(chain "$name" | tr '\n' ' ' | sed 's/ $//')"
	make_confdir "$T/conf" "$WORKFLOWS/$name.yaml"
	cl init "$HOME_DIR" --config "$T/conf"
	assert_ok "$name: init --config"
	assert_eq "$name: init subject" "init: workflow $id@1" "$(git_h log -1 --format=%s)"
	assert_eq "$name: config/workflow.yaml is the file" "$(cat "$WORKFLOWS/$name.yaml")" \
		"$(git_h show main:config/workflow.yaml)"

	# the compiled machine
	local states
	states=$( { echo none; for lv in "${levels[@]}"; do echo "pending-$lv"; done
		    printf 'returned\nwithdrawn\napproved\n'; } | json_array)
	cl workflow show --json
	assert_ok "$name: workflow show --json"
	local wj=$OUT
	assert_json "$name: workflow tag" "$wj" .workflow "\"$id@1\""
	assert_json "$name: states" "$wj" .states "$states"
	assert_json "$name: approve edges follow the chain" "$wj" \
		'[.edges[] | select(.action == "approve") | [.from, .to, .level]]' \
		"$(for ((i = 0; i < n; i++)); do
			lv=${levels[$i]}
			if ((i + 1 < n)); then
				printf '["pending-%s","pending-%s","%s"]\n' "$lv" "${levels[$((i + 1))]}" "$lv"
			else
				printf '["pending-%s","approved","%s"]\n' "$lv" "$lv"
			fi
		done | jq -sc .)"
	assert_json "$name: every level rejects to the talent" "$wj" \
		'[.edges[] | select(.action == "reject") | .to] | unique' '["returned"]'
	assert_json "$name: one reject per level" "$wj" '[.edges[] | select(.action == "reject")] | length' "$n"
	assert_json "$name: submit from none, returned, withdrawn" "$wj" \
		'[.edges[] | select(.action == "submit") | .from + ">" + .to]' \
		"[\"none>pending-${levels[0]}\",\"returned>pending-${levels[0]}\",\"withdrawn>pending-${levels[0]}\"]"
	assert_json "$name: withdraw from the first level only" "$wj" \
		'[.edges[] | select(.action == "withdraw") | .from + ">" + .to]' "[\"pending-${levels[0]}>withdrawn\"]"

	cl workflow show
	assert_ok "$name: workflow show"
	assert_contains "$name: summary line" "$OUT" "workflow $id@1: "
	for ((i = 0; i < n; i++)); do
		assert_match "$name: level $((i + 1)) listed" "$OUT" "^level $((i + 1)): ${levels[$i]} "
	done
	assert_match "$name: only the last level grades" "$(grep -c 'grades required' <<<"$OUT")" '^1$'
	assert_match "$name: the grading level" "$(grep 'grades required' <<<"$OUT")" "^level $n: $last "

	cl workflow show --dot
	assert_ok "$name: workflow show --dot"
	local dotsrc=$OUT
	assert_eq "$name: dot: a digraph named after the workflow" "digraph \"$id\" {" "$(head -1 <<<"$dotsrc")"
	assert_eq "$name: dot: closed" "}" "$(tail -1 <<<"$dotsrc")"
	for lv in none "${levels[@]/#/pending-}" returned withdrawn approved; do
		assert_match "$name: dot: node $lv" "$dotsrc" "^[[:space:]]*\"$lv\" \\["
	done
	assert_eq "$name: dot: one edge per machine edge" "$(jq '.edges | length' <<<"$wj")" \
		"$(grep -c -- ' -> ' <<<"$dotsrc")"
	for ((i = 0; i + 1 < n; i++)); do
		assert_contains "$name: dot: ${levels[$i]} -> ${levels[$((i + 1))]}" "$dotsrc" \
			"\"pending-${levels[$i]}\" -> \"pending-${levels[$((i + 1))]}\""
	done
	assert_contains "$name: dot: the last level approves" "$dotsrc" "\"pending-$last\" -> \"approved\""
	if command -v dot >/dev/null 2>&1; then
		if printf '%s\n' "$dotsrc" | dot -Tsvg >"$T/wf.svg" 2>"$T/dot.err"; then
			_pass "$name: dot -Tsvg accepts it"
			assert_contains "$name: dot made an SVG" "$(cat "$T/wf.svg")" "<svg"
		else
			_fail "$name: dot -Tsvg rejects it" "$(cat "$T/dot.err")"
		fi
	else
		echo "  (dot not installed: Graphviz syntax checked by pattern only)"
	fi

	# one record through every level
	must submit --as t001 --period 2022H2 --file "$SAMPLE/logs/t001-2022H2.yaml" || return
	for ((i = 0; i < n; i++)); do
		lv=${levels[$i]}
		who=$(reviewer "$lv")
		cl show 2022H2/t001 --json
		assert_json "$name: at $lv, waiting on $who" "$OUT" '[.state, .level, .waiting_on]' \
			"[\"pending-$lv\",\"$lv\",[\"$who\"]]"
		cl queue --as "$who" --json
		assert_json "$name: in $who's queue" "$OUT" 'map(.id)' '["2022H2/t001"]'
		if ((i + 1 < n)); then
			cl approve --as "$who" 2022H2/t001 --grade excellent
			assert_status "$name: no grade at $lv" 3
			cl approve --as "$who" 2022H2/t001
		else
			cl approve --as "$who" 2022H2/t001
			assert_status "$name: a grade is required at $lv" 3
			cl approve --as "$who" 2022H2/t001 --grade competent
		fi
		assert_ok "$name: $who approves at $lv"
		assert_eq "$name: Level trailer $lv" "$lv" "$(trailer Level)"
	done
	cl show 2022H2/t001 --json
	assert_json "$name: approved" "$OUT" '[.state, .level, .waiting_on]' '["approved",null,[]]'
	assert_json "$name: one approval per level, graded at the last" "$OUT" '.approvals | map([.level, .grade])' \
		"$(for ((i = 0; i < n; i++)); do
			if ((i + 1 < n)); then printf '["%s",null]\n' "${levels[$i]}"; else printf '["%s","competent"]\n' "${levels[$i]}"; fi
		done | jq -sc .)"
	assert_json "$name: the record names the workflow" "$OUT" .workflow "\"$id@1\""
	cl history 2022H2/t001 --json
	assert_ok "$name: history --json"
	local visited
	visited=$( { echo none; for lv in "${levels[@]}"; do echo "pending-$lv"; done; echo approved; } | json_array)
	assert_json "$name: states visited" "$OUT" '[.[0].from] + map(.to)' "$visited"
	assert_json "$name: actors" "$OUT" 'map(.actor)' \
		"$( { echo t001; for lv in "${levels[@]}"; do reviewer "$lv"; done; } | json_array)"
	assert_json "$name: the grade" "$OUT" '[.[].grade | select(. != null)]' '["competent"]'
	assert_eq "$name: the commits" "$((n + 2))" "$(commit_count)"
	cl verify
	assert_ok "$name: verify"
	assert_eq "$name: verify output" "verify: ok, $((n + 2)) commits replayed, index in agreement" "$OUT"

	# a rejection at the last level returns the log to the talent
	must submit --as t002 --period 2022H2 --file "$SAMPLE/logs/t002-2022H2.yaml" || return
	for ((i = 0; i + 1 < n; i++)); do
		lv=${levels[$i]}
		case $lv in
		village) who=v-nanzhao-02 ;;
		department) who=d-forestry ;;
		*) who=$(reviewer "$lv") ;;
		esac
		must approve --as "$who" 2022H2/t002 || return
	done
	case $last in
	department) who=d-forestry ;;
	*) who=$(reviewer "$last") ;;
	esac
	cl reject --as "$who" 2022H2/t002 --comment "Attach the attendance sheets."
	assert_ok "$name: $who rejects at $last"
	cl show 2022H2/t002 --json
	assert_json "$name: back to the talent" "$OUT" '[.state, .waiting_on, .approvals]' '["returned",["t002"],[]]'
	cl verify
	assert_ok "$name: verify after the rejection"
}

test_two_level() {
	run_workflow two-level weishan-two-level village department
}

test_three_level() {
	run_workflow three-level weishan-three-level village township department
}

test_four_level() {
	run_workflow four-level weishan-four-level village township department county
}

test_workflow_check_shipped() {
	local f
	mkdir -p "$T/nohome"
	for f in two-level three-level four-level; do
		cl_in "$T/nohome" workflow check "$WORKFLOWS/$f.yaml"
		assert_ok "workflow check $f.yaml (no home)"
		assert_eq "$f.yaml: ok, outside a home" \
			"$WORKFLOWS/$f.yaml: ok (not inside a home: unit types and reviewers not checked)" \
			"$(tail -1 <<<"$OUT")"
		assert_contains "$f.yaml: prints the machine" "$OUT" "states: none pending-village"
	done
	must init "$HOME_DIR" --sample || return
	for f in two-level three-level four-level; do
		cl workflow check "$WORKFLOWS/$f.yaml"
		assert_ok "workflow check $f.yaml (in the sample home)"
		assert_eq "$f.yaml: ok, checked against the home" \
			"$WORKFLOWS/$f.yaml: ok, checked against the home's org and people" "$(tail -1 <<<"$OUT")"
	done
}

# broken NAME SED-EXPR: a copy of three-level.yaml edited by SED-EXPR.
broken() {
	sed "$2" "$WORKFLOWS/three-level.yaml" >"$T/$1.yaml"
	echo "$T/$1.yaml"
}

# line_of FILE PATTERN: the first line number matching PATTERN.
line_of() {
	grep -n -m1 -- "$2" "$1" | cut -d: -f1
}

test_workflow_check_broken() {
	local f l
	mkdir -p "$T/nohome"
	f=$(broken unknown-key 's/^  on_reject: talent .*/&\n  colour: blue/')
	l=$(line_of "$f" '^  colour: blue')
	cl_in "$T/nohome" workflow check "$f"
	assert_err "a workflow with an unknown key" 3 \
		"$f:$l:3: unknown key 'colour' in workflow (expected one of: id, title, version, admin_role, on_reject, fields, levels)"

	f=$(broken bad-on-reject 's/on_reject: talent /on_reject: sideways /')
	l=$(line_of "$f" 'on_reject: sideways')
	cl_in "$T/nohome" workflow check "$f"
	assert_err "a bad on_reject" 3 "$f:$l:14: workflow 'on_reject' must be talent or previous, not 'sideways'"

	f=$(broken dup-level '0,/- id: township/s//- id: village/')
	l=$(awk '/^    - id: village/ {n++; if (n == 2) {print NR; exit}}' "$f")
	cl_in "$T/nohome" workflow check "$f"
	assert_err "a duplicate level id" 3 "$f:$l:11: duplicate level id 'village'"

	f=$(broken dup-grade 's/grades: \[excellent/grades: [excellent, excellent/')
	l=$(line_of "$f" 'grades: \[excellent, excellent')
	cl_in "$T/nohome" workflow check "$f"
	assert_err "a duplicate grade" 3 "$f:$l:29: approve 'grades': duplicate item 'excellent'"

	printf 'workflow:\n  id: x\n  title: [x\n' >"$T/syntax.yaml"
	cl_in "$T/nohome" workflow check "$T/syntax.yaml"
	assert_err "a YAML syntax error" 3 \
		"$T/syntax.yaml:4:1: did not find expected ',' or ']' (while parsing a flow sequence at 3:10)"

	# an unknown unit type passes alone but not against the home's org
	f=$(broken bad-type 's/type: township/type: hamlet/')
	cl_in "$T/nohome" workflow check "$f"
	assert_ok "an unknown unit type is not checked outside a home"
	must init "$HOME_DIR" --sample || return
	snapshot
	cl workflow check "$f"
	assert_status "an unknown unit type inside a home" 3
	assert_match "it names FILE:LINE:COL and the type" "$ERR" \
		"^chainlog: $f:[0-9]+:[0-9]+: level 'township' names unknown unit type 'hamlet'$"
	assert_unchanged "workflow check changes nothing"

	cl_in "$T/nohome" workflow check "$T/none.yaml"
	assert_err "a file that does not exist" 4 "cannot open '$T/none.yaml': No such file or directory"
}

run_test test_two_level
run_test test_three_level
run_test test_four_level
run_test test_workflow_check_shipped
run_test test_workflow_check_broken
finish
