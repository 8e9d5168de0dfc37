#!/usr/bin/env bash
# core.sh - the ordinary life of a record, end to end: init, submit,
# approve through the three levels, reject and resubmit, withdraw, the
# read commands, the derived index (rebuild, reindex, lag), verify, help.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

T001_LOG=$SAMPLE/logs/t001-2022H2.yaml
T002_LOG=$SAMPLE/logs/t002-2022H2.yaml
T003_LOG=$SAMPLE/logs/t003-2022H2.yaml

init_sample() {
	must init "$HOME_DIR" --sample
}

# ---------------------------------------------------------------------------

test_init_sample() {
	cl init "$HOME_DIR" --sample
	assert_ok "init --sample"
	assert_eq "init prints what it did" "initialised $HOME_DIR" "$OUT"
	assert_eq "init: nothing on stderr" "" "$ERR"
	assert_file "history.git is a bare repository" "$HOME_DIR/history.git/HEAD"
	assert_file "index.sqlite exists" "$HOME_DIR/index.sqlite"
	assert_eq "one commit" "1" "$(commit_count)"
	assert_eq "HEAD is main" "refs/heads/main" "$(git_h symbolic-ref HEAD)"
	assert_eq "the only branch is main" "refs/heads/main" "$(git_h for-each-ref --format='%(refname)')"
	assert_eq "Action: init trailer" "init" "$(trailer Action)"
	assert_eq "Actor: admin trailer" "admin" "$(trailer Actor)"
	assert_eq "no Record trailer" "" "$(trailer Record)"
	assert_eq "no From trailer" "" "$(trailer From)"
	assert_eq "subject names the workflow" "init: workflow weishan-three-level@1" \
		"$(git_h log -1 --format=%s)"
	assert_eq "author is the administrator" "Bai Jianguo <admin>" "$(git_h log -1 --format='%an <%ae>')"
	assert_eq "committer is the administrator" "Bai Jianguo <admin>" "$(git_h log -1 --format='%cn <%ce>')"
	assert_eq "the tree is config/ only" \
		"config/needs.yaml config/org.yaml config/people.yaml config/workflow.yaml" \
		"$(git_h ls-tree -r --name-only main | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "config/workflow.yaml is the shipped three-level.yaml" \
		"$(cat "$WORKFLOWS/three-level.yaml")" "$(git_h show main:config/workflow.yaml)"
	local f
	for f in org people needs; do
		assert_eq "config/$f.yaml is the sample's $f.yaml" \
			"$(cat "$SAMPLE/$f.yaml")" "$(git_h show "main:config/$f.yaml")"
	done
	assert_eq "index: one transition (the init)" "1" "$(sql 'select count(*) from transitions')"
	assert_eq "index: no records" "0" "$(sql 'select count(*) from records')"
	assert_eq "index head is the tip" "$(git_h rev-parse main)" "$(sql "select value from meta where key='head'")"
	cl verify
	assert_ok "verify on a fresh home"
	assert_eq "verify output" "verify: ok, 1 commits replayed, index in agreement" "$OUT"
	cl list
	assert_ok "list on an empty home"
	assert_eq "list: nothing on stdout" "" "$OUT"
	assert_eq "list: says so on stderr" "no records" "$ERR"
	if git_h fsck --strict >/dev/null 2>&1; then _pass "git fsck --strict"; else _fail "git fsck --strict"; fi
}

