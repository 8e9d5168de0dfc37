#!/bin/sh
# gen-transitions.sh - JSON lines for `chainlog import` (or `chainlog
# batch`): one half-year cycle per period for every talent of a
# configuration, in the order a county would do it.
#
# Usage: sh bench/gen-transitions.sh CONFDIR PERIODS DEPTH [LIMIT] [OFFSET]
#
#   CONFDIR  holds org.yaml, people.yaml, needs.yaml (the sample's
#            records/sample/ or a province made by bench/gen-province.sh)
#   PERIODS  e.g. "2022H2 2023H1", oldest first
#   DEPTH    transitions per record: 1 = submit only (pending-village),
#            2 = + village approval, 3 = + township, 4 = + department
#            approval with a grade (approved)
#   LIMIT    stop after this many records (default: all)
#   OFFSET   skip this many talents of each period first (default 0)
#
# Per period: every talent whose term overlaps it submits (in people.yaml
# order), then the village secretaries approve, then the townships, then
# the departments grade.  Times start at the period's last month and never
# decrease, as `chainlog import` requires.  Reviewers follow the sample's
# naming: v-<village>, tw-<township>, d-<department> (see
# records/FORMAT.md); the township is the village's parent in org.yaml.
# Needs only POSIX sh and awk (tested with mawk).
set -eu
LC_ALL=C
export LC_ALL
[ $# -ge 3 ] || { echo "usage: gen-transitions.sh CONFDIR PERIODS DEPTH [LIMIT] [OFFSET]" >&2; exit 2; }
conf=$1
exec awk -v periods="$2" -v depth="$3" -v limit="${4:-0}" -v offset="${5:-0}" '
function days(y, m, d) { # days since 1970-01-01 (civil calendar)
	y -= m <= 2
	era = int((y >= 0 ? y : y - 399) / 400)
	yoe = y - era * 400
	doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
	doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
	return era * 146097 + doe - 719468
}
function iso(t,    z, era, doe, yoe, y, doy, mp, d, m, s) {
	z = int(t / 86400) + 719468
	s = t % 86400
	era = int(z / 146097)
	doe = z - era * 146097
	yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
	y = yoe + era * 400
	doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
	mp = int((5 * doy + 2) / 153)
	d = doy - int((153 * mp + 2) / 5) + 1
	m = mp + (mp < 10 ? 3 : -9)
	y += m <= 2
	return sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, int(s / 3600), int(s % 3600 / 60), s % 60)
}
FILENAME ~ /org.yaml$/ && $1 == "-" && $2 == "id:" { u = $3 }
FILENAME ~ /org.yaml$/ && $1 == "parent:" { parent[u] = $2 }
FILENAME ~ /needs.yaml$/ && $1 == "-" && $2 == "id:" { nd = $3 }
FILENAME ~ /needs.yaml$/ && $1 == "unit:" { needs[$2] = (needs[$2] == "" ? "" : needs[$2] ",") "\"" nd "\"" }
FILENAME ~ /people.yaml$/ && $1 == "-" && $2 == "id:" { p = $3 }
FILENAME ~ /people.yaml$/ && $1 == "serves:" { nt++; T[nt] = p; SV[nt] = $2 }
FILENAME ~ /people.yaml$/ && $1 == "dispatched_by:" { DB[nt] = $2 }
FILENAME ~ /people.yaml$/ && $1 == "from:" { FR[nt] = $2 }
FILENAME ~ /people.yaml$/ && $1 == "to:" { TO[nt] = $2 }
END {
	split("excellent competent competent basic", G, " ")
	np = split(periods, P, " ")
	for (k = 1; k <= np; k++) {
		y = substr(P[k], 1, 4) + 0
		h = substr(P[k], 6, 1) + 0
		first = sprintf("%04d-%02d-01", y, h == 1 ? 1 : 7)
		last = sprintf("%04d-%02d-%02d", y, h == 1 ? 6 : 12, h == 1 ? 30 : 31)
		# submissions open on the 1st of the last month, 08:00
		t0 = days(y, h == 1 ? 6 : 12, 1) * 86400 + 8 * 3600
		n = 0
		for (i = 1; i <= nt; i++) {
			if (FR[i] > last || TO[i] < first)
				continue
			if (++skipped <= offset)
				continue
			n++
			sel[n] = i
			if (limit && n >= limit)
				break
		}
		skipped = 0
		for (s = 1; s <= depth; s++) {
			for (j = 1; j <= n; j++) {
				i = sel[j]
				v = SV[i]
				tm = iso(t0 + (s - 1) * 5 * 86400 + j)
				rec = P[k] "/" T[i]
				if (s == 1)
					printf "{\"action\":\"submit\",\"as\":\"%s\",\"period\":\"%s\",\"time\":\"%s\",\"log\":{\"summary\":\"Served %s in %s: visited households, joined branch meetings and followed up the village needs list.\",\"days_in_village\":%d,\"needs\":[%s]}}\n", T[i], P[k], tm, v, P[k], 60 + (i * 7) % 120, needs[v]
				else if (s == 2)
					printf "{\"action\":\"approve\",\"as\":\"v-%s\",\"record\":\"%s\",\"time\":\"%s\"}\n", v, rec, tm
				else if (s == 3)
					printf "{\"action\":\"approve\",\"as\":\"tw-%s\",\"record\":\"%s\",\"time\":\"%s\"}\n", parent[v], rec, tm
				else
					printf "{\"action\":\"approve\",\"as\":\"d-%s\",\"record\":\"%s\",\"time\":\"%s\",\"grade\":\"%s\"}\n", DB[i], rec, tm, G[j % 4 + 1]
			}
		}
	}
}' "$conf/org.yaml" "$conf/needs.yaml" "$conf/people.yaml"
