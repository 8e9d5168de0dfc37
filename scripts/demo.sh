#!/usr/bin/env bash
# demo.sh - the main job: one half-year cycle of the bundled Weishan sample.
#
# Installs what is missing, builds chainlog, creates a home in ./demo-home
# (or $1), and runs 2022H2: all 83 talents file their logs; every level
# reviews; one log is refused for a bad field, one is rejected and
# resubmitted; the last level grades.  It ends with an auditor's view of
# one record through plain git, and `chainlog verify`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/deps.sh"
chainlog_deps
if [ ! -f "$here/build/build.ninja" ]; then
	meson setup "$here/build" "$here" --buildtype=release >/dev/null
fi
ninja -C "$here/build" engine/cli/chainlog >/dev/null
exec bash "$here/records/sample/demo-cycle.sh" "$here/build/engine/cli/chainlog" "${1:-demo-home}"