test_submit() {
	init_sample || return
	local path tip
	path=$(record_path 2022H2 t001)
	assert_eq "t001's shard is 1e (FORMAT.md's example)" "records/2022H2/1e/t001.yaml" "$path"
	cl submit --as t001 --period 2022H2 --file "$T001_LOG"
	assert_ok "submit"
	assert_eq "stdout is the record id" "2022H2/t001" "$OUT"
	assert_eq "submit: nothing on stderr" "" "$ERR"
	assert_eq "two commits" "2" "$(commit_count)"
	assert_eq "the commit changes only the record file" "$path" \
		"$(git_h diff-tree --no-commit-id --name-only -r main~1 main)"
	local rec
	rec=$(git_h show "main:$path")
	assert_match "record: id is the first line" "$(head -1 <<<"$rec")" '^id: 2022H2/t001$'
	assert_contains "record: period" "$rec" $'\nperiod: 2022H2\n'
	assert_contains "record: talent" "$rec" $'\ntalent: t001\n'
	assert_contains "record: state" "$rec" $'\nstate: pending-village\n'
	assert_contains "record: level" "$rec" $'\nlevel: village\n'
	assert_contains "record: workflow" "$rec" $'\nworkflow: weishan-three-level@1\n'
	assert_contains "record: round" "$rec" $'\nround: 1\n'
	assert_contains "record: days_in_village" "$rec" $'\n  days_in_village: 142\n'
	assert_contains "record: summary text" "$rec" "Stayed in Xiying Community for 142 days"
	assert_contains "record: achievements text" "$rec" "Completed 58 household toilet renovations"
	assert_match "record: needs n001, n002" "$(tr '\n' ' ' <<<"$rec")" 'needs: +- n001 +- n002 '
	assert_contains "record: empty approvals" "$rec" $'\napprovals: []\n'
	assert_match "record: since is a UTC timestamp" "$rec" "^since: '?[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'?$"
	assert_eq "author is the talent" "Zhao Ming <t001>" "$(git_h log -1 --format='%an <%ae>')"
	assert_eq "committer is the talent" "Zhao Ming <t001>" "$(git_h log -1 --format='%cn <%ce>')"
	assert_eq "subject" "submit 2022H2/t001 (none -> pending-village)" "$(git_h log -1 --format=%s)"
	assert_eq "Record trailer" "2022H2/t001" "$(trailer Record)"
	assert_eq "Action trailer" "submit" "$(trailer Action)"
	assert_eq "Actor trailer" "t001" "$(trailer Actor)"
	assert_eq "From trailer" "none" "$(trailer From)"
	assert_eq "To trailer" "pending-village" "$(trailer To)"
	assert_eq "no Level trailer on a submit" "" "$(trailer Level)"
	assert_eq "no Grade trailer" "" "$(trailer Grade)"
	assert_eq "the whole message" \
		$'submit 2022H2/t001 (none -> pending-village)\n\nRecord: 2022H2/t001\nAction: submit\nActor: t001\nFrom: none\nTo: pending-village' \
		"$(git_h cat-file commit main | sed '1,/^$/d')"

	cl show 2022H2/t001 --json
	assert_ok "show --json"
	local js=$OUT
	assert_json "show: id" "$js" .id '"2022H2/t001"'
	assert_json "show: period" "$js" .period '"2022H2"'
	assert_json "show: talent" "$js" .talent '"t001"'
	assert_json "show: state" "$js" .state '"pending-village"'
	assert_json "show: level" "$js" .level '"village"'
	assert_json "show: waiting_on" "$js" .waiting_on '["v-nanzhao-01"]'
	assert_json "show: round" "$js" .round '1'
	assert_json "show: workflow" "$js" .workflow '"weishan-three-level@1"'
	assert_json "show: days_in_village is a JSON integer" "$js" '.fields.days_in_village | [type, .]' '["number",142]'
	assert_json "show: needs" "$js" .fields.needs '["n001","n002"]'
	assert_json "show: summary is the log's text" "$js" '.fields.summary | startswith("Stayed in Xiying Community for 142 days")' 'true'
	assert_json "show: fields in workflow order" "$js" '.fields | keys_unsorted' '["summary","days_in_village","needs","achievements"]'
	assert_json "show: no approvals" "$js" .approvals '[]'
	assert_json "show: trail" "$js" '.trail | map([.action, .actor, .from, .to])' '[["submit","t001","none","pending-village"]]'
	assert_json "show: due is since + 15 days" "$js" \
		'((.due | fromdateiso8601) - (.since | fromdateiso8601))' '1296000'

	cl show 2022H2/t001
	assert_ok "show (text)"
	assert_contains "show text: state" "$OUT" "state:      pending-village"
	assert_contains "show text: waiting on" "$OUT" "waiting on: v-nanzhao-01"
	assert_contains "show text: fields" "$OUT" "days_in_village: 142"

	cl queue --as v-nanzhao-01 --json
	assert_ok "queue --json"
	assert_json "queue lists the record" "$OUT" 'map(.id)' '["2022H2/t001"]'
	assert_json "queue entry" "$OUT" '.[0] | [.state, .level, .overdue, (.due != null)]' '["pending-village","village",false,true]'
	cl queue --as tw-nanzhao --json
	assert_ok "queue of the next level"
	assert_json "nothing waits on the township yet" "$OUT" '.' '[]'
	cl queue --as t001 --json
	assert_json "nothing waits on the talent" "$OUT" '.' '[]'

	tip=$(git_h rev-parse main)
	cl submit --as t002 --period 2022H2 --file "$T002_LOG" --json
	assert_ok "submit --json"
	assert_json "submit --json: id, state, level" "$OUT" '[.id, .state, .level]' '["2022H2/t002","pending-village","village"]'
	assert_json "submit --json: commit is the new tip" "$OUT" .commit "\"$(git_h rev-parse main)\""
	assert_eq "t002's commit follows t001's" "$tip" "$(git_h rev-parse main~1)"
	if git_h cat-file -e "main:records/2022H2/8b/t002.yaml" 2>/dev/null; then
		_pass "t002's record file at its shard"
	else
		_fail "t002's record file at its shard" "no records/2022H2/8b/t002.yaml in main"
	fi
	assert_eq "t002's record path" "records/2022H2/8b/t002.yaml" "$(record_path 2022H2 t002)"
	assert_eq "t002: optional achievements left out" "" \
		"$(git_h show "main:$(record_path 2022H2 t002)" | grep achievements)"
}

