#!/usr/bin/env bash
# config.sh - configuration changes with `config apply`: by the
# administrator (one commit, Action: config, visible at once), and the
# refusals (not an administrator, a change that would strand a record, a
# level removed under a record, an unchanged or broken configuration).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

T001_LOG=$SAMPLE/logs/t001-2022H2.yaml
T002_LOG=$SAMPLE/logs/t002-2022H2.yaml

# start: a home from $T/conf (the sample with three-level.yaml), with
# 2022H2/t001 pending-village and 2022H2/t002 pending-township.
start() {
	make_confdir "$T/conf" "$WORKFLOWS/three-level.yaml"
	must init "$HOME_DIR" --config "$T/conf" &&
		must submit --as t001 --period 2022H2 --file "$T001_LOG" &&
		must submit --as t002 --period 2022H2 --file "$T002_LOG" &&
		must approve --as v-nanzhao-02 2022H2/t002
}

# newconf NAME: a copy of $T/conf to edit, as $T/NAME.
newconf() {
	rm -rf "${T:?}/$1"
	cp -r "$T/conf" "$T/$1"
}

bump_version() {
	sed -i "s/^  version: [0-9]*/  version: $2/" "$1/workflow.yaml"
}

# add_person CONFDIR ID NAME ROLE UNIT: appends a person with one role.
add_person() {
	printf '  - id: %s\n    name: %s\n    roles:\n      - role: %s\n        unit: %s\n' \
		"$2" "$3" "$4" "$5" >>"$1/people.yaml"
}

# drop_person CONFDIR ID: removes a person's entry.
drop_person() {
	awk -v id="$2" '$0 == "  - id: " id {skip=1; next}
		skip && /^  - id: / {skip=0}
		skip && /^  #/ {skip=0}
		!skip' "$1/people.yaml" >"$1/people.tmp" && mv "$1/people.tmp" "$1/people.yaml"
}

test_apply_by_admin() {
	start || return
	local before
	before=$(git_h rev-parse main)
	newconf c2
	add_person "$T/c2" v2-nanzhao-01 "Li Deputy" secretary nanzhao-01
	bump_version "$T/c2" 2
	cl config apply --as admin "$T/c2" --comment "A second secretary at Xiying Community."
	assert_ok "config apply by the administrator"
	assert_eq "config apply: output" "configuration applied" "$OUT"
	assert_eq "one new commit" "$before" "$(git_h rev-parse main~1)"
	assert_eq "Action: config" "config" "$(trailer Action)"
	assert_eq "Actor: admin" "admin" "$(trailer Actor)"
	assert_eq "no Record trailer" "" "$(trailer Record)"
	assert_eq "author is the administrator" "Bai Jianguo <admin>" "$(git_h log -1 --format='%an <%ae>')"
	assert_eq "subject names the new workflow version" "config: workflow weishan-three-level@2" "$(git_h log -1 --format=%s)"
	assert_eq "the comment is the body" "A second secretary at Xiying Community." "$(git_h log -1 --format=%b | sed -n 1p)"
	assert_eq "only config/ files changed" "config/people.yaml config/workflow.yaml" \
		"$(git_h diff-tree --no-commit-id --name-only -r main~1 main | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "config/people.yaml is the file applied" "$(cat "$T/c2/people.yaml")" "$(git_h show main:config/people.yaml)"

	cl people --json
	assert_json "people: the new person" "$OUT" '.[] | select(.id == "v2-nanzhao-01") | [.name, .roles]' \
		'["Li Deputy",[{"role":"secretary","unit":"nanzhao-01"}]]'
	assert_json "people: 191 now" "$OUT" length '191'
	cl show 2022H2/t001 --json
	assert_json "the waiting record has a second reviewer" "$OUT" .waiting_on '["v-nanzhao-01","v2-nanzhao-01"]'
	cl queue --as v2-nanzhao-01 --json
	assert_json "the new reviewer's queue" "$OUT" 'map(.id)' '["2022H2/t001"]'
	cl list --json
	assert_json "the index knows the new reviewer" "$OUT" '.[] | select(.id == "2022H2/t001") | .waiting_on' \
		'["v-nanzhao-01","v2-nanzhao-01"]'
	cl workflow show --json
	assert_json "the workflow in force" "$OUT" .workflow '"weishan-three-level@2"'

	cl approve --as v2-nanzhao-01 2022H2/t001
	assert_ok "the new reviewer approves"
	cl show 2022H2/t001 --json
	assert_json "approved at the village by the new reviewer" "$OUT" '[.state, .approvals[0].actor]' \
		'["pending-township","v2-nanzhao-01"]'
	assert_json "the record names the workflow of its latest transition (FORMAT.md)" "$OUT" .workflow '"weishan-three-level@2"'
	assert_contains "record file: workflow @2" "$(git_h show "main:$(record_path 2022H2 t001)")" $'\nworkflow: weishan-three-level@2\n'
	cl show 2022H2/t002 --json
	assert_json "a record untouched since the change still names @1" "$OUT" .workflow '"weishan-three-level@1"'
	write_log "$T/t003.yaml" 40
	must submit --as t003 --period 2022H2 --file "$T/t003.yaml" || return
	cl show 2022H2/t003 --json
	assert_json "a record submitted under @2 says so" "$OUT" .workflow '"weishan-three-level@2"'

	cl verify
	assert_ok "verify after a configuration change"
	assert_eq "verify output" "verify: ok, $(commit_count) commits replayed, index in agreement" "$OUT"
	rm "$HOME_DIR/index.sqlite"
	cl queue --as v2-nanzhao-01 --json
	assert_ok "queue after an index rebuild across the change"
	assert_json "nothing waits on the new reviewer now" "$OUT" . '[]'
}

