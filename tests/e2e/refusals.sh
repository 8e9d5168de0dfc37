#!/usr/bin/env bash
# refusals.sh - every refusal: the exact one-line message on stderr (which
# names the record, the field or the rule, and quotes the offending value),
# the exit status, and proof that nothing changed (history, index).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

# ---- the base home, built once and copied by every test ------------------
#
#   2022H2/t001  pending-township    (v-nanzhao-01 approved)
#   2022H2/t002  pending-village
#   2022H2/t003  pending-department (grading level; d-water)
#   2022H2/t005  returned
#   t004 has no record: logs are submitted as t004 for 2022H2.
BASE=$E2E_ROOT/base
build_base() {
	TEST_NAME=base
	T=$E2E_ROOT/base-work
	HOME_DIR=$BASE
	mkdir -p "$T"
	must init "$BASE" --sample &&
		must submit --as t001 --period 2022H2 --file "$SAMPLE/logs/t001-2022H2.yaml" &&
		must approve --as v-nanzhao-01 2022H2/t001 &&
		must submit --as t002 --period 2022H2 --file "$SAMPLE/logs/t002-2022H2.yaml" &&
		must submit --as t003 --period 2022H2 --file "$SAMPLE/logs/t003-2022H2.yaml" &&
		must approve --as v-nanzhao-03 2022H2/t003 &&
		must approve --as tw-nanzhao 2022H2/t003 &&
		write_log "$T/t005.yaml" 30 &&
		must submit --as t005 --period 2022H2 --file "$T/t005.yaml" &&
		must reject --as v-nanzhao-05 2022H2/t005 --comment "Too short."
}

fresh() {
	cp -r "$BASE" "$HOME_DIR"
}

# refused DESC STATUS MESSAGE ARGS...: runs chainlog ARGS on a snapshot of
# the home; it must fail with STATUS and exactly "chainlog: MESSAGE", and
# change nothing.
refused() {
	local desc=$1 st=$2 msg=$3
	shift 3
	snapshot
	cl "$@"
	assert_err "$desc" "$st" "$msg"
	assert_unchanged "$desc"
}

# log_refused DESC MESSAGE-AFTER-FILE CONTENT: writes CONTENT (printf %b)
# to a log file, submits it as t004; refused with 3 and
# "2022H2/t004: FILE:MESSAGE-AFTER-FILE".
log_refused() {
	local desc=$1 msg=$2 f=$T/log-$RANDOM.yaml
	printf '%b' "$3" >"$f"
	refused "$desc" 3 "2022H2/t004: $f$msg" submit --as t004 --period 2022H2 --file "$f"
}

# ---- who may act ---------------------------------------------------------

test_non_reviewer() {
	fresh
	refused "a township secretary elsewhere approves" 5 \
		"2022H2/t002: only a reviewer of level 'village' may approve it now, and 'tw-miaojie' is not one" \
		approve --as tw-miaojie 2022H2/t002
	refused "the next level's reviewer approves out of turn" 5 \
		"2022H2/t002: only a reviewer of level 'village' may approve it now, and 'tw-nanzhao' is not one" \
		approve --as tw-nanzhao 2022H2/t002
	refused "the administrator approves" 5 \
		"2022H2/t002: only a reviewer of level 'village' may approve it now, and 'admin' is not one" \
		approve --as admin 2022H2/t002
	refused "a non-reviewer rejects" 5 \
		"2022H2/t002: only a reviewer of level 'village' may reject it now, and 'd-forestry' is not one" \
		reject --as d-forestry 2022H2/t002 --comment "No."
	refused "the previous level acts again" 5 \
		"2022H2/t001: only a reviewer of level 'township' may approve it now, and 'v-nanzhao-01' is not one" \
		approve --as v-nanzhao-01 2022H2/t001
	refused "someone else withdraws" 5 \
		"2022H2/t002: only the record's talent may withdraw it" \
		withdraw --as t001 2022H2/t002
	refused "approve a record that does not exist" 4 \
		"2022H2/t004: no such record (the talent has not submitted it)" \
		approve --as v-nanzhao-04 2022H2/t004
}

test_reviewer_of_another_village() {
	fresh
	refused "the secretary of nanzhao-01 approves nanzhao-02's talent" 5 \
		"2022H2/t002: only a reviewer of level 'village' may approve it now, and 'v-nanzhao-01' is not one" \
		approve --as v-nanzhao-01 2022H2/t002
	refused "the secretary of another township approves" 5 \
		"2022H2/t001: only a reviewer of level 'township' may approve it now, and 'tw-miaojie' is not one" \
		approve --as tw-miaojie 2022H2/t001
	refused "another department grades" 5 \
		"2022H2/t003: only a reviewer of level 'department' may approve it now, and 'd-agri' is not one" \
		approve --as d-agri 2022H2/t003 --grade excellent
}