test_approve_three_levels() {
	init_sample || return
	must submit --as t001 --period 2022H2 --file "$T001_LOG" || return
	local path=records/2022H2/1e/t001.yaml rec

	cl approve --as v-nanzhao-01 2022H2/t001 --comment "Household visits well documented."
	assert_ok "village approves"
	assert_eq "approve prints the record id" "2022H2/t001" "$OUT"
	assert_eq "author is the village secretary" "Sun Yan <v-nanzhao-01>" "$(git_h log -1 --format='%an <%ae>')"
	assert_eq "subject" "approve 2022H2/t001 (pending-village -> pending-township)" "$(git_h log -1 --format=%s)"
	assert_eq "trailers" "2022H2/t001|approve|v-nanzhao-01|pending-village|pending-township|village|" \
		"$(trailer Record)|$(trailer Action)|$(trailer Actor)|$(trailer From)|$(trailer To)|$(trailer Level)|$(trailer Grade)"
	assert_eq "the comment is the message body" "Household visits well documented." "$(git_h log -1 --format=%b | sed -n 1p)"
	rec=$(git_h show "main:$path")
	assert_contains "record: pending-township" "$rec" $'\nstate: pending-township\n'
	assert_contains "record: level township" "$rec" $'\nlevel: township\n'
	assert_match "record: the village approval" "$(tr '\n' ' ' <<<"$rec")" 'approvals: +- level: village +actor: v-nanzhao-01 '
	assert_eq "record: an approval is level, actor, at (FORMAT.md)" \
		$'approvals:\n- level: village\n  actor: v-nanzhao-01\n  at: \'' \
		"$(sed -n '/^approvals:/,/^trail:/p' <<<"$rec" | sed '$d' | sed 's/at: .*/at: \x27/')"
	assert_match "record: the trail keeps the comment" "$(sed -n '/^trail:/,$p' <<<"$rec")" '^  comment: Household visits well documented\.$'
	cl show 2022H2/t001 --json
	assert_json "now waiting on the township" "$OUT" '[.state, .level, .waiting_on]' '["pending-township","township",["tw-nanzhao"]]'
	cl queue --as v-nanzhao-01 --json
	assert_json "the village's queue is empty" "$OUT" . '[]'
	cl queue --as tw-nanzhao --json
	assert_json "the township's queue has it" "$OUT" 'map(.id)' '["2022H2/t001"]'

	cl approve --as tw-nanzhao 2022H2/t001 --json
	assert_ok "township approves"
	assert_json "approve --json" "$OUT" '[.id, .state, .level, .commit]' \
		"[\"2022H2/t001\",\"pending-department\",\"department\",\"$(git_h rev-parse main)\"]"
	assert_eq "author is the township secretary" "Gao Qiong <tw-nanzhao>" "$(git_h log -1 --format='%an <%ae>')"
	assert_eq "Level: township" "township" "$(trailer Level)"
	assert_eq "no comment: trailers right after the subject" \
		$'approve 2022H2/t001 (pending-township -> pending-department)\n\nRecord: 2022H2/t001' \
		"$(git_h cat-file commit main | sed '1,/^$/d' | head -3)"
	cl show 2022H2/t001 --json
	assert_json "now waiting on the dispatching department" "$OUT" '[.state, .waiting_on]' '["pending-department",["d-agri"]]'
	assert_json "due: 30 days at the department" "$OUT" '((.due | fromdateiso8601) - (.since | fromdateiso8601))' '2592000'

	cl approve --as d-agri 2022H2/t001 --grade excellent
	assert_ok "department approves with a grade"
	assert_eq "author is the department secretary" "d-agri" "$(git_h log -1 --format=%ae)"
	assert_eq "Grade trailer" "excellent" "$(trailer Grade)"
	assert_eq "To: approved" "approved" "$(trailer To)"
	assert_eq "Level: department" "department" "$(trailer Level)"
	rec=$(git_h show "main:$path")
	assert_contains "record: approved" "$rec" $'\nstate: approved\n'
	assert_match "record: the graded approval" "$(tr '\n' ' ' <<<"$rec")" '- level: department +actor: d-agri +grade: excellent '
	cl show 2022H2/t001 --json
	assert_json "approved: nobody to wait on" "$OUT" '[.state, .level, .waiting_on, .due]' '["approved",null,[],null]'
	assert_json "approvals in order" "$OUT" '.approvals | map([.level, .actor, .grade])' \
		'[["village","v-nanzhao-01",null],["township","tw-nanzhao",null],["department","d-agri","excellent"]]'
	assert_json "the trail" "$OUT" '.trail | map(.action + ":" + .actor + ":" + .to)' \
		'["submit:t001:pending-village","approve:v-nanzhao-01:pending-township","approve:tw-nanzhao:pending-department","approve:d-agri:approved"]'
	assert_eq "five commits" "5" "$(commit_count)"

	# history: what the commits say, oldest first
	cl history 2022H2/t001 --json
	assert_ok "history --json"
	local hj=$OUT
	assert_json "history: four transitions" "$hj" length '4'
	assert_json "history: commits oldest first" "$hj" 'map(.commit)' \
		"$(git_h rev-list --reverse main -- "$path" | jq -R . | jq -sc .)"
	assert_json "history: actions" "$hj" 'map(.action)' '["submit","approve","approve","approve"]'
	assert_json "history: actors" "$hj" 'map(.actor)' '["t001","v-nanzhao-01","tw-nanzhao","d-agri"]'
	assert_json "history: from" "$hj" 'map(.from)' '["none","pending-village","pending-township","pending-department"]'
	assert_json "history: to" "$hj" 'map(.to)' '["pending-village","pending-township","pending-department","approved"]'
	assert_json "history: level" "$hj" 'map(.level)' '[null,"village","township","department"]'
	assert_json "history: grade" "$hj" 'map(.grade)' '[null,null,null,"excellent"]'
	assert_json "history: comment" "$hj" 'map(.comment)' '[null,"Household visits well documented.",null,null]'
	assert_json "history: time is the commit time" "$hj" '.[0].time' \
		"\"$(TZ=UTC git_h log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%ad "$(git_h rev-list --reverse main -- "$path" | head -1)")\""
	assert_json "history: times are ordered" "$hj" '[.[].time] == ([.[].time] | sort)' 'true'
	cl history 2022H2/t001
	assert_ok "history (text)"
	assert_eq "history text: one line per transition" "4" "$(printf '%s\n' "$OUT" | wc -l)"
	assert_match "history text: the grade" "$(printf '%s\n' "$OUT" | tail -1)" 'approve +d-agri +pending-department -> approved +grade: excellent'

	cl list --state approved --json
	assert_json "list --state approved" "$OUT" 'map([.id, .state, .level, .waiting_on])' '[["2022H2/t001","approved",null,[]]]'
}

