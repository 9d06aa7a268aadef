#!/usr/bin/env bash
# Secret detection: pave's internal/secret against gitleaks on the labelled
# corpus (internal/secret TestCorpus) and on a ~100 MB tree of real sources
# (vendor/ repeated). gitleaks scans with its default concurrency; pave is
# timed with GOMAXPROCS=1 and with every CPU.
#
#   scripts/bench-secrets.sh        # work in $WORK (default /work/peers/secrets)
#
# Needs a gitleaks source checkout in $GITLEAKS_SRC (default
# /work/peers/gitleaks); it is built with the local Go toolchain. Nothing is
# written into this repository. Secrets are never printed: gitleaks runs
# with --redact and reports go to $WORK.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/work/peers/secrets}
GITLEAKS_SRC=${GITLEAKS_SRC:-/work/peers/gitleaks}
BIG_MB=${BIG_MB:-100}
mkdir -p "$WORK"

gl="$WORK/gitleaks"
if [[ ! -x $gl ]]; then
	echo "building gitleaks from $GITLEAKS_SRC ($(git -C "$GITLEAKS_SRC" rev-parse --short HEAD 2>/dev/null || echo '?'))"
	(cd "$GITLEAKS_SRC" && GOFLAGS=-mod=mod go build -o "$gl" .)
fi

cd "$repo/internal/secret"
go test -c -o "$WORK/secret.test" . >/dev/null

now() { date +%s.%N; }

# pave: the corpus test generates the tree, scans it and prints recall and
# throughput; run it with one and with every CPU.
run_pave() { # dir mb
	rm -rf "$1"
	PAVE_SECRET_CORPUS_DIR=$1 PAVE_SECRET_CORPUS_MB=$2 \
		"$WORK/secret.test" -test.run '^TestCorpus$' -test.v -test.count=1 2>&1 |
		grep -E 'recall|missed|flagged' || true
	sync
	# Scan again, the tree now written and in the page cache, with one CPU
	# and with all of them.
	for procs in 1 "$(nproc)"; do
		PAVE_SECRET_CORPUS_DIR=$1 PAVE_SECRET_CORPUS_MB=$2 PAVE_SECRET_CORPUS_REUSE=1 GOMAXPROCS=$procs \
			"$WORK/secret.test" -test.run '^TestCorpus$' -test.v -test.count=1 2>&1 | grep -E 'pave on' | sed "s/^ */[GOMAXPROCS=$procs] /" || true
	done
}

run_gitleaks() { # dir report
	local t0 t1
	t0=$(now)
	"$gl" dir "$1" --no-banner --redact -f json -r "$2" --exit-code 0 --log-level error >/dev/null 2>&1
	t1=$(now)
	local bytes
	bytes=$(find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
	awk -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN { printf "gitleaks on %.1f MB: %.2fs, %.1f MB/s\n", b/1e6, z-a, b/1e6/(z-a) }'
	PAVE_SECRET_CORPUS_DIR=$1 PAVE_SECRET_PEER_REPORT=$2 \
		"$WORK/secret.test" -test.run '^TestCorpusPeer$' -test.v -test.count=1 2>&1 | grep -E 'recall|missed|flagged' || true
}

echo "== labelled corpus (12 MB, 110 secrets, 60 decoys) =="
run_pave "$WORK/tree12" 12
run_gitleaks "$WORK/tree12" "$WORK/gitleaks12.json"

echo "== throughput tree (${BIG_MB} MB) =="
run_pave "$WORK/tree$BIG_MB" "$BIG_MB"
run_gitleaks "$WORK/tree$BIG_MB" "$WORK/gitleaks$BIG_MB.json"
