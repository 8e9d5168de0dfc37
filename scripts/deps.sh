#!/usr/bin/env bash
# deps.sh - installs what chainlog needs to build and test on Debian 12,
# when it is missing.  Sourced by demo.sh and test.sh; safe to re-run.
set -euo pipefail

# libkrb5-dev: the link name of GSSAPI's library, which the chainlog
# executable links shared when it takes libgit2 from its static archive
# (engine/cli/meson.build)
CHAINLOG_PACKAGES=(gcc clang meson ninja-build pkg-config git sqlite3
	libyaml-dev libsqlite3-dev libgit2-dev libjansson-dev zlib1g-dev libmbedtls-dev libkrb5-dev libcmocka-dev jq
	valgrind libclang-rt-14-dev openssh-client graphviz cppcheck clang-tidy)

chainlog_deps() {
	local missing=() p
	for p in "${CHAINLOG_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing: ${missing[*]}" >&2
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}