test_reject_resubmit() {
	init_sample || return
	must submit --as t002 --period 2022H2 --file "$T002_LOG" || return
	cl reject --as v-nanzhao-02 2022H2/t002 --comment "Please list the households you visited."
	assert_ok "village rejects with a comment"
	assert_eq "reject prints the record id" "2022H2/t002" "$OUT"
	assert_eq "subject" "reject 2022H2/t002 (pending-village -> returned)" "$(git_h log -1 --format=%s)"
	assert_eq "trailers" "reject|v-nanzhao-02|pending-village|returned|village" \
		"$(trailer Action)|$(trailer Actor)|$(trailer From)|$(trailer To)|$(trailer Level)"
	assert_eq "the comment" "Please list the households you visited." "$(git_h log -1 --format=%b | sed -n 1p)"
	cl show 2022H2/t002 --json
	assert_json "returned, waiting on the talent" "$OUT" '[.state, .level, .waiting_on, .due]' '["returned",null,["t002"],null]'
	assert_json "the trail keeps the comment" "$OUT" '.trail[-1] | [.action, .actor, .level, .comment]' \
		'["reject","v-nanzhao-02","village","Please list the households you visited."]'
	cl queue --as t002 --json
	assert_json "the talent's queue has it" "$OUT" 'map([.id, .state])' '[["2022H2/t002","returned"]]'
	cl queue --as v-nanzhao-02 --json
	assert_json "the village's queue is empty" "$OUT" . '[]'

	cl submit --as t002 --period 2022H2 --file "$T001_LOG"
	assert_ok "the talent resubmits (a revised log)"
	assert_eq "From: returned" "returned" "$(trailer From)"
	assert_eq "To: pending-village" "pending-village" "$(trailer To)"
	cl show 2022H2/t002 --json
	assert_json "round 2, back at the village" "$OUT" '[.state, .round, .waiting_on]' '["pending-village",2,["v-nanzhao-02"]]'
	assert_json "the new log replaced the fields" "$OUT" .fields.days_in_village '142'
	assert_json "the trail is never shortened" "$OUT" '.trail | map(.action)' '["submit","reject","submit"]'
	assert_contains "record file: round 2" "$(git_h show "main:records/2022H2/8b/t002.yaml")" $'\nround: 2\n'

	# a rejection at a later level also goes back to the talent (on_reject: talent)
	must approve --as v-nanzhao-02 2022H2/t002 || return
	cl show 2022H2/t002 --json
	assert_json "one approval in round 2" "$OUT" '.approvals | map(.level)' '["village"]'
	cl reject --as tw-nanzhao 2022H2/t002 --comment "The dates do not add up."
	assert_ok "township rejects"
	assert_eq "township reject: From/To/Level" "pending-township|returned|township" "$(trailer From)|$(trailer To)|$(trailer Level)"
	cl show 2022H2/t002 --json
	assert_json "back to the talent, approvals of the round dropped" "$OUT" '[.state, .waiting_on, .approvals]' '["returned",["t002"],[]]'
	cl submit --as t002 --period 2022H2 --file "$T002_LOG"
	assert_ok "third submission"
	cl show 2022H2/t002 --json
	assert_json "round 3" "$OUT" '[.state, .round, .approvals]' '["pending-village",3,[]]'
	cl history 2022H2/t002 --json
	assert_json "history of the rounds" "$OUT" 'map(.action + ">" + .to)' \
		'["submit>pending-village","reject>returned","submit>pending-village","approve>pending-township","reject>returned","submit>pending-village"]'
}

test_withdraw() {
	init_sample || return
	must submit --as t003 --period 2022H2 --file "$T003_LOG" || return
	cl withdraw --as t003 2022H2/t003 --comment "Wrong file, sorry."
	assert_ok "withdraw before any review"
	assert_eq "withdraw prints the record id" "2022H2/t003" "$OUT"
	assert_eq "subject" "withdraw 2022H2/t003 (pending-village -> withdrawn)" "$(git_h log -1 --format=%s)"
	assert_eq "trailers" "withdraw|t003|pending-village|withdrawn|" \
		"$(trailer Action)|$(trailer Actor)|$(trailer From)|$(trailer To)|$(trailer Level)"
	assert_eq "author is the talent" "Zuo Shaohua <t003>" "$(git_h log -1 --format='%an <%ae>')"
	cl show 2022H2/t003 --json
	assert_json "withdrawn, waiting on the talent" "$OUT" '[.state, .level, .waiting_on]' '["withdrawn",null,["t003"]]'
	assert_contains "record file: withdrawn" "$(git_h show "main:$(record_path 2022H2 t003)")" $'\nstate: withdrawn\n'
	cl queue --as v-nanzhao-03 --json
	assert_json "the village no longer has it" "$OUT" . '[]'
	cl submit --as t003 --period 2022H2 --file "$T003_LOG"
	assert_ok "submit after withdrawing"
	assert_eq "From: withdrawn" "withdrawn" "$(trailer From)"
	cl show 2022H2/t003 --json
	assert_json "round 2 at the village" "$OUT" '[.state, .round, .waiting_on]' '["pending-village",2,["v-nanzhao-03"]]'
}

# t001 2022H2 approved, t001 2023H1 pending-village, t002 2022H2 returned,
# t003 2022H2 withdrawn, t004 2022H2 pending-township.
build_mixed() {
	must submit --as t001 --period 2022H2 --file "$T001_LOG" &&
		must approve --as v-nanzhao-01 2022H2/t001 &&
		must approve --as tw-nanzhao 2022H2/t001 &&
		must approve --as d-agri 2022H2/t001 --grade competent &&
		must submit --as t001 --period 2023H1 --file "$SAMPLE/logs/t001-2023H1.yaml" &&
		must submit --as t002 --period 2022H2 --file "$T002_LOG" &&
		must reject --as v-nanzhao-02 2022H2/t002 --comment "Too short." &&
		must submit --as t003 --period 2022H2 --file "$T003_LOG" &&
		must withdraw --as t003 2022H2/t003 &&
		write_log "$T/t004.yaml" 90 &&
		must submit --as t004 --period 2022H2 --file "$T/t004.yaml" &&
		must approve --as "v-$(sample_field t004 serves)" 2022H2/t004
}

ids() {
	awk '{print $1}' <<<"$1" | tr '\n' ' ' | sed 's/ $//'
}

