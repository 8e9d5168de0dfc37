#!/usr/bin/env bash
# audit.sh - the history is the system of record: tampering with it using
# plain git must be caught by `chainlog verify` (exit 7, naming the commit),
# a rewritten branch must raise an alarm until `reindex`, and an auditor
# with stock git can read who did what.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

# ---- the good home -------------------------------------------------------
#
#   2022H2/t001  pending-township  (v-nanzhao-01 approved)
#   2022H2/t002  pending-village
#   2022H2/t003  approved          (the last commit: d-water grades it)
GOOD=$E2E_ROOT/good
build_good() {
	TEST_NAME=good-home
	T=$E2E_ROOT/good-work
	HOME_DIR=$GOOD
	mkdir -p "$T"
	must init "$GOOD" --sample &&
		must submit --as t001 --period 2022H2 --file "$SAMPLE/logs/t001-2022H2.yaml" &&
		must approve --as v-nanzhao-01 2022H2/t001 &&
		must submit --as t002 --period 2022H2 --file "$SAMPLE/logs/t002-2022H2.yaml" &&
		must submit --as t003 --period 2022H2 --file "$SAMPLE/logs/t003-2022H2.yaml" &&
		must approve --as v-nanzhao-03 2022H2/t003 &&
		must approve --as tw-nanzhao 2022H2/t003 &&
		must approve --as d-water 2022H2/t003 --grade competent --comment "Good skills classes." &&
		must verify
}

# fresh: a copy of the good home (the good one is never touched).
fresh() {
	cp -r "$GOOD" "$HOME_DIR"
	FORGE_DATE=""
}

# person_name ID: the display name in the sample's people.yaml.
person_name() {
	awk -v id="$1" '$0 == "  - id: " id {f=1; next} f && $1 == "name:" {sub(/^ *name: /, ""); print; exit}' \
		"$SAMPLE/people.yaml"
}

# message_of REV FILE: the exact message of REV into FILE.
message_of() {
	git_h cat-file commit "$1" | sed '1,/^$/d' >"$2"
}

# tree_with PATH FILE: the tip's tree with PATH set to FILE's content, or
# removed when FILE is "-"; made with a temporary index.
tree_with() {
	local idx=$T/forge.index blob
	rm -f "$idx"
	GIT_INDEX_FILE=$idx git --git-dir="$HOME_DIR/history.git" read-tree refs/heads/main || return 1
	if [ "$2" = - ]; then
		printf '0 %040d\t%s\n' 0 "$1" |
			GIT_INDEX_FILE=$idx git --git-dir="$HOME_DIR/history.git" update-index --index-info || return 1
	else
		blob=$(git_h hash-object -w "$2") || return 1
		GIT_INDEX_FILE=$idx git --git-dir="$HOME_DIR/history.git" update-index --add --cacheinfo "100644,$blob,$1" || return 1
	fi
	GIT_INDEX_FILE=$idx git --git-dir="$HOME_DIR/history.git" write-tree
}

# forge TREE MSGFILE NAME EMAIL [COMMITTER-NAME COMMITTER-EMAIL]: a commit
# on top of main, authored (and committed) as NAME <EMAIL>, dated
# $FORGE_DATE (git's "@EPOCH +0000") or now; main moves to it.  Sets FORGED.
forge() {
	local parent date=${FORGE_DATE:-@$(date +%s) +0000}
	parent=$(git_h rev-parse refs/heads/main)
	FORGED=$(GIT_AUTHOR_NAME=$3 GIT_AUTHOR_EMAIL=$4 GIT_AUTHOR_DATE=$date \
		GIT_COMMITTER_NAME=${5:-$3} GIT_COMMITTER_EMAIL=${6:-$4} GIT_COMMITTER_DATE=$date \
		git --git-dir="$HOME_DIR/history.git" commit-tree "$1" -p "$parent" -F "$2") &&
		git_h update-ref refs/heads/main "$FORGED" "$parent"
}

