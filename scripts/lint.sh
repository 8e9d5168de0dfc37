#!/usr/bin/env bash
# lint.sh BUILDDIR - static checks: cppcheck and clang-tidy over engine/.
# Prints the findings and exits non-zero when there is any.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
cd "$here"
status=0
srcs=$(git ls-files 'engine/*.c' 'engine/cli/*.c' | grep -v '^engine/tools/')
if ! cppcheck --enable=warning,portability,performance --std=c11 --quiet \
	--error-exitcode=1 --inline-suppr -I engine \
	--suppress=missingIncludeSystem --suppress=unknownMacro:engine/cli/cmd_batch.c \
	$srcs; then
	echo "cppcheck: findings above"
	status=1
fi
tidy_out=$(clang-tidy --quiet -p "$build" $srcs 2>/dev/null)
tidy_status=$?
if [ "$tidy_status" -ne 0 ] || printf '%s\n' "$tidy_out" | grep -q ': \(warning\|error\):'; then
	printf '%s\n' "$tidy_out" | grep -E ': (warning|error):'
	echo "clang-tidy: findings above (exit $tidy_status)"
	status=1
fi
[ "$status" -eq 0 ] && echo "lint: cppcheck and clang-tidy clean"
exit "$status"