test_list_filters() {
	init_sample || return
	build_mixed || return
	cl list
	assert_ok "list"
	assert_eq "list: all records, by id" "2022H2/t001 2022H2/t002 2022H2/t003 2022H2/t004 2023H1/t001" "$(ids "$OUT")"
	assert_match "list: a row" "$(grep '^2022H2/t004 ' <<<"$OUT")" '^2022H2/t004 +pending-township +township +[0-9T:Z-]+$'
	cl list --period 2022H2
	assert_eq "--period 2022H2" "2022H2/t001 2022H2/t002 2022H2/t003 2022H2/t004" "$(ids "$OUT")"
	cl list --period 2023H1
	assert_eq "--period 2023H1" "2023H1/t001" "$(ids "$OUT")"
	cl list --state pending-village
	assert_eq "--state pending-village" "2023H1/t001" "$(ids "$OUT")"
	cl list --state returned
	assert_eq "--state returned" "2022H2/t002" "$(ids "$OUT")"
	cl list --state withdrawn
	assert_eq "--state withdrawn" "2022H2/t003" "$(ids "$OUT")"
	cl list --state approved
	assert_eq "--state approved" "2022H2/t001" "$(ids "$OUT")"
	cl list --talent t001
	assert_eq "--talent t001" "2022H2/t001 2023H1/t001" "$(ids "$OUT")"
	cl list --period 2022H2 --state pending-township
	assert_eq "--period and --state" "2022H2/t004" "$(ids "$OUT")"
	cl list --period 2023H1 --state approved
	assert_ok "a filter that matches nothing"
	assert_eq "no rows" "" "$OUT"
	assert_eq "says so" "no records" "$ERR"
	cl list --period 2022H2 --json
	assert_ok "list --json"
	assert_json "list --json: ids" "$OUT" 'map(.id)' '["2022H2/t001","2022H2/t002","2022H2/t003","2022H2/t004"]'
	assert_json "list --json: states" "$OUT" 'map(.state)' '["approved","returned","withdrawn","pending-township"]'
	assert_json "list --json: waiting_on" "$OUT" 'map(.waiting_on)' '[[],["t002"],["t003"],["tw-nanzhao"]]'
	assert_json "list --json: keys" "$OUT" '.[0] | keys' '["due","id","level","overdue","period","since","state","talent","waiting_on"]'
	assert_json "list --json: period and talent" "$OUT" '.[3] | [.period, .talent, .level]' '["2022H2","t004","township"]'
	cl list --state bogus
	assert_err "an unknown state" 3 "unknown state 'bogus' (see 'chainlog workflow show')"
	cl list --period 2022H3
	assert_err "a bad period" 3 "bad period '2022H3': use YYYYH1 or YYYYH2"
}

test_people() {
	init_sample || return
	cl people --json
	assert_ok "people --json"
	local pj=$OUT
	assert_json "190 people" "$pj" length '190'
	assert_json "83 talents" "$pj" 'map(select(.talent != null)) | length' '83'
	assert_json "people in file order, the administrator first" "$pj" '.[0] | [.id, .name, .roles]' \
		'["admin","Bai Jianguo",[{"role":"config-admin","unit":"weishan"}]]'
	assert_json "the county secretary" "$pj" '.[] | select(.id == "c-weishan") | .roles' '[{"role":"secretary","unit":"weishan"}]'
	assert_json "t001's assignment" "$pj" '.[] | select(.id == "t001") | .talent | [.serves, .dispatched_by, .mode, .first_secretary, .from, .to]' \
		'["nanzhao-01","agri","resident",true,"2022-07-01","2024-06-30"]'
	assert_json "t003's assignment and note" "$pj" '.[] | select(.id == "t003") | [.name, .talent.serves, .talent.dispatched_by, .talent.mode, .talent.first_secretary, .talent.from, .talent.to, .talent.note]' \
		'["Zuo Shaohua","nanzhao-03","water","flexible",false,"2022-07-01","2023-06-30","Cang'"'"'er talent programme"]'
	assert_json "every talent object is complete" "$pj" \
		'[.[] | select(.talent != null) | .talent | has("serves") and has("dispatched_by") and has("mode") and has("first_secretary") and has("from") and has("to")] | all' 'true'
	assert_json "talents hold no roles" "$pj" '[.[] | select(.talent != null) | .roles | length] | add' '0'
	assert_json "reviewers are not talents" "$pj" '.[] | select(.id == "v-nanzhao-01") | .talent' 'null'
	assert_json "31 resident, 52 flexible (FORMAT.md)" "$pj" \
		'[.[] | select(.talent != null) | .talent.mode] | group_by(.) | map([.[0], length])' '[["flexible",52],["resident",31]]'
	local n
	n=$(grep -c '^  - id: ' "$SAMPLE/people.yaml")
	assert_json "as many people as the sample's people.yaml" "$pj" length "$n"
	cl people
	assert_ok "people (text)"
	assert_eq "people text: one line per person" "190" "$(printf '%s\n' "$OUT" | wc -l)"
	assert_match "people text: a talent" "$(grep '^t001 ' <<<"$OUT")" 'talent: serves nanzhao-01 for agri \(resident, first secretary\)'
}

list_all() {
	cl list
	printf '%s\n' "$OUT"
	cl list --json
	printf '%s\n' "$OUT"
}

