#!/usr/bin/env bash
# serve.sh - `chainlog serve`: the transition commands hand their work to a
# running server of the home and print and exit exactly as they would on
# their own; refusals through it change nothing; without a live server
# (stopped, killed, CHAINLOG_SERVER=0) every command does its own work.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

T001_LOG=$SAMPLE/logs/t001-2022H2.yaml
SERVER_PID=""

# start_server: runs `chainlog serve` on $HOME_DIR, its stderr in
# $T/serve.log, and waits for its socket.
start_server() {
	# gone first: the redirection below happens in the child, and until
	# then an earlier server's log would pass for this one's
	rm -f "$T/serve.log"
	# shellcheck disable=SC2086 # CHAINLOG_WRAP is a command prefix
	$CHAINLOG_WRAP "$CHAINLOG" -C "$HOME_DIR" serve 2>"$T/serve.log" &
	SERVER_PID=$!
	for _ in $(seq 1 200); do
		grep -q '^chainlog serve: serving' "$T/serve.log" 2>/dev/null && return 0
		sleep 0.05
	done
	_fail "the server did not start" "$(cat "$T/serve.log")"
	return 1
}

# stop_server: SIGTERM; the server must exit 0 (under CHAINLOG_WRAP=valgrind
# that also means no memory error and no leak in the server).
stop_server() {
	local st
	[ -n "$SERVER_PID" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	st=$?
	SERVER_PID=""
	assert_eq "the server stops cleanly on SIGTERM ($(tail -n 3 "$T/serve.log" | tr '\n' ' '))" 0 "$st"
}

served() { grep -c '^chainlog serve: \(submit\|approve\|reject\|withdraw\) ' "$T/serve.log"; }
sock_state() { if [ -S "$HOME_DIR/chainlog.sock" ]; then echo socket; else echo none; fi; }

test_served_transitions() {
	must init "$HOME_DIR" --sample || return
	start_server || return
	cl submit --as t001 --period 2022H2 --file "$T001_LOG"
	assert_ok "submit through the server"
	assert_eq "submit prints the record id" "2022H2/t001" "$OUT"
	assert_eq "the server ran it" "chainlog serve: submit 2022H2/t001 by t001: done" \
		"$(sed -n 2p "$T/serve.log")"
	cl approve --as v-nanzhao-01 --json 2022H2/t001
	assert_ok "approve --json through the server"
	assert_json "the answer" "$OUT" '[.id, .state, .level]' '["2022H2/t001","pending-township","township"]'
	assert_eq "the answer names the tip" "$(git_h rev-parse main)" "$(jq -r .commit <<<"$OUT")"
	cl reject --as tw-nanzhao --comment "Name the households." 2022H2/t001
	assert_ok "reject with a comment through the server"
	assert_eq "the comment is in the commit" "Name the households." \
		"$(git_h log -1 --format=%b | sed -n 1p)"
	assert_eq "trailers of the three commits" "submit approve reject " \
		"$(git_h log -3 --reverse --format='%(trailers:key=Action,valueonly,separator=)' | tr '\n' ' ')"
	assert_eq "authors are the actors" "t001 v-nanzhao-01 tw-nanzhao " \
		"$(git_h log -3 --reverse --format=%ae | tr '\n' ' ')"
	assert_eq "four commits" 4 "$(commit_count)"
	assert_eq "three requests served" 3 "$(served)"
	cl show 2022H2/t001 --json
	assert_json "the index agrees" "$OUT" '[.state, .waiting_on]' '["returned",["t001"]]'
	stop_server
	assert_eq "the socket is gone after SIGTERM" none "$(sock_state)"
	cl verify
	assert_ok "verify after served transitions"
	git_h fsck --strict >/dev/null 2>&1
	assert_eq "git fsck --strict" 0 "$?"
}

test_served_refusals_match() {
	local direct_err direct_status
	must init "$HOME_DIR" --sample || return
	must submit --as t001 --period 2022H2 --file "$T001_LOG" || return
	# the refusal as the command gives it on its own...
	CHAINLOG_SERVER=0 cl approve --as tw-nanzhao 2022H2/t001
	direct_err=$ERR direct_status=$STATUS
	assert_status "refused in-process" 5 "$STATUS"
	start_server || return
	snapshot
	# ...and through the server: the same words, the same status
	cl approve --as tw-nanzhao 2022H2/t001
	assert_status "refused through the server" "$direct_status"
	assert_eq "the same message" "$direct_err" "$ERR"
	assert_eq "nothing on stdout" "" "$OUT"
	assert_unchanged "a refusal through the server"
	assert_eq "the server saw it" 1 "$(served)"
	printf 'summary: x\ndays_in_village: 200\n' >"$T/bad.yaml"
	cl submit --as t002 --period 2022H2 --file "$T/bad.yaml"
	local served_err=$ERR served_status=$STATUS
	assert_unchanged "a bad log through the server"
	assert_eq "the server saw both" 2 "$(served)"
	stop_server
	snapshot
	CHAINLOG_SERVER=0 cl submit --as t002 --period 2022H2 --file "$T/bad.yaml"
	assert_eq "a bad log: same status" "$STATUS" "$served_status"
	assert_eq "a bad log: same message (file:line:column)" "$ERR" "$served_err"
	assert_contains "the message names the file and line" "$served_err" "bad.yaml:2:"
	assert_unchanged "a bad log in-process"
}

test_no_live_server() {
	must init "$HOME_DIR" --sample || return
	start_server || return
	cl serve
	assert_status "a second server is refused" 9 "$STATUS"
	assert_contains "it says why" "$ERR" "a server already serves this home"
	kill -KILL "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=""
	assert_eq "a killed server leaves its socket" socket "$(sock_state)"
	cl submit --as t001 --period 2022H2 --file "$T001_LOG"
	assert_ok "with a dead server the command does its own work"
	assert_eq "one submission" 2 "$(commit_count)"
	start_server || return
	assert_eq "a new server replaces the stale socket" 1 "$(grep -c serving "$T/serve.log")"
	CHAINLOG_SERVER=0 cl approve --as v-nanzhao-01 2022H2/t001
	assert_ok "CHAINLOG_SERVER=0 skips the server"
	assert_eq "the server was not asked" 0 "$(served)"
	cl approve --as tw-nanzhao 2022H2/t001
	assert_ok "the server sees what was done beside it"
	cl show 2022H2/t001 --json
	assert_json "after both" "$OUT" '.state' '"pending-department"'
	stop_server
	cl verify
	assert_ok "verify"
}

# never leave a server behind, whatever happens
trap '[ -n "$SERVER_PID" ] && kill -KILL "$SERVER_PID" 2>/dev/null; [ "${E2E_KEEP:-}" = 1 ] || rm -rf "$E2E_ROOT"' EXIT

run_test test_served_transitions
run_test test_served_refusals_match
run_test test_no_live_server
finish
