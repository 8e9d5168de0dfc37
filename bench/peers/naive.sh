#!/usr/bin/env bash
# naive.sh - the peer a county might write instead of chainlog: the same
# transition with the git CLI in a non-bare work tree (write the record
# file, `git add`, `git commit` with the trailers) plus the sqlite3 CLI
# updating a table of records.  No rules are checked; git and sqlite run
# with their default settings (git fsyncs packs but not loose objects or
# refs; sqlite's rollback journal fsyncs every update).
#
#   naive.sh setup SRC_GITDIR DIR
#       clones SRC_GITDIR into DIR/repo (checking out every record) and
#       makes DIR/records.sqlite with one row per record file
#   naive.sh run DIR PATH...
#       one village approval of each record file PATH (records/P/xx/T.yaml),
#       each as: sed the file, git add, git commit, git rev-parse, sqlite3
#       UPDATE; prints the microseconds of each, one per line
#
# Used by bench/run.sh; needs bash 5 (EPOCHREALTIME), git and sqlite3.
set -euo pipefail

setup() {
	local src=$1 dir=$2
	mkdir -p "$dir"
	git clone -q "$src" "$dir/repo"
	git -C "$dir/repo" config user.name "Naive Bench"
	git -C "$dir/repo" config user.email naive
	git -C "$dir/repo" ls-files records | awk -F/ '
		BEGIN {
			print "CREATE TABLE records (id TEXT PRIMARY KEY, period TEXT, talent TEXT,"
			print "  state TEXT, level TEXT, since TEXT, commit_id TEXT);"
			print "BEGIN;"
		}
		{ t = $4; sub(/\.yaml$/, "", t)
		  printf "INSERT INTO records VALUES (\047%s/%s\047, \047%s\047, \047%s\047, \047pending-village\047, \047village\047, \047\047, \047\047);\n", $2, t, $2, t }
		END { print "COMMIT;" }' | sqlite3 "$dir/records.sqlite"
}

act() { # $1: dir, $2: record path
	local dir=$1 path=$2 id t now sha
	t=${path##*/}; t=${t%.yaml}
	id="$(cut -d/ -f2 <<<"$path")/$t"
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	sed -i -e 's/^state: pending-village$/state: pending-township/' \
		-e 's/^level: village$/level: township/' "$dir/repo/$path"
	printf -- '- action: approve\n  actor: v-naive\n  from: pending-village\n  to: pending-township\n  level: village\n  at: %s\n' \
		"$now" >>"$dir/repo/$path"
	git -C "$dir/repo" add "$path"
	git -C "$dir/repo" commit -q --author "Naive Reviewer <v-naive>" \
		-m "approve $id (pending-village -> pending-township)" \
		-m "Record: $id
Action: approve
Actor: v-naive
From: pending-village
To: pending-township
Level: village"
	sha=$(git -C "$dir/repo" rev-parse HEAD)
	sqlite3 "$dir/records.sqlite" "UPDATE records SET state='pending-township', level='township', since='$now', commit_id='$sha' WHERE id='$id';"
}

run() {
	local dir=$1 p t0 t1
	shift
	for p in "$@"; do
		t0=${EPOCHREALTIME/./}
		act "$dir" "$p"
		t1=${EPOCHREALTIME/./}
		echo $((t1 - t0))
	done
}

case ${1:-} in
setup) shift; setup "$@" ;;
run) shift; run "$@" ;;
*) echo "usage: naive.sh setup SRC_GITDIR DIR | run DIR PATH..." >&2; exit 2 ;;
esac
