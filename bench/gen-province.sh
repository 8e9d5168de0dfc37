#!/bin/sh
# gen-province.sh - a synthetic province for the benchmarks: the bundled
# Weishan sample's shape (records/sample/gen.sh) repeated over many
# counties, under the same workflow (workflows/three-level.yaml).
#
# Usage:  sh bench/gen-province.sh OUTDIR [COUNTIES] [FROM] [TO]
#
#   COUNTIES  default 120: 120 x 83 = 9,960 talents
#   FROM, TO  every talent's term, default 2015-01-01 .. 2025-12-31, so
#             that each talent may file for 22 half years and a history
#             of 200k records (219,120 at most) can be built under one
#             configuration (the sample's one- and two-year terms would
#             allow ~27k records); bench/run.sh stretches TO for bigger
#             histories
#
# Writes OUTDIR/workflow.yaml, org.yaml, people.yaml and needs.yaml, a
# configuration directory for `chainlog init --config OUTDIR`.  Each
# county cNNN has, as the sample:
#   - 10 townships cNNN-t01..t10 with 9,9,9,8,8,8,8,8,8,8 villages
#     cNNN-tXX-NN (83), 43 of them key villages;
#   - 12 departments cNNN-<dept> that dispatch talents;
#   - reviewers v-<village>, tw-<township>, d-<department> (role
#     secretary) and a county secretary c-cNNN;
#   - 83 talents tNNNNN, one per village, 31 resident (15 first
#     secretaries) and 52 flexible, dispatched_by cycling over the
#     departments;
#   - 140 needs over the five categories (57 villages with 2, 26 with 1).
# Above the counties is one province unit, `prov`, where the administrator
# `admin` holds config-admin.  Deterministic; POSIX sh and awk only (no
# python); a 120-county province takes about a second.
set -eu
LC_ALL=C
export LC_ALL