test_talent_approves_own() {
	fresh
	refused "the talent approves their own record" 5 \
		"2022H2/t002: nobody may approve their own record" \
		approve --as t002 2022H2/t002
	refused "the talent rejects their own record" 5 \
		"2022H2/t002: nobody may reject their own record" \
		reject --as t002 2022H2/t002 --comment "Never mind."
}

# A confdir where v-nanzhao-01 is also the secretary of the township nanzhao
# and t001 is also a secretary of its own village nanzhao-01.
two_hats_confdir() {
	local d=$1
	make_confdir "$d" "$WORKFLOWS/three-level.yaml"
	awk '{print}
		/^  - id: v-nanzhao-01$/ {f=1}
		f && /^        unit: nanzhao-01$/ {print "      - role: secretary"; print "        unit: nanzhao"; f=0}
		/^  - id: t001$/ {print "    roles:"; print "      - role: secretary"; print "        unit: nanzhao-01"}' \
		"$SAMPLE/people.yaml" >"$d/people.yaml"
}

test_two_levels_one_person() {
	two_hats_confdir "$T/conf"
	must init "$HOME_DIR" --config "$T/conf" || return
	cl people --json
	assert_json "v-nanzhao-01 holds both roles (precondition)" "$OUT" \
		'.[] | select(.id == "v-nanzhao-01") | .roles | map(.unit)' '["nanzhao-01","nanzhao"]'
	assert_json "t001 holds a village role (precondition)" "$OUT" \
		'.[] | select(.id == "t001") | .roles | map(.unit)' '["nanzhao-01"]'
	must submit --as t001 --period 2022H2 --file "$SAMPLE/logs/t001-2022H2.yaml" || return
	cl show 2022H2/t001 --json
	assert_json "the talent is not among their own reviewers" "$OUT" .waiting_on '["v-nanzhao-01"]'
	refused "a talent who is a reviewer of their village approves their own record" 5 \
		"2022H2/t001: nobody may approve their own record" \
		approve --as t001 2022H2/t001
	must approve --as v-nanzhao-01 2022H2/t001 || return
	cl show 2022H2/t001 --json
	assert_json "the person who approved the village is not waited on at the township" "$OUT" .waiting_on '["tw-nanzhao"]'
	refused "one person approves at two levels" 5 \
		"2022H2/t001: one person may not approve the same record at two levels" \
		approve --as v-nanzhao-01 2022H2/t001
	cl approve --as tw-nanzhao 2022H2/t001
	assert_ok "the other township secretary approves"
}

# ---- comments and grades -------------------------------------------------

test_reject_without_comment() {
	fresh
	refused "reject without --comment" 3 \
		"2022H2/t002: reject at level 'village' needs a comment (--comment)" \
		reject --as v-nanzhao-02 2022H2/t002
	refused "reject with an empty comment" 3 \
		"2022H2/t002: reject at level 'village' needs a comment (--comment)" \
		reject --as v-nanzhao-02 2022H2/t002 --comment ""
	refused "reject with a blank comment" 3 \
		"2022H2/t002: reject at level 'village' needs a comment (--comment)" \
		reject --as v-nanzhao-02 2022H2/t002 --comment $'  \n\t '
	refused "a comment with a control character" 3 \
		"2022H2/t002: comment has a control character or invalid UTF-8" \
		reject --as v-nanzhao-02 2022H2/t002 --comment $'bell\a'
	refused "a comment over 4096 bytes" 3 \
		"2022H2/t002: comment is longer than 4096 bytes" \
		reject --as v-nanzhao-02 2022H2/t002 --comment "$(printf 'x%.0s' $(seq 4097))"
	refused "a comment line starting with ---" 3 \
		"2022H2/t002: comment lines may not start with '---'" \
		reject --as v-nanzhao-02 2022H2/t002 --comment $'fine\n---\nnot fine'
	cl reject --as v-nanzhao-02 2022H2/t002 --comment "$(printf 'x%.0s' $(seq 4096))"
	assert_ok "a comment of exactly 4096 bytes is accepted"
}

test_grade_required() {
	fresh
	refused "approve at the grading level without --grade" 3 \
		"2022H2/t003: level 'department' needs a grade to approve (--grade one of: excellent, competent, basic, incompetent)" \
		approve --as d-water 2022H2/t003
}