test_apply_switch_workflow() {
	start || return
	newconf four
	cp "$WORKFLOWS/four-level.yaml" "$T/four/workflow.yaml"
	bump_version "$T/four" 2
	cl config apply --as admin "$T/four"
	assert_ok "switch to the four-level workflow (records at village and township)"
	assert_eq "subject" "config: workflow weishan-four-level@2" "$(git_h log -1 --format=%s)"
	must approve --as tw-nanzhao 2022H2/t002 &&
		must approve --as d-forestry 2022H2/t002 || return
	cl show 2022H2/t002 --json
	assert_json "the new county level applies" "$OUT" '[.state, .waiting_on]' '["pending-county",["c-weishan"]]'
	cl approve --as c-weishan 2022H2/t002 --grade excellent
	assert_ok "the county grades"
	cl verify
	assert_ok "verify across the switch"
}

test_apply_hands_over_admin() {
	start || return
	newconf c2
	# the admin role moves from admin to c-weishan
	sed -i '/^  - id: admin$/,/^  - id:/ s/role: config-admin/role: observer/' "$T/c2/people.yaml"
	sed -i '/^  - id: c-weishan$/,/^  - id:/ s/^      - role: secretary$/      - role: config-admin\n        unit: weishan\n      - role: secretary/' "$T/c2/people.yaml"
	cl config apply --as admin "$T/c2"
	assert_ok "the administrator hands over the role"
	cl people --json
	assert_json "c-weishan holds the admin role" "$OUT" '.[] | select(.id == "c-weishan") | .roles | map(.role)' '["config-admin","secretary"]'
	newconf c3
	cp "$T/c2/people.yaml" "$T/c3/people.yaml"
	bump_version "$T/c3" 3
	snapshot
	cl config apply --as admin "$T/c3"
	assert_err "the former administrator" 5 \
		"'admin' does not hold the admin role 'config-admin'; only an administrator may change the configuration"
	assert_unchanged "the former administrator"
	cl config apply --as c-weishan "$T/c3"
	assert_ok "the new administrator"
	assert_eq "Actor: c-weishan" "c-weishan" "$(trailer Actor)"
	cl verify
	assert_ok "verify after the handover"
}

test_apply_by_non_admin() {
	start || return
	newconf c2
	add_person "$T/c2" v2-nanzhao-01 "Li Deputy" secretary nanzhao-01
	snapshot
	cl config apply --as v-nanzhao-01 "$T/c2"
	assert_err "a village secretary applies a configuration" 5 \
		"'v-nanzhao-01' does not hold the admin role 'config-admin'; only an administrator may change the configuration"
	assert_unchanged "config apply by a non-administrator"
	cl config apply --as t001 "$T/c2"
	assert_err "a talent applies a configuration" 5 \
		"'t001' does not hold the admin role 'config-admin'; only an administrator may change the configuration"
	assert_unchanged "config apply by a talent"
	cl config apply --as nobody "$T/c2"
	assert_err "an unknown person applies a configuration" 4 "unknown person 'nobody'"
	assert_unchanged "config apply by an unknown person"
	cl config apply --as "../admin" "$T/c2"
	assert_err "an invalid person id applies a configuration" 3 "'../admin' is not a valid person id"
	assert_unchanged "config apply by an invalid id"
	cl people --json
	assert_json "the people in force are unchanged" "$OUT" '[.[] | select(.id == "v2-nanzhao-01")] | length' '0'

	# granting oneself the role in the very change does not help
	newconf c3
	sed -i '/^  - id: v-nanzhao-01$/,/^  - id:/ s/^        unit: nanzhao-01$/        unit: nanzhao-01\n      - role: config-admin\n        unit: weishan/' "$T/c3/people.yaml"
	assert_contains "the self-grant is in the file (precondition)" "$(sed -n '/^  - id: v-nanzhao-01$/,/^  - id: v-nanzhao-02$/p' "$T/c3/people.yaml")" "role: config-admin"
	cl config apply --as v-nanzhao-01 "$T/c3"
	assert_err "a non-administrator grants themselves the role" 5 \
		"'v-nanzhao-01' does not hold the admin role 'config-admin'; only an administrator may change the configuration"
	assert_unchanged "config apply with a self-grant"
}