test_index_rebuild() {
	init_sample || return
	build_mixed || return
	local before after commits
	commits=$(commit_count)
	before=$(list_all)
	local records_before
	records_before=$(sql 'select * from records order by id')

	rm -f "$HOME_DIR/index.sqlite"
	cl list
	assert_ok "list without an index"
	assert_file "the index is rebuilt" "$HOME_DIR/index.sqlite"
	after=$(list_all)
	assert_eq "same list output after the rebuild" "$before" "$after"
	assert_eq "same records table" "$records_before" "$(sql 'select * from records order by id')"
	assert_eq "one transition per commit" "$commits" "$(sql 'select count(*) from transitions')"
	assert_eq "index head is the tip" "$(git_h rev-parse main)" "$(sql "select value from meta where key='head'")"

	rm -f "$HOME_DIR/index.sqlite"
	cl show 2022H2/t004 --json
	assert_ok "show without an index"
	assert_json "show still knows who waits" "$OUT" .waiting_on '["tw-nanzhao"]'
	rm -f "$HOME_DIR/index.sqlite"
	cl queue --as tw-nanzhao --json
	assert_ok "queue without an index"
	assert_json "queue after the rebuild" "$OUT" 'map(.id)' '["2022H2/t004"]'

	# the configuration cache (HOME/cache) is derived too
	if [ -d "$HOME_DIR/cache" ]; then
		local f
		for f in "$HOME_DIR"/cache/*; do
			[ -f "$f" ] && printf 'garbage' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
		done
		assert_eq "same list output with a corrupt config cache" "$before" "$(list_all)"
		cl show 2022H2/t004 --json
		assert_json "a corrupt cache is not trusted" "$OUT" .waiting_on '["tw-nanzhao"]'
		rm -rf "$HOME_DIR/cache"
		assert_eq "same list output without the config cache" "$before" "$(list_all)"
	fi

	cl reindex
	assert_ok "reindex"
	assert_eq "reindex reports the counts" "reindexed: 5 records, $commits transitions" "$OUT"
	assert_eq "same list output after reindex" "$before" "$(list_all)"
	assert_eq "same records table after reindex" "$records_before" "$(sql 'select * from records order by id')"
	cl verify
	assert_ok "verify after reindex"
	assert_eq "verify output" "verify: ok, $commits commits replayed, index in agreement" "$OUT"
}

test_index_lag() {
	init_sample || return
	build_mixed || return
	index_copy "$HOME_DIR/index.sqlite" "$T/index.old"
	must approve --as tw-nanzhao 2022H2/t004 || return
	must reject --as v-nanzhao-01 2023H1/t001 --comment "Redo it." || return
	index_copy "$T/index.old" "$HOME_DIR/index.sqlite"
	assert_eq "the restored index is behind (precondition)" "pending-township" \
		"$(sql "select state from records where id = '2022H2/t004'")"
	cl list
	assert_ok "list with a lagging index"
	assert_match "list shows t004's new state" "$(grep '^2022H2/t004 ' <<<"$OUT")" '^2022H2/t004 +pending-department +department '
	assert_match "list shows 2023H1/t001's new state" "$(grep '^2023H1/t001 ' <<<"$OUT")" '^2023H1/t001 +returned '
	assert_eq "the index caught up" "$(git_h rev-parse main)" "$(sql "select value from meta where key='head'")"
	assert_eq "index: one transition per commit" "$(commit_count)" "$(sql 'select count(*) from transitions')"

	# the queue, too, is answered after catching up
	index_copy "$HOME_DIR/index.sqlite" "$T/index.old2"
	must approve --as "d-$(sample_field t004 dispatched_by)" 2022H2/t004 --grade basic || return
	index_copy "$T/index.old2" "$HOME_DIR/index.sqlite"
	cl queue --as "d-$(sample_field t004 dispatched_by)" --json
	assert_ok "queue with a lagging index"
	assert_json "the approved record left the department's queue" "$OUT" . '[]'
	cl verify
	assert_ok "verify after the catch-up"
}

test_verify_and_fsck() {
	init_sample || return
	build_mixed || return
	cl verify
	assert_ok "verify"
	assert_eq "verify output" "verify: ok, $(commit_count) commits replayed, index in agreement" "$OUT"
	cl verify --json
	assert_ok "verify --json"
	assert_json "verify --json" "$OUT" '[.ok, .commits, .violations]' "[true,$(commit_count),[]]"
	if git_h fsck --strict >"$T/fsck" 2>&1; then
		_pass "git fsck --strict"
	else
		_fail "git fsck --strict" "$(cat "$T/fsck")"
	fi
	assert_eq "the branch is linear" "0" "$(git_h rev-list --min-parents=2 --count main)"
	assert_eq "every commit after the first names an Action" "$(commit_count)" \
		"$(git_h log --format='%(trailers:key=Action,valueonly)' main | grep -c .)"
}

test_help() {
	# HOME_DIR does not exist: help needs no home
	local usage
	while IFS='|' read -r cmd usage; do
		# shellcheck disable=SC2086 # two-word commands split on purpose
		cl $cmd --help
		assert_ok "$cmd --help"
		assert_eq "$cmd --help: usage line" "usage: chainlog [-C HOME] $usage" "$(head -1 <<<"$OUT")"
		assert_eq "$cmd --help: nothing on stderr" "" "$ERR"
		assert_match "$cmd --help: has a description" "$(sed -n '3,$p' <<<"$OUT")" '[a-z]'
		# shellcheck disable=SC2086
		cl $cmd -h
		assert_ok "$cmd -h"
	done <<'EOF'
init|init DIR (--sample | --config CONFDIR) [--as ADMIN] [--date YYYY-MM-DD]
submit|submit --as TALENT --period PERIOD --file LOG.yaml [--comment TEXT] [--json]
approve|approve --as PERSON RECORD [--grade GRADE] [--comment TEXT] [--json]
reject|reject --as PERSON RECORD --comment TEXT [--json]
withdraw|withdraw --as TALENT RECORD [--comment TEXT] [--json]
show|show RECORD [--json]
queue|queue --as PERSON [--json]
list|list [--period PERIOD] [--state STATE] [--talent ID] [--json]
history|history RECORD [--json]
people|people [--json]
verify|verify [--json]
reindex|reindex
config apply|config apply --as ADMIN CONFDIR [--comment TEXT]
workflow check|workflow check FILE
workflow show|workflow show [--dot | --json]
batch|batch [--group N]
import|import [--json] FILE|-
EOF
	assert_no_file "help created no home" "$HOME_DIR"
	cl --help
	assert_ok "chainlog --help"
	assert_contains "--help lists the commands" "$OUT" "  config apply --as ADMIN CONFDIR [--comment TEXT]"
	assert_contains "--help explains the exit statuses" "$OUT" "Exit status: 0 done"
	cl
	assert_status "no command" 2
	cl frobnicate
	assert_err "an unknown command" 2 "unknown command 'frobnicate' (see 'chainlog --help')"
	cl list --frob
	assert_status "an unknown option" 2
	assert_contains "the unknown option is named" "$ERR" "unknown or incomplete option '--frob'"
	assert_contains "with the usage" "$ERR" "usage: chainlog list [--period PERIOD]"
	cl show
	assert_status "a missing argument" 2
	cl --version
	assert_ok "--version"
	assert_match "--version" "$OUT" '^chainlog [0-9]+\.[0-9]+'
}

test_not_a_home() {
	mkdir -p "$HOME_DIR"
	cl list
	assert_err "list outside a home" 4 "'$HOME_DIR' is not a chainlog home (no history.git; see 'chainlog init')"
	init_sample || return
	cl show 2022H2/t099
	assert_err "show an unknown record" 4 "no record '2022H2/t099'"
	cl history 2022H2/t099
	assert_err "history of an unknown record" 4 "no record '2022H2/t099'"
}

test_deadlines() {
	local t0=1672531200 # 2023-01-01T00:00:00Z
	local day=86400
	CHAINLOG_NOW=$t0 must init "$HOME_DIR" --sample || return
	assert_eq "CHAINLOG_NOW dates the init commit" "$t0" "$(git_h log -1 --format=%at)"
	CHAINLOG_NOW=$t0 must submit --as t001 --period 2022H2 --file "$T001_LOG" || return
	assert_eq "the submit commit's time" "$t0 $t0" "$(git_h log -1 --format='%at %ct')"
	CHAINLOG_NOW=$t0 cl show 2022H2/t001 --json
	assert_json "since and due (15 days at the village)" "$OUT" '[.since, .due]' \
		'["2023-01-01T00:00:00Z","2023-01-16T00:00:00Z"]'
	assert_contains "record file: since" "$(git_h show "main:$(record_path 2022H2 t001)")" "since: '2023-01-01T00:00:00Z'"

	CHAINLOG_NOW=$((t0 + 15 * day)) cl queue --as v-nanzhao-01 --json
	assert_json "on the due second: not overdue" "$OUT" '.[0] | [.due, .overdue]' '["2023-01-16T00:00:00Z",false]'
	CHAINLOG_NOW=$((t0 + 15 * day)) cl show 2022H2/t001
	assert_contains "show: due" "$OUT" "due:        2023-01-16T00:00:00Z"
	assert_not_contains "show: not overdue yet" "$OUT" "(overdue)"
	CHAINLOG_NOW=$((t0 + 15 * day + 1)) cl queue --as v-nanzhao-01 --json
	assert_json "one second later: overdue" "$OUT" '.[0].overdue' 'true'
	CHAINLOG_NOW=$((t0 + 15 * day + 1)) cl list --json
	assert_json "list: overdue" "$OUT" '.[0].overdue' 'true'
	CHAINLOG_NOW=$((t0 + 15 * day + 1)) cl show 2022H2/t001
	assert_contains "show: overdue" "$OUT" "due:        2023-01-16T00:00:00Z (overdue)"

	CHAINLOG_NOW=$((t0 + 20 * day)) must approve --as v-nanzhao-01 2022H2/t001 || return
	assert_eq "the approval's commit time" "$((t0 + 20 * day))" "$(git_h log -1 --format=%at)"
	CHAINLOG_NOW=$((t0 + 20 * day)) cl show 2022H2/t001 --json
	assert_json "the deadline restarts at the township" "$OUT" '[.since, .due]' \
		'["2023-01-21T00:00:00Z","2023-02-05T00:00:00Z"]'
	assert_json "the approval's time" "$OUT" '.approvals[0].at' '"2023-01-21T00:00:00Z"'
	CHAINLOG_NOW=$((t0 + 20 * day)) cl history 2022H2/t001 --json
	assert_json "history: the commit times" "$OUT" 'map(.time)' '["2023-01-01T00:00:00Z","2023-01-21T00:00:00Z"]'
	CHAINLOG_NOW=$((t0 + 21 * day)) must approve --as tw-nanzhao 2022H2/t001 || return
	CHAINLOG_NOW=$((t0 + 21 * day)) cl show 2022H2/t001 --json
	assert_json "30 days at the department" "$OUT" '.due' '"2023-02-21T00:00:00Z"'
	CHAINLOG_NOW=$((t0 + 22 * day)) must approve --as d-agri 2022H2/t001 --grade basic || return
	CHAINLOG_NOW=$((t0 + 400 * day)) cl list --json
	assert_json "approved: no deadline, never overdue" "$OUT" '.[0] | [.due, .overdue]' '[null,false]'
	CHAINLOG_NOW=$((t0 + 400 * day)) cl verify
	assert_ok "verify with explicit times"
}

test_concurrent() {
	init_sample || return
	local t i n=12 ok=0 lost=0 bad=""
	for ((i = 1; i <= n; i++)); do
		printf -v t 't%03d' "$i"
		write_log "$T/$t.yaml" "$i"
	done
	for ((i = 1; i <= n; i++)); do
		printf -v t 't%03d' "$i"
		# shellcheck disable=SC2086
		{ $CHAINLOG_WRAP "$CHAINLOG" -C "$HOME_DIR" submit --as "$t" --period 2022H2 --file "$T/$t.yaml" \
			>"$T/$t.out" 2>"$T/$t.err"; echo $? >"$T/$t.rc"; } &
	done
	wait
	for ((i = 1; i <= n; i++)); do
		printf -v t 't%03d' "$i"
		if [ "$(cat "$T/$t.rc")" = 0 ]; then ok=$((ok + 1)); else bad+="$t: $(cat "$T/$t.err") "; fi
	done
	assert_eq "$n concurrent submits all succeed" "$n" "$ok"
	[ -n "$bad" ] && echo "        $bad"
	assert_eq "one commit each" "$((n + 1))" "$(commit_count)"
	assert_eq "still linear" "0" "$(git_h rev-list --min-parents=2 --count main)"
	cl list --json
	assert_json "every record is listed" "$OUT" length "$n"
	assert_eq "the index saw every commit" "$((n + 1))" "$(sql 'select count(*) from transitions')"

	for i in 1 2 3 4 5; do
		# shellcheck disable=SC2086
		{ $CHAINLOG_WRAP "$CHAINLOG" -C "$HOME_DIR" approve --as v-nanzhao-01 2022H2/t001 \
			>"$T/a$i.out" 2>"$T/a$i.err"; echo $? >"$T/a$i.rc"; } &
	done
	wait
	ok=0
	for i in 1 2 3 4 5; do
		case $(cat "$T/a$i.rc") in
		0) ok=$((ok + 1)) ;;
		5 | 6) lost=$((lost + 1)) ;;
		*) bad+="a$i: status $(cat "$T/a$i.rc"): $(cat "$T/a$i.err") " ;;
		esac
	done
	assert_eq "five racing approvals: exactly one wins" "1" "$ok"
	assert_eq "the others are told (changed meanwhile, or denied)" "4" "$lost"
	assert_eq "exactly one approval commit" "1" \
		"$(git_h log --format='%(trailers:key=Action,valueonly,separator=%x2C) %(trailers:key=Record,valueonly,separator=%x2C)' main | grep -c '^approve 2022H2/t001$')"
	cl verify
	assert_ok "verify after the races"
}

# The executable keeps libgit2's network layers from starting up
# (engine/cli/nonet.c).  Linked to the shared libgit2, the dynamic linker
# binds libgit2's calls to the CA-bundle loader and to libssh2_init() to
# chainlog's own definitions; linked to libgit2's archive (meson's
# static_deps), the linker sent libgit2's references to the TLS set-up and
# to libssh2_init() to chainlog's __wrap_ stand-ins.  Either way a
# transition that needs libgit2 still commits.
test_network_layers_not_started() {
	init_sample || return
	LD_DEBUG=bindings LD_DEBUG_OUTPUT="$T/ld" "$CHAINLOG" -C "$HOME_DIR" submit --as t001 \
		--period 2022H2 --file "$T001_LOG" >"$T/out" 2>"$T/err"
	assert_eq "submit with the bindings traced: status" "0" "$?"
	assert_eq "the submission committed" "2" "$(commit_count)"
	if ldd "$CHAINLOG" | grep -q 'libgit2\.so'; then
		network_bindings
	else
		network_wraps
	fi
}

network_bindings() {
	local bound sym lib
	for sym in mbedtls_x509_crt_parse_file:libmbedx509.so libssh2_init:libssh2.so; do
		lib=${sym#*:}
		sym=${sym%%:*}
		bound=$(cat "$T"/ld.* | grep "symbol \`$sym'" | sed 's/^[[:space:]0-9:]*//')
		assert_match "libgit2's call to $sym binds to chainlog's definition" "$bound" \
			"^binding file [^ ]*libgit2[^ ]* \[0\] to [^ ]*chainlog \[0\]"
		assert_not_contains "no call to $sym binds to $lib" \
			"$(printf '%s\n' "$bound" | sed 's/.* to //')" "$lib"
	done
}