test_grade_unknown() {
	fresh
	refused "an unknown grade" 3 \
		"2022H2/t003: unknown grade 'superb' for level 'department'" \
		approve --as d-water 2022H2/t003 --grade superb
	refused "a grade in the wrong case" 3 \
		"2022H2/t003: unknown grade 'Excellent' for level 'department'" \
		approve --as d-water 2022H2/t003 --grade Excellent
	refused "a grade at a level that does not grade" 3 \
		"2022H2/t002: approve takes no grade here, got 'excellent'" \
		approve --as v-nanzhao-02 2022H2/t002 --grade excellent
	cl approve --as d-water 2022H2/t003 --grade incompetent
	assert_ok "the last grade of the list is accepted"
	assert_eq "Grade trailer" "incompetent" "$(trailer Grade)"
}

test_unknown_person() {
	fresh
	refused "approve --as nobody" 4 "2022H2/t002: unknown person 'nobody'" \
		approve --as nobody 2022H2/t002
	refused "submit --as nobody" 4 "2022H2/nobody: unknown person 'nobody'" \
		submit --as nobody --period 2022H2 --file "$SAMPLE/logs/t002-2022H2.yaml"
	refused "queue --as nobody" 4 "unknown person 'nobody'" \
		queue --as nobody
	refused "a reviewer submits" 4 "2022H2/v-nanzhao-01: 'v-nanzhao-01' is not a talent" \
		submit --as v-nanzhao-01 --period 2022H2 --file "$SAMPLE/logs/t002-2022H2.yaml"
	refused "ids are case-sensitive" 4 "2022H2/t002: unknown person 'V-nanzhao-02'" \
		approve --as V-nanzhao-02 2022H2/t002
}

# ---- periods and states --------------------------------------------------

test_bad_period() {
	fresh
	local log=$SAMPLE/logs/t001-2023H1.yaml
	refused "period 2022H3" 3 "bad period '2022H3': use YYYYH1 or YYYYH2 (e.g. 2022H2)" \
		submit --as t004 --period 2022H3 --file "$log"
	refused "period 22H2" 3 "bad period '22H2': use YYYYH1 or YYYYH2 (e.g. 2022H2)" \
		submit --as t004 --period 22H2 --file "$log"
	refused "period 2022h2" 3 "bad period '2022h2': use YYYYH1 or YYYYH2 (e.g. 2022H2)" \
		submit --as t004 --period 2022h2 --file "$log"
	refused "2021H1, before the term" 3 \
		"2021H1/t004: period '2021H1' is outside the term of talent 't004' (2022-07-01 to 2024-06-30)" \
		submit --as t004 --period 2021H1 --file "$log"
	refused "1999H1, long before the term" 3 \
		"1999H1/t004: period '1999H1' is outside the term of talent 't004' (2022-07-01 to 2024-06-30)" \
		submit --as t004 --period 1999H1 --file "$log"
	refused "2024H2, after a resident's term" 3 \
		"2024H2/t004: period '2024H2' is outside the term of talent 't004' (2022-07-01 to 2024-06-30)" \
		submit --as t004 --period 2024H2 --file "$log"
	refused "2023H2, after a flexible talent's term" 3 \
		"2023H2/t003: period '2023H2' is outside the term of talent 't003' (2022-07-01 to 2023-06-30)" \
		submit --as t003 --period 2023H2 --file "$log"
	cl submit --as t003 --period 2023H1 --file "$log"
	assert_ok "the last period of a flexible term is accepted"
}

test_submit_under_review() {
	fresh
	refused "submit while pending at the first level" 5 \
		"2022H2/t002: cannot submit a record in state 'pending-village'" \
		submit --as t002 --period 2022H2 --file "$SAMPLE/logs/t002-2022H2.yaml"
	refused "submit while pending at the second level" 5 \
		"2022H2/t001: cannot submit a record in state 'pending-township'" \
		submit --as t001 --period 2022H2 --file "$SAMPLE/logs/t001-2022H2.yaml"
	must approve --as d-water 2022H2/t003 --grade basic || return
	refused "submit an approved record" 5 \
		"2022H2/t003: cannot submit a record in state 'approved'" \
		submit --as t003 --period 2022H2 --file "$SAMPLE/logs/t003-2022H2.yaml"
	refused "approve an approved record" 5 \
		"2022H2/t003: cannot approve a record in state 'approved'" \
		approve --as d-water 2022H2/t003 --grade excellent
	refused "reject an approved record" 5 \
		"2022H2/t003: cannot reject a record in state 'approved'" \
		reject --as d-water 2022H2/t003 --comment "On second thought."
}