test_apply_strands_reviewer() {
	start || return
	newconf c2
	drop_person "$T/c2" v-nanzhao-01
	assert_eq "v-nanzhao-01 is gone from the new file (precondition)" "" "$(grep 'id: v-nanzhao-01$' "$T/c2/people.yaml")"
	snapshot
	cl config apply --as admin "$T/c2"
	assert_err "removing the only reviewer a record waits on" 5 \
		"refused: the change would strand a record in flight: 2022H2/t001: nobody could act on it at level 'village' under the new configuration"
	assert_contains "the refusal says strand" "$ERR" "strand"
	assert_unchanged "a stranding change"

	newconf c3
	sed -i '/^  - id: v-nanzhao-01$/,/^  - id:/ s/^        unit: nanzhao-01$/        unit: nanzhao-02/' "$T/c3/people.yaml"
	snapshot
	cl config apply --as admin "$T/c3"
	assert_err "moving the only reviewer elsewhere" 5 \
		"refused: the change would strand a record in flight: 2022H2/t001: nobody could act on it at level 'village' under the new configuration"
	assert_unchanged "moving the reviewer"

	newconf c4
	drop_person "$T/c4" t001
	snapshot
	cl config apply --as admin "$T/c4"
	assert_err "removing the talent of a record in flight" 5 \
		"refused: the change would strand a record in flight: 2022H2/t001: the new people file drops its talent 't001'"
	assert_unchanged "removing a talent"

	# once the record moved on, the same change is fine
	must approve --as v-nanzhao-01 2022H2/t001 || return
	cl config apply --as admin "$T/c2"
	assert_ok "removing a reviewer nobody waits on"
	cl verify
	assert_ok "verify after the change"
}

test_apply_removes_level() {
	start || return
	newconf two
	cp "$WORKFLOWS/two-level.yaml" "$T/two/workflow.yaml"
	snapshot
	cl config apply --as admin "$T/two"
	assert_err "removing the level a record is at" 5 \
		"refused: the change would strand a record in flight: 2022H2/t002: the new workflow has no state 'pending-township', which the record is in"
	assert_unchanged "removing a level in use"

	newconf renamed
	sed -i 's/^    - id: village$/    - id: hamlet/' "$T/renamed/workflow.yaml"
	snapshot
	cl config apply --as admin "$T/renamed"
	assert_err "renaming the level a record is at" 5 \
		"refused: the change would strand a record in flight: 2022H2/t001: the new workflow has no state 'pending-village', which the record is in"
	assert_unchanged "renaming a level in use"

	must approve --as tw-nanzhao 2022H2/t002 || return
	cl config apply --as admin "$T/two"
	assert_ok "removing the township once no record is there"
	cl show 2022H2/t002 --json
	assert_json "the record continues at the department" "$OUT" '[.state, .waiting_on]' '["pending-department",["d-forestry"]]'
	cl verify
	assert_ok "verify after the level was removed"
}

test_apply_unchanged() {
	start || return
	snapshot
	cl config apply --as admin "$T/conf"
	assert_err "the configuration in force, again" 3 "the configuration is unchanged; nothing to apply"
	assert_unchanged "an unchanged configuration"
	newconf c2
	cl config apply --as admin "$T/c2" --comment "Same files, new comment."
	assert_err "an identical copy, with a comment" 3 "the configuration is unchanged; nothing to apply"
	assert_unchanged "an identical copy"
}

test_apply_broken() {
	start || return
	newconf c2
	printf 'people:\n  - id: admin\n    name: [Bai\n' >"$T/c2/people.yaml"
	snapshot
	cl config apply --as admin "$T/c2"
	assert_status "a people file with a syntax error" 3
	assert_match "it names people.yaml:line:col" "$ERR" "^chainlog: $T/c2/people.yaml:[0-9]+:[0-9]+: "
	assert_one_line "one line" "$ERR"
	assert_unchanged "a broken people file"

	newconf c3
	sed -i 's/^  on_reject: talent .*/&\n  colour: blue/' "$T/c3/workflow.yaml"
	snapshot
	cl config apply --as admin "$T/c3"
	assert_err "a workflow with an unknown key" 3 \
		"$T/c3/workflow.yaml:$(grep -n '^  colour' "$T/c3/workflow.yaml" | cut -d: -f1):3: unknown key 'colour' in workflow (expected one of: id, title, version, admin_role, on_reject, fields, levels)"
	assert_unchanged "a broken workflow"

	newconf c4
	add_person "$T/c4" v2-nanzhao-01 "Li Deputy" secretary nowhere-99
	snapshot
	cl config apply --as admin "$T/c4"
	assert_status "a role at an unknown unit" 3
	assert_match "it names people.yaml:line:col and the unit" "$ERR" "^chainlog: $T/c4/people.yaml:[0-9]+:[0-9]+: .*'nowhere-99'"
	assert_unchanged "an unknown unit"
}

run_test test_apply_by_admin
run_test test_apply_switch_workflow
run_test test_apply_hands_over_admin
run_test test_apply_by_non_admin
run_test test_apply_strands_reviewer
run_test test_apply_removes_level
run_test test_apply_unchanged
run_test test_apply_broken
finish