# legit ARGS...: what chainlog would commit for ARGS: runs it, keeps the
# record file ($T/legit.yaml, its path in LEGIT_PATH), the message
# ($T/legit.msg) and the date (FORGE_DATE, so that a forgery built from them
# differs only where it is meant to), then puts main and the index back.
legit() {
	local tip
	tip=$(git_h rev-parse refs/heads/main)
	index_copy "$HOME_DIR/index.sqlite" "$T/legit.index"
	must "$@" || return 1
	LEGIT_PATH=$(git_h diff-tree --no-commit-id --name-only -r "$tip" refs/heads/main)
	git_h show "refs/heads/main:$LEGIT_PATH" >"$T/legit.yaml"
	message_of refs/heads/main "$T/legit.msg"
	FORGE_DATE="@$(git_h log -1 --format=%at refs/heads/main) +0000"
	git_h update-ref refs/heads/main "$tip"
	index_copy "$T/legit.index" "$HOME_DIR/index.sqlite"
}

# caught DESC: verify exits 7 and every violation line names $FORGED.
caught() {
	cl verify
	assert_status "$1: verify finds it" 7
	assert_contains "$1: verify names the forged commit" "$OUT" "commit $FORGED: "
	assert_eq "$1: every violation names the forged commit" "" \
		"$(printf '%s\n' "$OUT" | grep -v "^commit $FORGED: ")"
	assert_match "$1: verify summarises" "$ERR" '^chainlog: verify failed: [0-9]+ violation\(s\) in [0-9]+ commit\(s\)$'
	VERIFY_OUT=$OUT
	cl verify --json
	assert_status "$1: verify --json" 7
	assert_json "$1: verify --json: not ok, naming the commit" "$OUT" \
		'[.ok, (.violations | length > 0), (.violations | map(.commit) | unique)]' "[false,true,[\"$FORGED\"]]"
}

test_good_home_verifies() {
	fresh
	cl verify
	assert_ok "the good home verifies"
	assert_eq "verify output" "verify: ok, 8 commits replayed, index in agreement" "$OUT"
}

test_forge_control() {
	fresh
	# the forging tools themselves: an untouched legal approval, re-made
	# with plain git, must verify (so the cases below fail for their edit)
	legit approve --as v-nanzhao-02 2022H2/t002 --comment "Fine." || return
	forge "$(tree_with "$LEGIT_PATH" "$T/legit.yaml")" "$T/legit.msg" "$(person_name v-nanzhao-02)" v-nanzhao-02 || {
		_fail "forging the commit"; return; }
	cl verify
	assert_ok "a legal transition made with plain git verifies"
	cl show 2022H2/t002 --json
	assert_json "and it is indexed like any other" "$OUT" '[.state, .approvals[0].actor]' '["pending-township","v-nanzhao-02"]'
}

test_tamper_committer() {
	fresh
	legit approve --as v-nanzhao-02 2022H2/t002 || return
	forge "$(tree_with "$LEGIT_PATH" "$T/legit.yaml")" "$T/legit.msg" "$(person_name v-nanzhao-02)" v-nanzhao-02 \
		"$(person_name tw-miaojie)" tw-miaojie || { _fail "forging the commit"; return; }
	assert_eq "the committer is someone else (precondition)" "tw-miaojie" "$(git_h log -1 --format=%ce)"
	caught "an approval committed by someone else"
}

test_tamper_backdated() {
	fresh
	local parent_time
	parent_time=$(git_h log -1 --format=%at main)
	# chainlog itself never dates a commit before its parent (it clamps the
	# clock), so the backdating is done with plain git: the legal approval,
	# committed ten days before the commit it follows
	legit approve --as v-nanzhao-02 2022H2/t002 || return
	FORGE_DATE="@$((parent_time - 10 * 86400)) +0000"
	forge "$(tree_with "$LEGIT_PATH" "$T/legit.yaml")" "$T/legit.msg" "$(person_name v-nanzhao-02)" v-nanzhao-02 || {
		_fail "forging the commit"; return; }
	assert_eq "the approval is older than its parent (precondition)" "1" \
		"$(($(git_h log -1 --format=%at main) < parent_time))"
	caught "a backdated approval"
	assert_contains "a backdated approval: the rule is named" "$VERIFY_OUT" "time goes backwards"
}

test_tamper_edit_summary() {
	fresh
	local p
	p=$(record_path 2022H2 t003)
	git_h show "main:$p" | sed 's/Served Shilin Village/Never visited Shilin Village/' >"$T/rec.yaml"
	assert_contains "the summary is edited (precondition)" "$(cat "$T/rec.yaml")" "Never visited Shilin Village"
	message_of main "$T/msg"
	forge "$(tree_with "$p" "$T/rec.yaml")" "$T/msg" "$(git_h log -1 --format=%an)" "$(git_h log -1 --format=%ae)" || {
		_fail "forging the commit"; return; }
	caught "a summary edited under a copy of the last message"
	assert_contains "it is not a legal transition" "$VERIFY_OUT" \
		"not a legal transition under the configuration at its parent: 2022H2/t003: cannot approve a record in state 'approved'"
}