[ $# -ge 1 ] || { echo "usage: gen-province.sh OUTDIR [COUNTIES] [FROM] [TO]" >&2; exit 2; }
out=$1
counties=${2:-120}
from=${3:-2015-01-01}
to=${4:-2025-12-31}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
cp "$here/../workflows/three-level.yaml" "$out/workflow.yaml"

awk -v NCO="$counties" -v FROM="$from" -v TO="$to" \
    -v org="$out/org.yaml" -v people="$out/people.yaml" -v needsf="$out/needs.yaml" '
function pick(j, m, n) {
	return int((j * m + n - 1) / n) > int(((j - 1) * m + n - 1) / n)
}
function person_name(k) {
	return SUR[k % NSUR + 1] " " GIV[int(k / NSUR) % NGIV + 1] " " int(k / (NSUR * NGIV)) + 1
}
function unit(id, name, type, parent, key) {
	print "  - id: " id > org
	print "    name: " name > org
	print "    type: " type > org
	if (parent != "")
		print "    parent: " parent > org
	if (key != "")
		print "    key: " key > org
}
function reviewer(id, u) {
	print "  - id: " id > people
	print "    name: " person_name(pn++) > people
	print "    roles:" > people
	print "      - role: secretary" > people
	print "        unit: " u > people
}
function county(c,    cid, t, j, v, d, k, r, f, n, nk, i, cnt) {
	cid = sprintf("c%03d", c)
	unit(cid, "County " c, "county", "prov", "")
	for (d = 1; d <= ND; d++)
		unit(cid "-" DID[d], "County " c " " DNAME[d], "department", cid, "")
	v = 0
	for (t = 1; t <= 10; t++) {
		unit(sprintf("%s-t%02d", cid, t), "Township " c "." t, "township", cid, "")
		for (j = 1; j <= TCOUNT[t]; j++) {
			v++
			VID[v] = sprintf("%s-t%02d-%02d", cid, t, j)
			VT[v] = sprintf("%s-t%02d", cid, t)
			VKEY[v] = pick(v, 43, 83)
			unit(VID[v], "Village " c "." t "." j, "village", VT[v], VKEY[v] ? "true" : "false")
		}
	}
	reviewer("c-" cid, cid)
	for (t = 1; t <= 10; t++)
		reviewer(sprintf("tw-%s-t%02d", cid, t), sprintf("%s-t%02d", cid, t))
	for (v = 1; v <= 83; v++)
		reviewer("v-" VID[v], VID[v])
	for (d = 1; d <= ND; d++)
		reviewer("d-" cid "-" DID[d], cid "-" DID[d])
	k = 0; r = 0; f = 0
	for (v = 1; v <= 83; v++) {
		RES = 0; FSEC = 0; CANG = 0
		if (VKEY[v] && pick(++k, 31, 43)) {
			RES = 1
			FSEC = pick(++r, 15, 31)
		}
		if (!RES)
			CANG = pick(++f, 2, 52)
		print "  - id: " sprintf("t%05d", ++nt) > people
		print "    name: " person_name(pn++) > people
		print "    talent:" > people
		print "      serves: " VID[v] > people
		print "      dispatched_by: " cid "-" DID[(v - 1) % ND + 1] > people
		print "      mode: " (RES ? "resident" : "flexible") > people
		print "      first_secretary: " (FSEC ? "true" : "false") > people
		print "      from: " FROM > people
		print "      to: " TO > people
		if (CANG)
			print "      note: \"Cang\047er talent programme\"" > people
	}
	n = 0; nk = 0
	for (v = 1; v <= 83; v++) {
		cnt = VKEY[v] ? 2 : pick(++nk, 14, 40) ? 2 : 1
		for (i = 1; i <= cnt; i++) {
			n++
			print "  - id: " sprintf("%s-n%03d", cid, n) > needsf
			print "    unit: " VID[v] > needsf
			print "    category: " CAT[(n - 1) % 5 + 1] > needsf
			print "    title: Need " n " of county " c > needsf
		}
	}
}
BEGIN {
	split("9 9 9 8 8 8 8 8 8 8", TCOUNT, " ")
	ND = split("agri forestry water health education culture commerce hrss civil natres ecology rural", DID, " ")
	split("Agriculture|Forestry|Water|Health|Education|Culture|Commerce|Human Resources|Civil Affairs|Natural Resources|Ecology|Rural Revitalization", DNAME, "|")
	split("thriving-industry livable-ecology civilized-customs effective-governance rich-life", CAT, " ")
	NSUR = split("Zhao Li Zhang Wang Chen Yang Liu Zhou Huang Wu Xu Sun Ma Luo Zi Cha Duan Yu He Lu Su Gao Zuo Bai", SUR, " ")
	NGIV = split("Ming Jianguo Lihua Wei Fang Hongmei Jun Xiuying Guoqiang Yan Haitao Li Zhiyong Min Chunlan Bo Xiaofeng Jing Wenjie Yun Dehua Lan Shaohua Qiong Zhengrong Ping Kaiwen Hui Yufei Caixia Xiaolan", GIV, " ")

	print "# org.yaml - a synthetic province, GENERATED by bench/gen-province.sh" > org
	print "types: [province, county, township, village, department]" > org
	print "units:" > org
	unit("prov", "Synthetic Province", "province", "", "")
	print "# people.yaml - a synthetic province, GENERATED by bench/gen-province.sh" > people
	print "people:" > people
	print "  - id: admin" > people
	print "    name: " person_name(pn++) > people
	print "    roles:" > people
	print "      - role: config-admin" > people
	print "        unit: prov" > people
	print "# needs.yaml - a synthetic province, GENERATED by bench/gen-province.sh" > needsf
	print "categories: [thriving-industry, livable-ecology, civilized-customs, effective-governance, rich-life]" > needsf
	print "needs:" > needsf
	for (c = 1; c <= NCO; c++)
		county(c)
}'
