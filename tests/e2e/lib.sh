# lib.sh - shared helpers for chainlog's end-to-end tests.  Sourced by
# tests/e2e/*.sh, which meson runs with CHAINLOG=<binary> and
# SRCDIR=<source root>.
#
#   CHAINLOG_WRAP   optional prefix for every chainlog run (e.g. "valgrind -q
#                   --error-exitcode=99"); empty by default
#   E2E_KEEP=1      keep the temporary directory (its path is printed)
#   E2E_VERBOSE=1   print every passing assertion too
#   E2E_ONLY=NAME   run only the tests whose name contains NAME
#
# A script defines test_* functions and calls `run_test test_foo` for each,
# then `finish`.  Each test gets a fresh directory $T and a home path
# $HOME_DIR=$T/home (not created).  `cl ARGS` runs chainlog -C $HOME_DIR ARGS
# and leaves $OUT, $ERR (trailing newlines stripped) and $STATUS.  Refused
# commands are checked with `snapshot` ... `assert_unchanged`.  A check that
# fails because of a known chainlog bug is wrapped in `known_bug "what"
# assert_...`: it prints KNOWN BUG and counts neither as pass nor as fail.

set -u
set -o pipefail

if [ -z "${CHAINLOG:-}" ] || [ -z "${SRCDIR:-}" ]; then
	echo "lib.sh: CHAINLOG and SRCDIR must be set (meson test sets them)" >&2
	exit 2
fi
if [ ! -x "$CHAINLOG" ]; then
	echo "lib.sh: CHAINLOG '$CHAINLOG' is not an executable" >&2
	exit 2
fi
for _tool in git sqlite3 jq; do
	if ! command -v "$_tool" >/dev/null 2>&1; then
		echo "lib.sh: '$_tool' is required by the end-to-end tests" >&2
		exit 2
	fi
done

CHAINLOG_WRAP=${CHAINLOG_WRAP:-}
export CHAINLOG_FSYNC=${CHAINLOG_FSYNC:-0}
unset CHAINLOG_HOME
# shellcheck disable=SC2034 # used by the scripts that source this file
SAMPLE=$SRCDIR/records/sample
# shellcheck disable=SC2034
WORKFLOWS=$SRCDIR/workflows

E2E_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/chainlog-e2e.XXXXXX")
if [ "${E2E_KEEP:-}" = 1 ]; then
	echo "keeping $E2E_ROOT"
else
	trap 'rm -rf "$E2E_ROOT"' EXIT
fi

# Keep the user's and the system's git configuration out of the tests, and
# give plain git an identity for the audit scripts' hand-made commits.
export HOME=$E2E_ROOT/user
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="E2E Test" GIT_AUTHOR_EMAIL="e2e@example.invalid"
export GIT_COMMITTER_NAME="E2E Test" GIT_COMMITTER_EMAIL="e2e@example.invalid"
unset GIT_DIR GIT_INDEX_FILE GIT_WORK_TREE

PASS=0
FAIL=0
KNOWN=0
TEST_NAME=""
TEST_SEQ=0
T=""
HOME_DIR=""
OUT=""
ERR=""
STATUS=0
LAST_CMD=""
SNAP=""
_KB_MODE=0
_KB_FAILED=0
_KB_DETAIL=""
declare -A _KB_SEEN=()

# ---- running tests -----------------------------------------------------