test_withdraw_after_review() {
	fresh
	refused "withdraw after the village approved" 5 \
		"2022H2/t001: cannot withdraw a record in state 'pending-township'" \
		withdraw --as t001 2022H2/t001
	refused "withdraw after a rejection" 5 \
		"2022H2/t005: cannot withdraw a record in state 'returned'" \
		withdraw --as t005 2022H2/t005

	# on_reject: previous brings a reviewed record back to the first level
	make_confdir "$T/conf" "$WORKFLOWS/three-level.yaml"
	sed -i 's/^  on_reject: talent .*/  on_reject: previous/' "$T/conf/workflow.yaml"
	HOME_DIR=$T/prev
	must init "$HOME_DIR" --config "$T/conf" || return
	must submit --as t002 --period 2022H2 --file "$SAMPLE/logs/t002-2022H2.yaml" &&
		must approve --as v-nanzhao-02 2022H2/t002 &&
		must reject --as tw-nanzhao 2022H2/t002 --comment "Village: check the dates." || return
	cl show 2022H2/t002 --json
	assert_json "back at the village after a township rejection (precondition)" "$OUT" \
		'[.state, .approvals]' '["pending-village",[]]'
	refused "withdraw at the first level after a review" 5 \
		"2022H2/t002: withdraw is allowed only before the first review" \
		withdraw --as t002 2022H2/t002
}

# ---- work logs -----------------------------------------------------------

test_log_unknown_field() {
	fresh
	log_refused "a log with an unknown field" \
		":3:1: unknown field 'hobby' (the workflow 'weishan-three-level' does not declare it)" \
		'summary: Visits.\ndays_in_village: 10\nhobby: chess\n'
	log_refused "a field name in the wrong case" \
		":1:1: unknown field 'Summary' (the workflow 'weishan-three-level' does not declare it)" \
		'Summary: Visits.\ndays_in_village: 10\n'
}

test_log_missing_field() {
	fresh
	log_refused "a log without days_in_village" \
		":1:1: required field 'days_in_village' is missing" \
		'summary: Visits.\nneeds:\n  - n007\n'
	log_refused "a log without summary" \
		":1:1: required field 'summary' is missing" \
		'days_in_village: 10\n'
	log_refused "an empty summary" \
		":1:10: field 'summary' must have at least 1 characters, not 0" \
		'summary: ""\ndays_in_village: 10\n'
	log_refused "a log that is not a mapping" \
		":1:1: a work log must be a mapping of fields" \
		'- summary\n- days_in_village\n'
}

test_log_days_out_of_range() {
	fresh
	refused "days_in_village 200 (the sample's bad-days.yaml)" 3 \
		"2022H2/t004: $SAMPLE/logs/bad-days.yaml:6:18: field 'days_in_village' must be at most 184, not 200" \
		submit --as t004 --period 2022H2 --file "$SAMPLE/logs/bad-days.yaml"
	log_refused "days_in_village 185" \
		":2:18: field 'days_in_village' must be at most 184, not 185" \
		'summary: Visits.\ndays_in_village: 185\n'
	log_refused "days_in_village -1" \
		":2:18: field 'days_in_village' must be at least 0, not -1" \
		'summary: Visits.\ndays_in_village: -1\n'
	write_log "$T/max.yaml" 184
	cl submit --as t004 --period 2022H2 --file "$T/max.yaml"
	assert_ok "days_in_village 184 is accepted"
}

test_log_wrong_type() {
	fresh
	log_refused 'days_in_village: "many"' \
		":2:18: field 'days_in_village' must be an integer, not 'many'" \
		'summary: Visits.\ndays_in_village: "many"\n'
	log_refused "days_in_village: many" \
		":2:18: field 'days_in_village' must be an integer, not 'many'" \
		'summary: Visits.\ndays_in_village: many\n'
	log_refused 'days_in_village: "142" (a quoted number is a string)' \
		":2:18: field 'days_in_village' must be an integer, not '142'" \
		'summary: Visits.\ndays_in_village: "142"\n'
	log_refused "days_in_village: 142.0" \
		":2:18: field 'days_in_village' must be an integer, not '142.0'" \
		'summary: Visits.\ndays_in_village: 142.0\n'
	log_refused "days_in_village: a list" \
		":2:18: field 'days_in_village' must be an integer, not a list" \
		'summary: Visits.\ndays_in_village: [1, 2]\n'
	log_refused "summary: a list" \
		":1:10: field 'summary' must be text, not a list" \
		'summary: [a, b]\ndays_in_village: 1\n'
	log_refused "needs: a scalar" \
		":3:8: field 'needs' must be a list" \
		'summary: Visits.\ndays_in_village: 1\nneeds: n007\n'
}

