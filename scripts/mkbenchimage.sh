#!/usr/bin/env bash
# mkbenchimage.sh builds the SBOM benchmark image: a docker-archive
# ($BENCH/bench.tar, 1.4 GiB, uncompressed layers as `docker save` writes
# them; with GZ=1 also bench-gz.tar, the same image with gzip-compressed
# layers as crane writes them) of real Debian bookworm packages
# in layers — a base system, then Java, Ruby, Python and Node stacks — and
# a last layer holding a real npm application (node_modules and its
# package-lock.json) and large real Go binaries (go, gofmt, gopls).
#
# Inputs come only from the package registries: Debian (apt-get), npm and
# the Go module proxy. The image is not committed: rerun this script.
#
#   scripts/mkbenchimage.sh            # build (skips what is already there)
#   BENCH=/tmp/b FORCE=1 GZ=1 scripts/mkbenchimage.sh
#
# It needs apt-get, dpkg-deb, npm and go. The dependency closure is
# resolved by apt against an empty dpkg database, so the package set does
# not depend on what this machine has installed.
set -euo pipefail

BENCH=${BENCH:-/var/tmp/pave-bench}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEBS=$BENCH/debs
PLAN=$BENCH/plan
APP=$BENCH/app
BIN=$BENCH/gobin
OUT=$BENCH/bench.tar

# The layers, each a list of packages apt resolves on top of the ones
# before. Layer 0 is Debian's Priority: required set, like debian:bookworm.
LAYER_NAMES=(base java ruby python node)
LAYER_PKGS=(
	""
	"default-jre-headless libjackson2-databind-java liblog4j2-java"
	"ruby ruby-rack"
	"python3-pip python3-yaml"
	"nodejs npm"
)
# The npm application, pinned at the top level.
NPM_DEPS="express@4.22.3 webpack@5.112.2 eslint@8.57.1 axios@1.21.1 lodash@4.18.1"
GOPLS=golang.org/x/tools/gopls@v0.21.1

log() { printf 'mkbenchimage: %s\n' "$*" >&2; }

if [[ -s $OUT && -z ${FORCE:-} ]]; then
	log "$OUT exists (FORCE=1 rebuilds)"
	exit 0
fi
mkdir -p "$DEBS/partial" "$PLAN" "$APP" "$BIN" "$BENCH/apt"

# An empty dpkg database: apt resolves the full closure, not the delta
# against this machine.
status=$BENCH/apt/status
: >"$status"
apt_opts=(-o "Dir::State::status=$status" -o "Dir::Cache::archives=$DEBS")

if ! apt-cache show base-files >/dev/null 2>&1; then
	log "apt-get update"
	apt-get update -qq
fi
required=$(apt-cache dumpavail | awk '/^Package:/{p=$2} /^Priority: required/{print p}' | sort -u | tr '\n' ' ')
if [[ -z $required ]]; then
	# dumpavail reads dpkg's available file, which may be empty.
	required=$(apt-cache search --names-only . | awk '{print $1}' | xargs apt-cache show --no-all-versions 2>/dev/null |
		awk '/^Package:/{p=$2} /^Priority: required/{print p}' | sort -u | tr '\n' ' ')
fi

# Resolve each layer as the closure of everything so far, minus the
# layers below.
rm -f "$PLAN"/*.txt
cumulative="$required"
: >"$BENCH/apt/seen"
for i in "${!LAYER_NAMES[@]}"; do
	cumulative="$cumulative ${LAYER_PKGS[$i]}"
	# shellcheck disable=SC2086
	apt-get -s "${apt_opts[@]}" install $cumulative 2>/dev/null | awk '/^Inst /{print $2}' | sort -u >"$BENCH/apt/all"
	f=$PLAN/$i-${LAYER_NAMES[$i]}.txt
	if [[ $i == 0 ]]; then
		echo "ADD rootfs.tar / # Debian bookworm, Priority: required" >"$f"
	else
		echo "RUN apt-get install -y ${LAYER_PKGS[$i]}" >"$f"
	fi
	comm -23 "$BENCH/apt/all" "$BENCH/apt/seen" >>"$f"
	cp "$BENCH/apt/all" "$BENCH/apt/seen"
	log "layer $i (${LAYER_NAMES[$i]}): $(($(wc -l <"$f") - 1)) packages"
done
log "downloading $(wc -l <"$BENCH/apt/seen") packages"
# shellcheck disable=SC2086
apt-get -qq -y --download-only "${apt_opts[@]}" install $cumulative >/dev/null

if [[ ! -d $APP/node_modules ]]; then
	log "npm install $NPM_DEPS"
	echo '{"name":"bench-web","version":"1.0.0","private":true,"description":"pave SBOM benchmark application"}' >"$APP/package.json"
	(cd "$APP" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error $NPM_DEPS)
fi

GOROOT=$(go env GOROOT)
cp "$GOROOT/bin/go" "$GOROOT/bin/gofmt" "$BIN/"
if [[ ! -x $BIN/gopls ]]; then
	log "go install $GOPLS"
	GOBIN=$BIN GOFLAGS=-mod=mod go install "$GOPLS"
fi

log "assembling $OUT"
cd "$ROOT"
go run ./internal/testimage/cmd/mkbench -debs "$DEBS" -plan "$PLAN" -app "$APP" \
	-bin "$BIN/go,$BIN/gofmt,$BIN/gopls" -out "$OUT" -expected "$BENCH/bench.expected.json"
log "$OUT: $(du -h "$OUT" | cut -f1), layers $(tar -tvf "$OUT" | awk '$6 ~ /^blobs/ {n+=$3} END{printf "%.2f GiB", n/2^30}') uncompressed"
if [[ -n ${GZ:-} ]]; then
	# The same image with gzip-compressed layers, as crane writes it.
	go run ./internal/testimage/cmd/mkbench -debs "$DEBS" -plan "$PLAN" -app "$APP" \
		-bin "$BIN/go,$BIN/gofmt,$BIN/gopls" -out "$BENCH/bench-gz.tar" -gzip
fi
