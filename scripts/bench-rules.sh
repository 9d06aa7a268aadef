#!/usr/bin/env bash
# Runtime rule engine (internal/sensor/rules): ns per event with the
# built-in rules and with Falco's public rules loaded, the cost of loading
# and compiling the rules files, and the whole `pave sensor rules` command
# over Falco's stable, incubating and sandbox files.
#
#   scripts/bench-rules.sh            # BENCHTIME=200000x COUNT=5 by default
#
# The reference tool is Falco itself: when `falco` is on PATH its rules
# validation (`falco -V`) over the same files is timed beside pave's load.
# (Falco is not packaged in Debian and this workplace cannot fetch it, so on
# this machine only pave's side runs.) Nothing is written into the repository.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
BENCHTIME=${BENCHTIME:-200000x}
COUNT=${COUNT:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
falco_files=(
	"$repo/internal/sensor/rules/testdata/falco/falco_rules.yaml"
	"$repo/internal/sensor/rules/testdata/falco/falco-incubating_rules.yaml"
	"$repo/internal/sensor/rules/testdata/falco/falco-sandbox_rules.yaml"
)

echo "== go benchmarks (min of $COUNT runs of $BENCHTIME; load average $(cut -d' ' -f1 /proc/loadavg))"
(cd "$repo" && go test ./internal/sensor/rules -run '^$' -bench 'Analyze|Quiet|Recording' \
	-benchtime "$BENCHTIME" -count "$COUNT" -benchmem) |
	awk '/^Benchmark/ { n=$1; v=$3; if (!(n in min) || v+0 < min[n]+0) { min[n]=v; line[n]=$0 } }
	     END { for (n in line) print line[n] }' | sort
(cd "$repo" && go test ./internal/sensor/rules -run '^$' -bench 'LoadFalco' -benchtime 20x -count 1 -benchmem) | grep '^Benchmark'

echo "== pave sensor rules over Falco's three files (whole command, 5 runs)"
(cd "$repo" && go build -o "$work/pave" ./cmd/pave)
args=()
for f in "${falco_files[@]}"; do args+=(--rules "$f"); done
"$work/pave" sensor rules "${args[@]}" | tail -n +1 | grep -E '^[0-9]+ rules loaded' || true
for i in 1 2 3 4 5; do
	/usr/bin/time -f "pave: %e s, %M KB max RSS" "$work/pave" sensor rules "${args[@]}" >/dev/null
done

if command -v falco >/dev/null 2>&1; then
	echo "== falco -V over the same files (5 runs)"
	vargs=()
	for f in "${falco_files[@]}"; do vargs+=(-V "$f"); done
	for i in 1 2 3 4 5; do
		/usr/bin/time -f "falco: %e s, %M KB max RSS" falco "${vargs[@]}" >/dev/null 2>&1 || true
	done
else
	echo "== falco not on PATH: no reference timing"
fi