test_log_unknown_need() {
	fresh
	log_refused "an unknown need id" \
		":5:5: field 'needs': unknown need 'n999'" \
		'summary: Visits.\ndays_in_village: 10\nneeds:\n  - n007\n  - n999\n'
	log_refused "a need listed twice" \
		":5:5: field 'needs': duplicate item 'n007'" \
		'summary: Visits.\ndays_in_village: 10\nneeds:\n  - n007\n  - n007\n'
	log_refused "a need that is not an id" \
		":4:5: field 'needs': item 1 must be an id, not '../n007'" \
		'summary: Visits.\ndays_in_village: 10\nneeds:\n  - ../n007\n'
}

test_log_yaml_syntax() {
	fresh
	log_refused "a YAML syntax error" \
		":3:6: did not find expected ',' or ']' (while parsing a flow sequence at 2:18)" \
		'summary: Visits.\ndays_in_village: [10\nneeds: x\n'
	log_refused "a duplicate key" \
		":3:1: duplicate key 'summary' (first at 1:1)" \
		'summary: Visits.\ndays_in_village: 10\nsummary: More visits.\n'
	log_refused "an anchor" ":1:10: anchors and aliases are not allowed" \
		'summary: &s Visits.\ndays_in_village: 10\nachievements: *s\n'
	log_refused "a tag" ":1:10: tags are not allowed" \
		'summary: !!str Visits.\ndays_in_village: 10\n'
	log_refused "two documents" ":3:1: only one document is allowed" \
		'summary: Visits.\ndays_in_village: 10\n---\nsummary: More.\n'
	log_refused "a merge key" ":3:1: merge keys are not allowed" \
		'summary: Visits.\ndays_in_village: 10\n<<: {a: 1}\n'
	log_refused "a control character" ":1:16: control characters are not allowed" \
		'summary: Visits\a.\ndays_in_village: 10\n'
	log_refused "nesting deeper than 32" ":3:46: nesting deeper than 32 levels" \
		"summary: Visits.\ndays_in_village: 10\nachievements: $(printf '[%.0s' $(seq 40))a$(printf ']%.0s' $(seq 40))\n"
	local f=$T/quoted-key.yaml
	printf '"summary": Visits.\ndays_in_village: 10\n' >"$f"
	snapshot
	cl submit --as t004 --period 2022H2 --file "$f"
	assert_quoted_key_refused "$f"
}

assert_quoted_key_refused() {
	assert_status "a quoted key" 3
	assert_contains "a quoted key: the message names the file:line:col" "$ERR" "$1:1:1:"
	assert_unchanged "a quoted key"
}

assert_quoted_config_key_refused() {
	assert_status "a quoted key in workflow.yaml" 3
	assert_contains "a quoted key in workflow.yaml: FILE:LINE:COL" "$ERR" "$1"
	assert_no_file "a quoted key in workflow.yaml: no home" "$HOME_DIR"
}

test_log_size_limit() {
	fresh
	local f=$T/big.yaml
	write_log "$f" 10
	# pad with a comment to exactly 65536 bytes: the limit is inclusive
	local pad=$((65536 - $(wc -c <"$f") - 2))
	{ printf '#'; head -c "$pad" /dev/zero | tr '\0' 'x'; printf '\n'; } >>"$f"
	assert_eq "the padded log is 65536 bytes (precondition)" "65536" "$(wc -c <"$f" | tr -d ' ')"
	cp "$f" "$T/bigger.yaml"
	printf '#\n' >>"$T/bigger.yaml"
	refused "a log of 65538 bytes" 3 \
		"2022H2/t004: $T/bigger.yaml: file is larger than the limit of 65536 bytes" \
		submit --as t004 --period 2022H2 --file "$T/bigger.yaml"
	{ printf 'summary: |\n'; for _ in $(seq 1300); do printf '  %s\n' "$(printf 'y%.0s' $(seq 50))"; done
	  printf 'days_in_village: 10\n'; } >"$T/huge.yaml"
	refused "a log of about 70 KB" 3 \
		"2022H2/t004: $T/huge.yaml: file is larger than the limit of 65536 bytes" \
		submit --as t004 --period 2022H2 --file "$T/huge.yaml"
	cl submit --as t004 --period 2022H2 --file "$f"
	assert_ok "a log of exactly 65536 bytes is accepted"
}