test_tamper_edit_summary_in_transition() {
	fresh
	# a real approval of t002, with the summary quietly changed as well
	legit approve --as v-nanzhao-02 2022H2/t002 || return
	sed -i 's/Set up a reading corner/Built a new school/' "$T/legit.yaml"
	assert_contains "the summary is edited (precondition)" "$(cat "$T/legit.yaml")" "Built a new school"
	forge "$(tree_with "$LEGIT_PATH" "$T/legit.yaml")" "$T/legit.msg" "$(person_name v-nanzhao-02)" v-nanzhao-02 || {
		_fail "forging the commit"; return; }
	caught "a summary edited inside a legal approval"
	assert_contains "the record file is not what the approval produces" "$VERIFY_OUT" \
		"the record file differs from what the transition produces"
}

test_tamper_actor_without_role() {
	fresh
	legit approve --as v-nanzhao-02 2022H2/t002 || return
	sed -i 's/^Actor: v-nanzhao-02$/Actor: tw-miaojie/' "$T/legit.msg"
	sed -i 's/actor: v-nanzhao-02$/actor: tw-miaojie/' "$T/legit.yaml"
	assert_contains "the Actor is changed (precondition)" "$(cat "$T/legit.msg")" "Actor: tw-miaojie"
	forge "$(tree_with "$LEGIT_PATH" "$T/legit.yaml")" "$T/legit.msg" "$(person_name tw-miaojie)" tw-miaojie || {
		_fail "forging the commit"; return; }
	assert_eq "git shows the forged actor" "tw-miaojie" "$(trailer Actor)"
	caught "an approval by someone without the role"
	assert_contains "the rule is named" "$VERIFY_OUT" \
		"not a legal transition under the configuration at its parent: 2022H2/t002: only a reviewer of level 'village' may approve it now"
}

test_tamper_author_only() {
	fresh
	legit approve --as v-nanzhao-02 2022H2/t002 || return
	forge "$(tree_with "$LEGIT_PATH" "$T/legit.yaml")" "$T/legit.msg" "$(person_name tw-miaojie)" tw-miaojie || {
		_fail "forging the commit"; return; }
	caught "an approval authored by someone else"
	assert_contains "the author is not the actor" "$VERIFY_OUT" \
		"the author '$(person_name tw-miaojie) <tw-miaojie>' is not the actor '$(person_name v-nanzhao-02) <v-nanzhao-02>'"
}

test_tamper_delete_record() {
	fresh
	local p
	p=$(record_path 2022H2 t003)
	message_of main "$T/msg"
	forge "$(tree_with "$p" -)" "$T/msg" "$(git_h log -1 --format=%an)" "$(git_h log -1 --format=%ae)" || {
		_fail "forging the commit"; return; }
	assert_eq "the record file is gone from the tip (precondition)" "" "$(git_h ls-tree -r --name-only main -- "$p")"
	caught "a deleted record file"
	assert_contains "the missing file is named" "$VERIFY_OUT" "record file '$p' is missing"

	# the same deletion under a config message
	rm -rf "$HOME_DIR"
	fresh
	printf 'config: workflow weishan-three-level@1\n\nAction: config\nActor: admin\n' >"$T/cmsg"
	forge "$(tree_with "$(record_path 2022H2 t001)" -)" "$T/cmsg" "$(person_name admin)" admin || {
		_fail "forging the commit"; return; }
	caught "a record deleted by a config commit"
	assert_contains "a config commit may change only config/" "$VERIFY_OUT" "a config commit may change only config/ files"
}

