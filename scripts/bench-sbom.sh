#!/usr/bin/env bash
# bench-sbom.sh times pave's SBOM against the field's tools on the same
# image in the same run, then measures pave's recall against each of them.
#
#   scripts/bench-sbom.sh                 # image from scripts/mkbenchimage.sh
#   RUNS=5 scripts/bench-sbom.sh IMAGE.tar
#
# Every tool catalogs the same docker-archive, offline, writing a JSON SBOM.
# Runs are interleaved (pave, scalibr, trivy, syft, pave, ...) so that load
# from other processes falls on all tools alike; each run is timed with
# /usr/bin/time (wall seconds, user+system CPU seconds, max RSS) and the
# table reports medians. With HYPERFINE=1 and hyperfine installed,
# hyperfine times the tools once more.
#
# The peer tools are NOT built or fetched by this script: put their
# binaries in $PEERS (default /work/peers/bin: scalibr, trivy, syft); a
# tool that is missing is skipped. pave is built from this repository's
# HEAD (a clean export, so uncommitted work does not leak in) unless PAVE
# names a binary.
#
# Outputs go to $BENCH/out/<image name>: each tool's SBOM, the timings (runs.tsv), the
# table (results.md) and pave's missing packages against each peer
# (recall-vs-<tool>.txt).
set -euo pipefail

BENCH=${BENCH:-/var/tmp/pave-bench}
PEERS=${PEERS:-/work/peers/bin}
RUNS=${RUNS:-3}
TOOLS=${TOOLS:-"pave scalibr trivy syft"}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGE=${1:-$BENCH/bench.tar}
OUT=${OUT:-$BENCH/out/$(basename "$IMAGE" .tar)}
mkdir -p "$OUT" "$BENCH/bin"

log() { printf 'bench-sbom: %s\n' "$*" >&2; }

if [[ ! -s $IMAGE ]]; then
	[[ $IMAGE == "$BENCH/bench.tar" ]] || { log "no image $IMAGE"; exit 1; }
	BENCH=$BENCH "$ROOT/scripts/mkbenchimage.sh"
fi

# pave, from a clean export of HEAD.
PAVE_REV=$(git -C "$ROOT" rev-parse --short HEAD)
if [[ -z ${PAVE:-} ]]; then
	PAVE=$BENCH/bin/pave
	src=$(mktemp -d)
	git -C "$ROOT" archive HEAD | tar -x -C "$src"
	if [[ -d $src/cmd/pave ]] && (cd "$src" && go build -trimpath -buildvcs=false \
		-ldflags "-X main.version=$PAVE_REV" -o "$PAVE" ./cmd/pave); then
		log "built pave at $PAVE_REV"
	else
		log "pave does not build at $PAVE_REV: its row stays pending"
		rm -f "$PAVE"
	fi
	rm -rf "$src"
fi
(cd "$ROOT" && go build -o "$BENCH/bin/benchcmp" ./internal/benchcmp/cmd/benchcmp)
BENCHCMP=$BENCH/bin/benchcmp

# Keep the peers offline: no update checks, no registry or proxy lookups.
export SYFT_CHECK_FOR_APP_UPDATE=false SYFT_JAVA_USE_NETWORK=false \
	SYFT_GOLANG_SEARCH_REMOTE_LICENSES=false SYFT_GOLANG_SEARCH_LOCAL_MOD_CACHE_LICENSES=false \
	SYFT_JAVASCRIPT_SEARCH_REMOTE_LICENSES=false SYFT_PYTHON_SEARCH_REMOTE_LICENSES=false \
	SYFT_GOLANG_USE_PACKAGES_LIB=false GOPROXY=off
# Trivy's cache would make every run after the first a cache hit.
export TRIVY_DISABLE_TELEMETRY=true TRIVY_NO_PROGRESS=true TRIVY_CACHE_DIR=$BENCH/trivy-cache

# sbom_file and tool_cmd describe each tool: where its SBOM goes and the
# command that writes it.
sbom_file() {
	case $1 in
	pave) echo "$OUT/pave.json" ;;
	scalibr) echo "$OUT/scalibr.cdx.json" ;;
	trivy) echo "$OUT/trivy.cdx.json" ;;
	syft) echo "$OUT/syft.json" ;;
	esac
}
tool_bin() {
	case $1 in
	pave) echo "$PAVE" ;;
	*) echo "$PEERS/$1" ;;
	esac
}
tool_cmd() {
	local bin out
	bin=$(tool_bin "$1")
	out=$(sbom_file "$1")
	case $1 in
	pave) echo "$bin sbom --format json --offline --quiet --output $out $IMAGE" ;;
	scalibr) echo "$bin --offline --image-tarball $IMAGE -o cdx-json=$out" ;;
	trivy) echo "$bin image --input $IMAGE --format cyclonedx --output $out --offline-scan --skip-db-update --skip-java-db-update --skip-check-update --skip-version-check --cache-backend memory --quiet" ;;
	syft) echo "$bin scan docker-archive:$IMAGE --quiet --output syft-json=$out" ;;
	esac
}
# A peer's version comes from $PEERS/<tool>.version when present (the
# commit it was built from), else from the binary.
tool_version() {
	local bin
	bin=$(tool_bin "$1")
	if [[ $1 != pave && -s $PEERS/$1.version ]]; then
		head -1 "$PEERS/$1.version"
		return
	fi
	case $1 in
	pave) echo "pave $PAVE_REV" ;;
	scalibr) "$bin" --version 2>/dev/null | head -1 ;;
	trivy) "$bin" --version 2>/dev/null | head -1 ;;
	syft) "$bin" version 2>/dev/null | awk '/^Version:/{print $2}' ;;
	esac
}