# The address of symbol $1 in the executable, in decimal.
sym_addr() {
	local hex
	hex=$(nm "$CHAINLOG" | awk -v s="$1" '$3 == s { print $1; exit }')
	[ -n "$hex" ] && echo $((16#$hex))
}

network_wraps() {
	local calls lo size off add wrap real targets=""
	# libgit2's SSH set-up calls the stand-in, not libssh2's
	calls=$(objdump -d --no-show-raw-insn --disassemble=git_transport_ssh_global_init \
		"$CHAINLOG" | grep -o 'call .*<[^>]*libssh2_init[^>]*>')
	assert_match "libgit2's SSH set-up calls the stand-in" "$calls" "<__wrap_libssh2_init>"
	assert_not_contains "and not libssh2's own" "$calls" "<libssh2_init>"
	# git_libgit2_init() runs its set-ups off a table (init_fns): its
	# entry for the TLS set-up points at the stand-in.  In a position-
	# independent executable each entry is a relative relocation whose
	# addend is the function's address.
	read -r lo size < <(nm -S "$CHAINLOG" | awk '$4 ~ /^init_fns/ { print $1, $2; exit }')
	assert_match "libgit2's table of set-ups is there" "$lo $size" "^[0-9a-f]+ [0-9a-f]+$"
	lo=$((16#${lo:-0}))
	size=$((16#${size:-0}))
	while read -r off add; do
		off=$((16#$off))
		if [ "$off" -ge "$lo" ] && [ "$off" -lt $((lo + size)) ]; then
			targets="$targets $((16#$add))"
		fi
	done < <(readelf -rW "$CHAINLOG" | awk '$3 == "R_X86_64_RELATIVE" { print $1, $4 }')
	wrap=$(sym_addr __wrap_git_mbedtls_stream_global_init)
	real=$(sym_addr git_mbedtls_stream_global_init)
	assert_contains "the table runs the TLS stand-in" "$targets " " ${wrap:-none} "
	assert_not_contains "and not libgit2's mbed TLS set-up" "$targets " " ${real:-none} "
}

# A write command loads its configuration from HOME/cache; a damaged
# cache file is not trusted: the rules still hold, and the file is made
# again from the history.
test_approve_with_a_damaged_cache() {
	init_sample || return
	must submit --as t001 --period 2022H2 --file "$T001_LOG" || return
	local f n=0 before
	for f in "$HOME_DIR"/cache/*; do
		[ -f "$f" ] || continue
		printf 'garbage' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
		n=$((n + 1))
	done
	assert_eq "a cache file to damage" "1" "$n"
	before=$(git_h rev-parse main)
	cl approve --as tw-nanzhao 2022H2/t001
	assert_status "the township may not approve at the village level" 5
	assert_eq "refusal names the level" \
		"chainlog: 2022H2/t001: only a reviewer of level 'village' may approve it now, and 'tw-nanzhao' is not one" "$ERR"
	assert_eq "nothing committed" "$before" "$(git_h rev-parse main)"
	cl approve --as v-nanzhao-01 2022H2/t001
	assert_ok "the village approves"
	assert_eq "To: pending-township" "pending-township" "$(trailer To)"
	assert_eq "the cache file was made again" "0" "$(cat "$HOME_DIR"/cache/* | grep -c garbage)"
	cl approve --as tw-nanzhao 2022H2/t001
	assert_ok "the township approves, the new cache file in use"
	assert_eq "Level: township" "township" "$(trailer Level)"
}

run_test test_init_sample
run_test test_network_layers_not_started
run_test test_submit
run_test test_approve_three_levels
run_test test_approve_with_a_damaged_cache
run_test test_reject_resubmit
run_test test_withdraw
run_test test_list_filters
run_test test_people
run_test test_index_rebuild
run_test test_index_lag
run_test test_verify_and_fsck
run_test test_help
run_test test_not_a_home
run_test test_deadlines
run_test test_concurrent
finish
