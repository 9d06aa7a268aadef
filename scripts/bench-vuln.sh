#!/bin/sh
# Times the vulnerability side of pave on this machine:
#   1. pave db build from every feed in the sample data bundle
#   2. pave scan of the benchmark image with that database, against the
#      same scan with --scanners none (inventory only)
#   3. osv-scanner on the same image with the same records, when built
#      beside pave (scripts/accuracy.sh builds it and the zips)
# Needs: the bundle unpacked at $DATA (default /var/tmp/vulndata/extracted),
# the benchmark image (scripts/mkbenchimage.sh). RUNS=5 by default.
set -eu
cd "$(dirname "$0")/.."
DATA=${DATA:-/var/tmp/vulndata/extracted}
IMAGE=${IMAGE:-/var/tmp/pave-bench/bench.tar}
RUNS=${RUNS:-5}
OUT=${OUT:-/var/tmp/pave-bench-vuln}
mkdir -p "$OUT"
go build -trimpath -o "$OUT/pave" ./cmd/pave
pave=$OUT/pave
[ -f "$OUT/k.key" ] || $pave db keygen -o "$OUT/k" >/dev/null
D=$DATA
inputs="osv=$D/golang-vulndb-proxy/data/osv osv=$D/rustsec-osv/crates osv=$D/pypa/vulns osv=$D/almalinux-osv/advisories osv=$D/ghsa-osv-samples
debian=$D/debian-dsa-dla-2023/data alpine=$D/alpine-secdb-2020 rubysec=$D/rubysec ghsa-csv=$D/ghsa-openrewrite-csv-2024
npm-advisory=$D/nodejs-security-wg/vuln nvd=$D/fixtures/vunnel/tests/unit/providers/nvd/test-fixtures/full-page.json
kev=$D/kev/known_exploited_vulnerabilities.json"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timeit() { # label, command...
	label=$1; shift
	: > "$OUT/times"
	i=0
	while [ $i -lt "$RUNS" ]; do
		/usr/bin/time -f "%e %U %S %M" -o "$OUT/t1" "$@" >/dev/null 2>&1
		cat "$OUT/t1" >> "$OUT/times"
		i=$((i + 1))
	done
	wall=$(cut -d' ' -f1 "$OUT/times" | median)
	cpu=$(awk '{print $2+$3}' "$OUT/times" | median)
	rss=$(cut -d' ' -f4 "$OUT/times" | median)
	printf '%-40s wall %6ss  cpu %6ss  max RSS %5d MiB\n' "$label" "$wall" "$cpu" $((rss / 1024))
}

# shellcheck disable=SC2086
timeit "pave db build (all sample feeds)" $pave db build --offline -o "$OUT/pave.db" --key "$OUT/k.key" $inputs
$pave db info --db "$OUT/pave.db" --db-key "$OUT/k.pub" | sed -n '5,8p'
timeit "pave scan, inventory only" $pave scan --scanners none -f json -o "$OUT/inv.json" "$IMAGE"
timeit "pave scan, with vulnerabilities" $pave scan --db "$OUT/pave.db" --db-key "$OUT/k.pub" -f json -o "$OUT/scan.json" "$IMAGE"
# osv-scanner reads the same records from the per-ecosystem zips that
# scripts/accuracy.sh writes ($ACC/db).
OSVS=${OSVSCANNER:-/work/peers/bin/osv-scanner}
ACC=${ACC:-/var/tmp/acc}
if [ -x "$OSVS" ] && [ -d "$ACC/db" ]; then
	timeit "osv-scanner scan image (same records)" sh -c "'$OSVS' scan image --archive --offline --local-db-path '$ACC/db' --all-vulns --all-packages --no-call-analysis=all -f json --output-file '$OUT/osv.json' '$IMAGE'; true"
else
	echo "osv-scanner or its database not found ($OSVS, $ACC/db): run scripts/accuracy.sh first"
fi