test_tamper_skip_level() {
	fresh
	legit approve --as v-nanzhao-02 2022H2/t002 || return
	sed -i 's/^state: pending-township$/state: pending-department/; s/^level: township$/level: department/; s/^  to: pending-township$/  to: pending-department/' "$T/legit.yaml"
	sed -i 's/-> pending-township)$/-> pending-department)/; s/^To: pending-township$/To: pending-department/' "$T/legit.msg"
	assert_contains "the record jumps a level (precondition)" "$(cat "$T/legit.yaml")" $'state: pending-department\nlevel: department'
	assert_contains "so does the message (precondition)" "$(cat "$T/legit.msg")" "To: pending-department"
	forge "$(tree_with "$LEGIT_PATH" "$T/legit.yaml")" "$T/legit.msg" "$(person_name v-nanzhao-02)" v-nanzhao-02 || {
		_fail "forging the commit"; return; }
	caught "a skipped level"
	assert_contains "the record file is not what the approval produces" "$VERIFY_OUT" \
		"the record file differs from what the transition produces"
	assert_contains "nor is the message" "$VERIFY_OUT" \
		"the message (subject, comment or trailers) differs from what the transition produces"
}

test_tamper_config_by_non_admin() {
	fresh
	# tw-miaojie makes themselves a secretary of nanzhao-02 too
	git_h show main:config/people.yaml |
		sed '/^  - id: tw-miaojie$/,/^  - id:/ s/^        unit: miaojie$/        unit: miaojie\n      - role: secretary\n        unit: nanzhao-02/' \
		>"$T/people.yaml"
	assert_contains "the role is granted (precondition)" "$(sed -n '/^  - id: tw-miaojie$/,/^  - id: tw-dacang$/p' "$T/people.yaml")" "unit: nanzhao-02"
	printf 'config: workflow weishan-three-level@1\n\nAction: config\nActor: tw-miaojie\n' >"$T/cmsg"
	forge "$(tree_with config/people.yaml "$T/people.yaml")" "$T/cmsg" "$(person_name tw-miaojie)" tw-miaojie || {
		_fail "forging the commit"; return; }
	caught "a config commit by a non-administrator"
	assert_contains "the missing admin role is named" "$VERIFY_OUT" \
		"'tw-miaojie' changed the configuration without the admin role 'config-admin'"
}

test_tamper_config_as_admin_by_other() {
	fresh
	# the same change, claiming to be the administrator's, authored by another
	git_h show main:config/people.yaml |
		sed '/^  - id: tw-miaojie$/,/^  - id:/ s/^        unit: miaojie$/        unit: miaojie\n      - role: config-admin\n        unit: weishan/' \
		>"$T/people.yaml"
	printf 'config: workflow weishan-three-level@1\n\nAction: config\nActor: admin\n' >"$T/cmsg"
	forge "$(tree_with config/people.yaml "$T/people.yaml")" "$T/cmsg" "$(person_name tw-miaojie)" tw-miaojie || {
		_fail "forging the commit"; return; }
	caught "a config commit in the administrator's name"
	assert_contains "the author is not the actor" "$VERIFY_OUT" \
		"the author '$(person_name tw-miaojie) <tw-miaojie>' is not the actor '$(person_name admin) <admin>'"
}

test_rewritten_history() {
	fresh
	local old_tip scratch=$T/scratch
	old_tip=$(git_h rev-parse main)
	# in a scratch copy: back to before d-water's grade, and a rejection instead
	cp -r "$HOME_DIR" "$scratch"
	git --git-dir="$scratch/history.git" update-ref refs/heads/main "$(git_h rev-parse main~1)"
	rm "$scratch/index.sqlite"
	cl_in "$scratch" reindex
	assert_ok "scratch: reindex after the reset"
	cl_in "$scratch" reject --as d-water 2022H2/t003 --comment "Redo the pear orchard plan."
	assert_ok "scratch: a different last transition"
	FORGED=$(git --git-dir="$scratch/history.git" rev-parse main)
	# the home's main is rewritten to the scratch's (plain git)
	git_h fetch -q --update-head-ok "$scratch/history.git" "+refs/heads/main:refs/heads/main"
	assert_eq "main was rewritten (precondition)" "$FORGED" "$(git_h rev-parse main)"
	assert_eq "the old tip is no longer on main (precondition)" "1" \
		"$(git_h merge-base --is-ancestor "$old_tip" main; echo $?)"

	cl verify
	assert_status "verify on a rewritten history" 7
	assert_contains "verify says rewritten" "$OUT" "rewritten"
	assert_contains "verify names the indexed head" "$OUT" "$old_tip"
	assert_match "verify names a commit" "$OUT" "^commit [0-9a-f]{40}: "

	snapshot
	cl list
	assert_status "list refuses on a rewritten history" 7
	assert_eq "list prints nothing" "" "$OUT"
	assert_eq "list raises the alarm" \
		"chainlog: history rewritten: indexed head $old_tip is not an ancestor of the branch tip" "$ERR"
	assert_unchanged "list on a rewritten history"
	cl show 2022H2/t003
	assert_status "show refuses on a rewritten history" 7
	assert_contains "show raises the alarm" "$ERR" "history rewritten"
	cl queue --as d-water
	assert_status "queue refuses on a rewritten history" 7
	cl approve --as v-nanzhao-02 2022H2/t002
	assert_status "approve refuses on a rewritten history" 7
	assert_contains "approve raises the alarm" "$ERR" "history rewritten"
	cl submit --as t004 --period 2022H2 --file "$SAMPLE/logs/t002-2022H2.yaml"
	assert_status "submit refuses on a rewritten history" 7
	assert_unchanged "transitions on a rewritten history"

	cl reindex
	assert_ok "reindex recovers"
	assert_eq "reindex output" "reindexed: 3 records, 8 transitions" "$OUT"
	cl list
	assert_ok "list after reindex"
	assert_match "list shows the rewritten history's state" "$(grep '^2022H2/t003 ' <<<"$OUT")" '^2022H2/t003 +returned '
	cl verify
	assert_ok "verify after reindex (the new history is legal)"
}