test_log_text_length() {
	fresh
	# 20001 CJK characters (3 bytes each): within 64 KiB, over max 20000
	local line
	line=$(printf '村%.0s' $(seq 100))
	{ printf 'summary: |\n'; for _ in $(seq 200); do printf '  %s\n' "$line"; done; printf 'days_in_village: 10\n'; } >"$T/long.yaml"
	# each line is 100 characters plus a newline: 200 lines = 20200 characters
	refused "a summary of 20200 characters" 3 \
		"2022H2/t004: $T/long.yaml:1:10: field 'summary' must have at most 20000 characters, not 20200" \
		submit --as t004 --period 2022H2 --file "$T/long.yaml"
	{ printf 'summary: |\n'; for _ in $(seq 198); do printf '  %s\n' "$line"; done
	  printf '  %s\n' "$(printf '村%.0s' $(seq 1))"; printf 'days_in_village: 10\n'; } >"$T/ok.yaml"
	# 198 * 101 + 2 = 20000 characters, 59000+ bytes
	cl submit --as t004 --period 2022H2 --file "$T/ok.yaml"
	assert_ok "a summary of exactly 20000 (multi-byte) characters is accepted"
}

test_log_nul() {
	fresh
	log_refused "a NUL byte" ":1:16: NUL byte in input" \
		'summary: Visits\0 and more.\ndays_in_village: 10\n'
}

test_log_invalid_utf8() {
	fresh
	log_refused "invalid UTF-8" ":1:17: invalid UTF-8" \
		'summary: Visits \xff\xfe there.\ndays_in_village: 10\n'
	log_refused "an overlong UTF-8 encoding" ":1:17: invalid UTF-8" \
		'summary: Visits \xc0\xaf there.\ndays_in_village: 10\n'
	log_refused "a UTF-16 surrogate in UTF-8" ":1:17: invalid UTF-8" \
		'summary: Visits \xed\xa0\x80 there.\ndays_in_village: 10\n'
	refused "a log file that does not exist" 4 \
		"2022H2/t004: cannot open '$T/none.yaml': No such file or directory" \
		submit --as t004 --period 2022H2 --file "$T/none.yaml"
}

# ---- ids -------------------------------------------------------------------

# invalid_actor SHOWN ARGS...: an invalid --as id is invalid input (3),
# quoted (as SHOWN: control characters escaped) in a one-line refusal.
invalid_actor() {
	local shown=$1
	shift
	refused "--as '$shown'" 3 \
		"2022H2/t002: '$shown' is not a valid person id (use 1-64 of A-Z a-z 0-9 . _ -)" "$@"
}

test_ids() {
	fresh
	invalid_actor "../x" approve --as "../x" 2022H2/t002
	invalid_actor "-x" approve --as "-x" 2022H2/t002
	invalid_actor "t 1" reject --as "t 1" 2022H2/t002 --comment "x"
	invalid_actor "t002/.." withdraw --as "t002/.." 2022H2/t002
	invalid_actor 'a\x01b' approve --as $'a\001b' 2022H2/t002
	invalid_actor "$(printf 'a%.0s' $(seq 40))..." approve --as "$(printf 'a%.0s' $(seq 65))" 2022H2/t002
	refused "submit --as ../x" 3 "'../x' is not a valid person id" \
		submit --as "../x" --period 2022H2 --file "$SAMPLE/logs/t002-2022H2.yaml"
	refused "submit --as 'a b'" 3 "'a b' is not a valid person id" \
		submit --as "a b" --period 2022H2 --file "$SAMPLE/logs/t002-2022H2.yaml"
	refused "queue --as ../x" 3 "'../x' is not a valid person id" queue --as "../x"
	refused "a record id with .." 3 \
		"record id '2022H2/../t001' is not PERIOD/TALENT (e.g. 2022H2/t001)" \
		approve --as v-nanzhao-01 "2022H2/../t001"
	refused "a record id with a space" 3 \
		"record id '2022H2/t 1' is not PERIOD/TALENT (e.g. 2022H2/t001)" \
		approve --as v-nanzhao-01 "2022H2/t 1"
	refused "a record id with two slashes" 3 \
		"record id '2022H2/t001/x' is not PERIOD/TALENT (e.g. 2022H2/t001)" \
		show "2022H2/t001/x"
	refused "show a path" 3 \
		"record id '2022H2/../../index.sqlite' is not PERIOD/TALENT (e.g. 2022H2/t001)" \
		show "2022H2/../../index.sqlite"
	refused "history of a path" 3 \
		"record id '../2022H2/t001' is not PERIOD/TALENT (e.g. 2022H2/t001)" \
		history "../2022H2/t001"
	refused "a record id with a leading dash (after --)" 3 \
		"record id '-x' is not PERIOD/TALENT (e.g. 2022H2/t001)" \
		approve --as v-nanzhao-02 -- -x
	snapshot
	cl approve --as v-nanzhao-02 -x
	assert_status "a record id with a leading dash is an option" 2
	assert_contains "-x: named as an unknown option" "$ERR" "chainlog: unknown or incomplete option '-x'"
	assert_contains "-x: with the usage" "$ERR" "usage: chainlog approve --as PERSON RECORD"
	assert_unchanged "-x"
	assert_eq "nothing was written next to the home" "home" "$(ls "$T")"
}