tools=()
for t in $TOOLS; do
	if [[ -x $(tool_bin "$t") ]]; then
		tools+=("$t")
	else
		log "skipping $t: no $(tool_bin "$t")"
	fi
done
[[ ${#tools[@]} -gt 0 ]] || { log "no tools to run"; exit 1; }

{
	echo "# bench-sbom $(date -u +%FT%TZ)"
	echo "# image $IMAGE ($(du -h "$IMAGE" | cut -f1) on disk)"
	echo "# machine: $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB, $(uname -r), load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	for t in "${tools[@]}"; do echo "# $t: $(tool_version "$t")"; done
	printf 'tool\trun\twall_s\tmaxrss_kb\tcpu_s\texit\n'
} >"$OUT/runs.tsv"

# Read the image once so that no tool pays for a cold page cache.
cat "$IMAGE" >/dev/null
for ((run = 1; run <= RUNS; run++)); do
	for t in "${tools[@]}"; do
		cmd=$(tool_cmd "$t")
		rm -f "$(sbom_file "$t")"
		sync
		set +e
		# shellcheck disable=SC2086
		/usr/bin/time -f '%e %M %U %S' -o "$OUT/time.txt" $cmd >"$OUT/$t.stdout" 2>"$OUT/$t.stderr"
		rc=$?
		set -e
		# time -o writes "Command exited with non-zero status N" first on failure.
		read -r wall rss usr sys < <(tail -1 "$OUT/time.txt") || { wall=NA; rss=0; usr=0; sys=0; }
		cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')
		printf '%s\t%d\t%s\t%s\t%s\t%d\n' "$t" "$run" "$wall" "$rss" "$cpu" "$rc" >>"$OUT/runs.tsv"
		log "run $run $t: ${wall}s wall, ${cpu}s CPU, $((${rss:-0} / 1024)) MiB, exit $rc"
	done
done

if [[ ${HYPERFINE:-0} == 1 ]] && command -v hyperfine >/dev/null; then
	hf=()
	for t in "${tools[@]}"; do hf+=(-n "$t" "$(tool_cmd "$t") >/dev/null 2>&1"); done
	hyperfine --runs "$RUNS" --export-markdown "$OUT/hyperfine.md" "${hf[@]}"
fi

# median prints the median of the numbers on stdin.
median() { sort -n | awk '{a[NR]=$1} END{if (NR==0) print "NA"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# Recall against Syft for every tool, and pave's recall against each peer.
ref=syft
declare -A found recall
for t in "${tools[@]}"; do
	f=$(sbom_file "$t")
	[[ -s $f ]] || continue
	if [[ -s $(sbom_file $ref) ]]; then
		read -r _ got _ r < <("$BENCHCMP" -ref "$(sbom_file $ref)" -got "$f" -json |
			python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["Ref"], r["Got"], r["Found"], "%.2f" % (100*r["Recall"]))')
		found[$t]=$got
		recall[$t]=$r
	fi
	if [[ $t != pave && -s $OUT/pave.json ]]; then
		"$BENCHCMP" -ref "$f" -got "$OUT/pave.json" -ref-name "$t" -got-name pave -extra >"$OUT/recall-vs-$t.txt"
	fi
done

{
	echo "| tool | version | wall s (median of $RUNS) | CPU s (median) | max RSS MiB (median) | packages | recall vs Syft |"
	echo "|---|---|---:|---:|---:|---:|---:|"
	for t in "${tools[@]}"; do
		w=$(awk -F'\t' -v t="$t" '$1==t && $6==0 {print $3}' "$OUT/runs.tsv" | median)
		m=$(awk -F'\t' -v t="$t" '$1==t && $6==0 {print $4}' "$OUT/runs.tsv" | median)
		c=$(awk -F'\t' -v t="$t" '$1==t && $6==0 {print $5}' "$OUT/runs.tsv" | median)
		[[ $m == NA ]] || m=$(awk -v m="$m" 'BEGIN{printf "%.0f", m/1024}')
		printf '| %s | %s | %s | %s | %s | %s | %s%% |\n' "$t" "$(tool_version "$t")" "$w" "$c" "$m" "${found[$t]:-NA}" "${recall[$t]:-NA}"
	done
} >"$OUT/results.md"
grep '^#' "$OUT/runs.tsv"
cat "$OUT/results.md"
for t in "${tools[@]}"; do
	[[ -s $OUT/recall-vs-$t.txt ]] && head -1 "$OUT/recall-vs-$t.txt"
done
exit 0