# ---- the auditor's view, on a demo-sized history -------------------------

# build_demo: the sample's whole 2022H2 cycle, as records/sample/demo-cycle.sh
# runs it: every talent files, t005 is returned once, three levels approve.
build_demo() {
	local t v d grades=(excellent competent competent basic) i=0
	must init "$HOME_DIR" --sample || return 1
	for t in $(sample_talents); do
		v=$(sample_field "$t" serves)
		# shellcheck disable=SC2046 # one argument per need
		write_log "$T/$t.yaml" $((60 + (10#${t#t} * 7) % 120)) \
			$(awk -v u="$v" '/- id:/ {id=$3} $1 == "unit:" && $2 == u {print id}' "$SAMPLE/needs.yaml")
		must submit --as "$t" --period 2022H2 --file "$T/$t.yaml" || return 1
	done
	must reject --as v-nanzhao-05 2022H2/t005 --comment "Please list the households you visited." || return 1
	for t in $(sample_talents); do
		[ "$t" = t005 ] && continue
		must approve --as "v-$(sample_field "$t" serves)" "2022H2/$t" || return 1
	done
	printf 'achievements: |\n  Visited all 96 households.\n' >>"$T/t005.yaml"
	must submit --as t005 --period 2022H2 --file "$T/t005.yaml" &&
		must approve --as v-nanzhao-05 2022H2/t005 --comment "Complete now." || return 1
	for t in $(sample_talents); do
		v=$(sample_field "$t" serves)
		must approve --as "tw-${v%-*}" "2022H2/$t" || return 1
	done
	for t in $(sample_talents); do
		d=$(sample_field "$t" dispatched_by)
		must approve --as "d-$d" "2022H2/$t" --grade "${grades[$((i % 4))]}" || return 1
		i=$((i + 1))
	done
}

test_auditor_queries() {
	build_demo || return
	local ntal commits
	ntal=$(sample_talents | wc -l)
	commits=$(commit_count)
	assert_eq "the demo's commits: init + 4 per talent + 2 for t005's round" "$((1 + 4 * ntal + 2))" "$commits"
	cl list --state approved
	assert_eq "every record approved" "$ntal" "$(printf '%s\n' "$OUT" | grep -c ' approved ')"
	cl verify
	assert_ok "verify on the demo-sized history"

	# each transition once, with its Record trailer
	git_h log --reverse --format='%H|%(trailers:key=Record,valueonly,separator=%x2C)|%(trailers:key=Action,valueonly,separator=%x2C)|%(trailers:key=Actor,valueonly,separator=%x2C)|%ae' main \
		>"$T/git.log"
	assert_eq "git log: one line per commit" "$commits" "$(wc -l <"$T/git.log")"
	assert_eq "git log: each commit once" "$commits" "$(cut -d'|' -f1 <"$T/git.log" | sort -u | wc -l)"
	assert_eq "git log: every commit but the init has one Record trailer" "$((commits - 1))" \
		"$(awk -F'|' '$2 != "" && $2 !~ /,/' "$T/git.log" | wc -l)"
	assert_eq "git log: no commit has two Record trailers" "0" "$(awk -F'|' '$2 ~ /,/' "$T/git.log" | wc -l)"
	assert_eq "git log: the author is the Actor, always" "" "$(awk -F'|' '$4 != $5' "$T/git.log")"
	sqlite3 -readonly "$HOME_DIR/index.sqlite" \
		"select lower(hex(commit_id)) || '|' || ifnull(record, '') || '|' || action || '|' || actor || '|' || actor from transitions order by seq" \
		>"$T/index.log"
	if cmp -s "$T/git.log" "$T/index.log"; then
		_pass "git log's transitions are the index's, in order"
	else
		_fail "git log's transitions are the index's, in order" "$(diff "$T/git.log" "$T/index.log" | head -10)"
	fi
	# shellcheck disable=SC2046 # one line per talent
	assert_eq "git log: each record's transitions" \
		"$(printf '4 %s\n' $(sample_talents | sed 's|^|2022H2/|') | sed 's|^4 2022H2/t005$|6 2022H2/t005|' | sort -k2)" \
		"$(awk -F'|' '$2 != "" {print $2}' "$T/git.log" | sort | uniq -c | awk '{print $1, $2}' | sort -k2)"
	assert_eq "git log --grep: one rejection" "1" "$(git_h log --grep='^Action: reject$' --format=%H main | wc -l)"
	assert_eq "git log --author: d-agri's approvals" \
		"$(awk '/dispatched_by: agri$/' "$SAMPLE/people.yaml" | wc -l)" "$(git_h log --author='<d-agri>' --format=%H main | wc -l)"

	# t005's file, as an auditor reads it
	local p=records/2022H2/6a/t005.yaml
	assert_eq "t005's path (FNV-1a shard)" "$p" "$(record_path 2022H2 t005)"
	assert_eq "git log -- the record file: its transitions" \
		$'t005 submit none pending-village\nv-nanzhao-05 reject pending-village returned\nt005 submit returned pending-village\nv-nanzhao-05 approve pending-village pending-township\ntw-nanzhao approve pending-township pending-department\nd-education approve pending-department approved' \
		"$(git_h log --reverse --format='%ae %(trailers:key=Action,valueonly,separator=%x2C) %(trailers:key=From,valueonly,separator=%x2C) %(trailers:key=To,valueonly,separator=%x2C)' main -- "$p")"
	cl history 2022H2/t005 --json
	assert_json "chainlog history agrees with git log" "$OUT" 'map(.commit)' \
		"$(git_h rev-list --reverse main -- "$p" | jq -R . | jq -sc .)"

	git_h blame --line-porcelain main -- "$p" >"$T/blame" 2>&1
	assert_eq "git blame names the actors" "d-education t005 tw-nanzhao v-nanzhao-05" \
		"$(sed -n 's/^author-mail <\(.*\)>$/\1/p' "$T/blame" | sort -u | tr '\n' ' ' | sed 's/ $//')"
	# every "actor: X" line of the file was written by X
	assert_eq "git blame: each actor line is X's own commit" "" \
		"$(awk '/^author-mail / {m = substr($2, 2, length($2) - 2)} /^\t/ {l = substr($0, 2); if (l ~ /^ *-? *actor: /) {sub(/^ *-? *actor: /, "", l); if (l != m) print "line by " m ": " $0}}' "$T/blame")"
	assert_eq "git blame: the grade line is the department's" "d-education" \
		"$(awk '/^author-mail / {m = substr($2, 2, length($2) - 2)} /^\t  grade: / {print m}' "$T/blame" | sort -u)"
	if git_h fsck --strict >"$T/fsck" 2>&1; then
		_pass "git fsck --strict on the demo-sized history"
	else
		_fail "git fsck --strict on the demo-sized history" "$(cat "$T/fsck")"
	fi
}

build_good
run_test test_good_home_verifies
run_test test_forge_control
run_test test_tamper_edit_summary
run_test test_tamper_edit_summary_in_transition
run_test test_tamper_actor_without_role
run_test test_tamper_author_only
run_test test_tamper_delete_record
run_test test_tamper_skip_level
run_test test_tamper_config_by_non_admin
run_test test_tamper_config_as_admin_by_other
run_test test_tamper_committer
run_test test_tamper_backdated
run_test test_rewritten_history
run_test test_auditor_queries
finish