# run_test FUNCTION: runs one test in a fresh directory.
run_test() {
	local fn=$1
	if [ -n "${E2E_ONLY:-}" ] && [[ $fn != *"$E2E_ONLY"* ]]; then
		return 0
	fi
	TEST_SEQ=$((TEST_SEQ + 1))
	TEST_NAME=${fn#test_}
	T=$E2E_ROOT/$(printf '%02d' "$TEST_SEQ")-$TEST_NAME
	mkdir -p "$T"
	HOME_DIR=$T/home
	echo "== $TEST_NAME"
	"$fn"
}

# finish: the summary line; the script's exit status.
finish() {
	if [ "$KNOWN" -gt 0 ]; then
		echo "$KNOWN known bug(s), not counted:"
		printf '  - %s\n' "${!_KB_SEEN[@]}"
	fi
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

# ---- running chainlog ----------------------------------------------------

# cl ARGS...: chainlog -C $HOME_DIR ARGS; sets OUT, ERR, STATUS, LAST_CMD.
cl() {
	# shellcheck disable=SC2086 # CHAINLOG_WRAP is a word list by design
	$CHAINLOG_WRAP "$CHAINLOG" -C "$HOME_DIR" "$@" >"$T/.cl.out" 2>"$T/.cl.err"
	STATUS=$?
	OUT=$(cat "$T/.cl.out")
	ERR=$(cat "$T/.cl.err")
	LAST_CMD="chainlog $(printf '%q ' "$@")"
}

# cl_in DIR ARGS...: like cl, with another home.
cl_in() {
	local save=$HOME_DIR
	HOME_DIR=$1
	shift
	cl "$@"
	HOME_DIR=$save
}

# must ARGS...: a setup step that has to succeed; a failure is counted
# (with the command and its stderr) and the caller can test $STATUS.
must() {
	cl "$@"
	if [ "$STATUS" -ne 0 ]; then
		_fail "setup step failed: $LAST_CMD" "status $STATUS" "stderr: $ERR"
		return 1
	fi
	return 0
}

# git_h ARGS...: plain git on $HOME_DIR/history.git.
git_h() {
	git --git-dir="$HOME_DIR/history.git" "$@"
}

# sql QUERY: the index, read only.
sql() {
	sqlite3 -readonly "$HOME_DIR/index.sqlite" "$1"
}

# index_copy FROM TO: copies an index whole, with no chainlog running: the
# file and its write-ahead log (which holds the commits since the last
# checkpoint), or no log if FROM has none.
index_copy() {
	cp "$1" "$2" || return 1
	if [ -e "$1-wal" ]; then cp "$1-wal" "$2-wal"; else rm -f "$2-wal"; fi
}

# ---- assertions ----------------------------------------------------------

_pass() {
	if [ "$_KB_MODE" = 1 ]; then
		return 0
	fi
	PASS=$((PASS + 1))
	if [ -n "${E2E_VERBOSE:-}" ]; then
		echo "  ok: $1"
	fi
}

_fail() {
	local what=$1 line
	shift
	if [ "$_KB_MODE" = 1 ]; then
		_KB_FAILED=1
		_KB_DETAIL+="      $what"$'\n'
		for line in "$@"; do
			_KB_DETAIL+="        ${line//$'\n'/$'\n'        }"$'\n'
		done
		return 0
	fi
	FAIL=$((FAIL + 1))
	echo "  FAIL [$TEST_NAME]: $what"
	for line in "$@"; do
		echo "        ${line//$'\n'/$'\n'        }"
	done
}

# known_bug DESCRIPTION ASSERTION ARGS...: runs the assertion; its result is
# not counted.  Prints KNOWN BUG when it fails (the bug is still there), or
# a note when it passes (the bug may have been fixed: drop the wrapper).
known_bug() {
	local desc=$1
	shift
	_KB_MODE=1
	_KB_FAILED=0
	_KB_DETAIL=""
	"$@"
	_KB_MODE=0
	if [ "$_KB_FAILED" = 1 ]; then
		if [ -z "${_KB_SEEN[$desc]:-}" ]; then
			_KB_SEEN[$desc]=1
			KNOWN=$((KNOWN + 1))
		fi
		echo "  KNOWN BUG [$TEST_NAME]: $desc"
		printf '%s' "$_KB_DETAIL"
	else
		echo "  NOTE [$TEST_NAME]: known bug no longer reproduces (fixed?): $desc"
	fi
}

# assert_eq DESC EXPECTED ACTUAL
assert_eq() {
	if [ "$2" == "$3" ]; then
		_pass "$1"
	else
		_fail "$1" "expected: $(_show "$2")" "got:      $(_show "$3")"
	fi
}

# assert_ne DESC UNEXPECTED ACTUAL
assert_ne() {
	if [ "$2" != "$3" ]; then
		_pass "$1"
	else
		_fail "$1" "expected anything but: $(_show "$2")"
	fi
}

# assert_contains DESC HAYSTACK NEEDLE (fixed string)
assert_contains() {
	if [[ $2 == *"$3"* ]]; then
		_pass "$1"
	else
		_fail "$1" "expected to contain: $(_show "$3")" "in: $(_show "$2")"
	fi
}

# assert_not_contains DESC HAYSTACK NEEDLE
assert_not_contains() {
	if [[ $2 != *"$3"* ]]; then
		_pass "$1"
	else
		_fail "$1" "expected not to contain: $(_show "$3")" "in: $(_show "$2")"
	fi
}

# assert_match DESC STRING ERE
assert_match() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		_pass "$1"
	else
		_fail "$1" "expected to match /$3/" "in: $(_show "$2")"
	fi
}

# assert_status DESC EXPECTED: the status of the last cl.
assert_status() {
	if [ "$STATUS" = "$2" ]; then
		_pass "$1"
	else
		_fail "$1: exit status" "command: $LAST_CMD" "expected status $2, got $STATUS" \
			"stdout: $(_show "$OUT")" "stderr: $(_show "$ERR")"
	fi
}

# assert_ok DESC: the last cl exited 0 and printed nothing on stderr.
assert_ok() {
	assert_status "$1" 0
}

# assert_err DESC STATUS MESSAGE: a refusal: exit STATUS, stdout empty, and
# stderr exactly one line, "chainlog: MESSAGE".
assert_err() {
	assert_status "$1" "$2"
	assert_eq "$1: stderr is exactly the message" "chainlog: $3" "$ERR"
	assert_eq "$1: nothing on stdout" "" "$OUT"
}

# assert_one_line DESC STRING
assert_one_line() {
	local n
	n=$(printf '%s\n' "$2" | wc -l)
	if [ -n "$2" ] && [ "$n" -eq 1 ]; then
		_pass "$1"
	else
		_fail "$1: expected exactly one line, got $n" "$(_show "$2")"
	fi
}

# assert_file DESC PATH
assert_file() {
	if [ -f "$2" ]; then _pass "$1"; else _fail "$1" "no file $2"; fi
}

# assert_no_file DESC PATH
assert_no_file() {
	if [ ! -e "$2" ]; then _pass "$1"; else _fail "$1" "$2 exists"; fi
}

# assert_json DESC JSON JQ-EXPR EXPECTED: jq -c EXPR of JSON equals EXPECTED.
assert_json() {
	local got
	got=$(printf '%s' "$2" | jq -c "$3" 2>&1)
	if [ "$got" == "$4" ]; then
		_pass "$1"
	else
		_fail "$1" "jq: $3" "expected: $4" "got:      $(_show "$got")"
	fi
}

_show() {
	local s=$1
	if [ -z "$s" ]; then
		printf '(empty)'
		return
	fi
	if [ ${#s} -gt 1500 ]; then
		s="${s:0:1500}... (${#1} chars)"
	fi
	if [[ $s == *[![:print:]]* ]]; then
		printf '%q' "$s"
	else
		printf "'%s'" "$s"
	fi
}

# ---- state of a home -----------------------------------------------------

# shellcheck disable=SC2120 # HOME is optional
# snapshot_state [HOME]: the branch tip, commit count, refs, the index's
# transitions count and records/waiting tables, and the home's files.
snapshot_state() {
	local h=${1:-$HOME_DIR}
	local g=$h/history.git
	echo "tip: $(git --git-dir="$g" rev-parse --verify -q refs/heads/main)"
	echo "commits: $(git --git-dir="$g" rev-list --count refs/heads/main 2>&1)"
	echo "refs:"
	git --git-dir="$g" for-each-ref --format='  %(refname) %(objectname)' 2>&1
	echo "transitions: $(sqlite3 -readonly "$h/index.sqlite" 'select count(*) from transitions' 2>&1)"
	echo "records:"
	sqlite3 -readonly "$h/index.sqlite" 'select * from records order by id' 2>&1
	echo "waiting:"
	sqlite3 -readonly "$h/index.sqlite" 'select * from waiting order by record, person' 2>&1
	echo "index head: $(sqlite3 -readonly "$h/index.sqlite" "select value from meta where key = 'head'" 2>&1)"
	# shellcheck disable=SC2012 # the names are chainlog's own
	echo "home files: $(cd "$h" && ls -A | tr '\n' ' ')"
}

# snapshot: remembers the state of $HOME_DIR.
snapshot() {
	# shellcheck disable=SC2119
	SNAP=$(snapshot_state)
}

# assert_unchanged DESC: $HOME_DIR is as at the last snapshot.
assert_unchanged() {
	local now
	# shellcheck disable=SC2119
	now=$(snapshot_state)
	if [ "$now" == "$SNAP" ]; then
		_pass "$1: nothing changed"
	else
		_fail "$1: the home changed" "$(diff <(printf '%s\n' "$SNAP") <(printf '%s\n' "$now") | head -20)"
	fi
}

# ---- building homes and configurations ----------------------------------

# shard TALENT: records/<period>/<shard>/, FNV-1a 32 of the id, low byte.
shard() {
	local s=$1 h=2166136261 i c
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		h=$(((h ^ c) * 16777619 & 0xffffffff))
	done
	printf '%02x' $((h & 0xff))
}

# record_path PERIOD TALENT
record_path() {
	echo "records/$1/$(shard "$2")/$2.yaml"
}

# make_confdir DIR WORKFLOW-FILE: DIR gets workflow.yaml and the sample's
# org, people and needs.
make_confdir() {
	mkdir -p "$1"
	cp "$SAMPLE/org.yaml" "$SAMPLE/people.yaml" "$SAMPLE/needs.yaml" "$1/"
	cp "$2" "$1/workflow.yaml"
}

# sample_field TALENT KEY: a talent's field from the sample's people.yaml.
sample_field() {
	awk -v t="$1" -v k="$2:" '$0 ~ "^  - id: "t"$" {f=1; next}
		f && /^  - id:/ {exit}
		f && $1 == k {print $2; exit}' "$SAMPLE/people.yaml"
}

# sample_talents: the talent ids of the sample, in file order.
sample_talents() {
	awk '/^  - id: t[0-9]+$/ {print $3}' "$SAMPLE/people.yaml"
}

# write_log FILE DAYS [NEED...]: a small valid work log.
write_log() {
	local f=$1 days=$2 n
	shift 2
	{
		printf 'summary: |\n  Visited households and joined the branch meetings.\n'
		printf 'days_in_village: %s\n' "$days"
		if [ $# -gt 0 ]; then
			printf 'needs:\n'
			for n in "$@"; do printf '  - %s\n' "$n"; done
		fi
	} >"$f"
}

# trailer [REV] KEY: the values of trailer KEY of commit REV (default main).
trailer() {
	local rev=main
	if [ $# -eq 2 ]; then
		rev=$1
		shift
	fi
	git_h log -1 --format="%(trailers:key=$1,valueonly)" "$rev" | sed '/^$/d'
}

# commit_count: the number of commits on main.
commit_count() {
	git_h rev-list --count refs/heads/main
}