test_sql_injection() {
	fresh
	refused "queue --as an injection" 3 "'x' OR '1'='1' is not a valid person id" \
		queue --as "x' OR '1'='1"
	invalid_actor "x'; DROP TABLE records;--" approve --as "x'; DROP TABLE records;--" 2022H2/t002
	refused "list --state an injection" 3 "unknown state 'x' OR '1'='1' (see 'chainlog workflow show')" \
		list --state "x' OR '1'='1"
	refused "show an injection" 3 \
		"record id '2022H2/t001' OR '1'='1' is not PERIOD/TALENT (e.g. 2022H2/t001)" \
		show "2022H2/t001' OR '1'='1"
	snapshot
	cl list --talent "t001' OR '1'='1"
	assert_eq "list --talent an injection matches nothing" "" "$OUT"
	assert_unchanged "list --talent an injection"
	assert_eq "the index still has its tables" "list_pages records transitions waiting" \
		"$(sql "select name from sqlite_master where type = 'table' and name != 'meta' order by name" | tr '\n' ' ' | sed 's/ $//')"

	local c="x'); DROP TABLE transitions; -- \"; DELETE FROM records; --"
	cl approve --as v-nanzhao-02 2022H2/t002 --comment "$c"
	assert_ok "a comment with SQL is just a comment"
	assert_eq "the comment is stored verbatim in the commit" "$c" "$(git_h log -1 --format=%b | sed -n 1p)"
	cl history 2022H2/t002 --json
	assert_json "history shows it verbatim" "$OUT" '.[-1].comment' "$(jq -cn --arg c "$c" '$c')"
	assert_eq "the index stored it verbatim" "$c" "$(sql "select comment from transitions order by seq desc limit 1")"
	assert_eq "the index still has every transition" "$(commit_count)" "$(sql 'select count(*) from transitions')"
	cl list
	assert_ok "list still works"
	assert_eq "list still has every record" "4" "$(printf '%s\n' "$OUT" | wc -l)"
	cl verify
	assert_ok "verify after the SQL comment"
}

test_forged_trailers() {
	fresh
	local c=$'ok\n\nAction: approve\nActor: admin'
	cl reject --as v-nanzhao-02 2022H2/t002 --comment "$c"
	assert_ok "a comment that looks like trailers"
	assert_eq "exactly one Actor trailer, the real one" "v-nanzhao-02" "$(trailer Actor)"
	assert_eq "exactly one Action trailer, the real one" "reject" "$(trailer Action)"
	assert_eq "To is the real one" "returned" "$(trailer To)"
	assert_eq "git interpret-trailers agrees" \
		$'Record: 2022H2/t002\nAction: reject\nActor: v-nanzhao-02\nFrom: pending-village\nTo: returned\nLevel: village' \
		"$(git_h log -1 --format=%B | git interpret-trailers --parse)"
	assert_eq "the comment is kept verbatim between subject and trailers" \
		$'reject 2022H2/t002 (pending-village -> returned)\n\nok\n\nAction: approve\nActor: admin\n\nRecord: 2022H2/t002' \
		"$(git_h cat-file commit main | sed '1,/^$/d' | head -8)"
	cl show 2022H2/t002 --json
	assert_json "the record was rejected, not approved" "$OUT" '[.state, .approvals, .trail[-1].actor, .trail[-1].comment]' \
		"$(jq -cn --arg c "$c" '["returned",[],"v-nanzhao-02",$c]')"
	cl history 2022H2/t002 --json
	assert_json "history: the real actor and action" "$OUT" '.[-1] | [.actor, .action, .comment]' \
		"$(jq -cn --arg c "$c" '["v-nanzhao-02","reject",$c]')"
	assert_eq "index: the real actor" "v-nanzhao-02|reject" "$(sql 'select actor, action from transitions order by seq desc limit 1')"

	local g=$'Well done.\n\nGrade: excellent\nActor: d-agri'
	cl approve --as d-water 2022H2/t003 --grade basic --comment "$g"
	assert_ok "a comment that forges a grade"
	assert_eq "the Grade trailer is the real one" "basic" "$(trailer Grade)"
	assert_eq "the Actor trailer is the real one" "d-water" "$(trailer Actor)"
	cl show 2022H2/t003 --json
	assert_json "the record's grade is the real one" "$OUT" '.approvals[-1] | [.actor, .grade]' '["d-water","basic"]'
	cl verify
	assert_ok "verify after the forged-looking comments"
}

