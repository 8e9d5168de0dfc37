#!/usr/bin/env bash
# test.sh - every test, the way CI runs them.
#
#   1. a build with ASan and UBSan (halt_on_error=1) and the fault points
#      compiled in: unit tests, end-to-end tests, fuzz-corpus replay;
#   2. the end-to-end tests on the build users run (no sanitizer, the
#      CLI's home left to the exit: see cli_home_done);
#   3. the unit tests, the fuzz corpora and the core, refusal and server
#      end-to-end tests under valgrind memcheck;
#   4. cppcheck and clang-tidy (scripts/lint.sh).
#
# Ends with one line "N passed, N failed".  Exit status 0 when none failed.
# Set CHAINLOG_TEST_QUICK=1 to skip the valgrind pass.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/deps.sh"
chainlog_deps || exit 1

passed=0
failed=0
count() { # $1: meson test log JSON; a missing log is a failure
	local p f
	if [ ! -f "$1" ]; then
		echo "test.sh: no test log '$1'" >&2
		failed=$((failed + 1))
		return
	fi
	p=$(grep -c '"result": "OK"' "$1" || true)
	f=$(grep -c '"result": "\(FAIL\|ERROR\|TIMEOUT\)"' "$1" || true)
	passed=$((passed + p))
	failed=$((failed + f))
}

san="$here/build-san"
if [ ! -f "$san/build.ninja" ]; then
	CC=${CC:-gcc} meson setup "$san" "$here" -Db_sanitize=address,undefined \
		-Db_lundef=false -Dfault_injection=true --buildtype=debug >/dev/null || exit 1
fi
ninja -C "$san" >/dev/null || { ninja -C "$san"; echo "0 passed, 1 failed"; exit 1; }
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export CHAINLOG_FSYNC=0
rm -f "$san/meson-logs/san.json" # never count an earlier run's log
meson test -C "$san" --print-errorlogs --num-processes 2 --logbase san || true
count "$san/meson-logs/san.json"

# The build users run (demo.sh's, no sanitizer): there a one-shot command
# leaves its home to the process's exit (cli_home_done in engine/cli/cli.c)
# instead of freeing it, so the end-to-end suite runs on it too.
rel="$here/build"
if [ ! -f "$rel/build.ninja" ]; then
	meson setup "$rel" "$here" --buildtype=release >/dev/null || exit 1
fi
ninja -C "$rel" >/dev/null || { echo "$passed passed, $((failed + 1)) failed"; exit 1; }
rm -f "$rel/meson-logs/release.json" # never count an earlier run's log
meson test -C "$rel" --suite e2e --print-errorlogs --num-processes 2 --logbase release || true
count "$rel/meson-logs/release.json"

if [ "${CHAINLOG_TEST_QUICK:-0}" != 1 ]; then
	vg="$here/build-valgrind"
	if [ ! -f "$vg/build.ninja" ]; then
		meson setup "$vg" "$here" --buildtype=debug >/dev/null || exit 1
	fi
	ninja -C "$vg" >/dev/null || { echo "$passed passed, $((failed + 1)) failed"; exit 1; }
	rm -f "$vg"/meson-logs/memcheck-*.json # never count an earlier run's log
	unset ASAN_OPTIONS UBSAN_OPTIONS
	memcheck="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --track-fds=no"
	# unit tests and the fuzz-corpus replay, each binary under memcheck
	meson test -C "$vg" --suite unit --suite fuzz --print-errorlogs --num-processes 2 \
		--wrapper "$memcheck" --logbase memcheck-unit || true
	# meson names the log after the wrapper too (memcheck-unit-valgrind):
	# count whichever it wrote, and fail loudly if there is none
	unit_log=$(ls -t "$vg"/meson-logs/memcheck-unit*.json 2>/dev/null | head -n 1)
	count "${unit_log:-$vg/meson-logs/memcheck-unit.json}"
	# the real binary under memcheck, driven by the end-to-end scripts
	CHAINLOG_WRAP="$memcheck" meson test -C "$vg" e2e/core e2e/refusals e2e/serve --print-errorlogs \
		--timeout-multiplier 4 --logbase memcheck-e2e || true
	count "$vg/meson-logs/memcheck-e2e.json"
fi

# static checks: cppcheck and clang-tidy must be clean
if "$here/scripts/lint.sh" "$san"; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