# ---- init ------------------------------------------------------------------

test_init_nonempty() {
	mkdir -p "$T/ne"
	echo keep >"$T/ne/notes.txt"
	cl init "$T/ne" --sample
	assert_err "init into a non-empty directory" 9 "'$T/ne' is not empty; init needs a new or empty directory"
	assert_eq "the directory is untouched" "notes.txt" "$(ls -A "$T/ne")"
	assert_eq "its file too" "keep" "$(cat "$T/ne/notes.txt")"

	fresh
	snapshot
	cl init "$HOME_DIR" --sample
	assert_err "init over an existing home" 9 "'$HOME_DIR' is not empty; init needs a new or empty directory"
	assert_unchanged "init over an existing home"

	mkdir -p "$T/empty"
	cl init "$T/empty" --sample
	assert_ok "init into an empty directory"
}

test_init_broken_config() {
	make_confdir "$T/conf" "$WORKFLOWS/three-level.yaml"
	sed -i 's/^  on_reject: talent .*/&\n  colour: blue/' "$T/conf/workflow.yaml"
	local line
	line=$(grep -n '^  colour: blue$' "$T/conf/workflow.yaml" | cut -d: -f1)
	cl init "$HOME_DIR" --config "$T/conf"
	assert_err "a workflow with an unknown key" 3 \
		"$T/conf/workflow.yaml:$line:3: unknown key 'colour' in workflow (expected one of: id, title, version, admin_role, on_reject, fields, levels)"
	assert_no_file "no home was created" "$HOME_DIR"

	make_confdir "$T/conf2" "$WORKFLOWS/three-level.yaml"
	printf 'people:\n  - id: admin\n    name: [Bai\n' >"$T/conf2/people.yaml"
	cl init "$HOME_DIR" --config "$T/conf2"
	assert_status "a people file with a syntax error" 3
	assert_match "the message names people.yaml:line:col" "$ERR" "^chainlog: $T/conf2/people.yaml:[0-9]+:[0-9]+: "
	assert_one_line "one line" "$ERR"
	assert_no_file "no home was created" "$HOME_DIR"

	make_confdir "$T/conf3" "$WORKFLOWS/three-level.yaml"
	rm "$T/conf3/org.yaml"
	cl init "$HOME_DIR" --config "$T/conf3"
	assert_err "a config without org.yaml" 4 "cannot open '$T/conf3/org.yaml': No such file or directory"
	assert_no_file "no home was created" "$HOME_DIR"

	make_confdir "$T/conf4" "$WORKFLOWS/three-level.yaml"
	sed -i 's/^  version: 1 /  "version": 1 /' "$T/conf4/workflow.yaml"
	cl init "$HOME_DIR" --config "$T/conf4"
	assert_quoted_config_key_refused "$T/conf4/workflow.yaml:$(grep -n '"version"' "$T/conf4/workflow.yaml" | cut -d: -f1):3:"
	rm -rf "$HOME_DIR"

	cl init "$HOME_DIR" --sample --as t001
	assert_err "init by a non-administrator" 5 "'t001' does not hold the admin role 'config-admin'"
	assert_no_file "no home was created" "$HOME_DIR"
}

build_base
run_test test_non_reviewer
run_test test_reviewer_of_another_village
run_test test_talent_approves_own
run_test test_two_levels_one_person
run_test test_reject_without_comment
run_test test_grade_required
run_test test_grade_unknown
run_test test_unknown_person
run_test test_bad_period
run_test test_submit_under_review
run_test test_withdraw_after_review
run_test test_log_unknown_field
run_test test_log_missing_field
run_test test_log_days_out_of_range
run_test test_log_wrong_type
run_test test_log_unknown_need
run_test test_log_yaml_syntax
run_test test_log_size_limit
run_test test_log_text_length
run_test test_log_nul
run_test test_log_invalid_utf8
run_test test_ids
run_test test_sql_injection
run_test test_forged_trailers
run_test test_init_nonempty
run_test test_init_broken_config
finish
