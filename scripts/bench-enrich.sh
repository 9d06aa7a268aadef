#!/usr/bin/env bash
# bench-enrich.sh times container enrichment (internal/sensor/container)
# side by side with the usual way to learn about a container: asking the
# engine per container with `docker inspect` (and raw curl on the socket).
# Needs the engine and runtime image scripts/setup.sh prepares; run as root.
# Figures go to docs/bench-enrich.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
img=$(sed -n 's/^PAVE_TEST_RUNTIME_IMAGE=//p' "${PAVE_TEST_ENV:-/var/tmp/pave-test/env}")
[ -n "$img" ] || { echo "bench-enrich: no runtime image in the env file: run scripts/setup.sh" >&2; exit 2; }

echo "== pave: hot path and lookups"
go test -count=1 -run '^$' -bench 'EnrichHit|EnrichHost|CgroupPathByID' -benchtime=100000x ./internal/sensor/container | grep '^Benchmark'
echo "== pave: first event of a fresh container ($n containers each)"
go test -count=1 -run '^$' -bench 'FirstEvent' -benchtime="${n}x" ./internal/sensor/container | grep '^Benchmark'

echo "== reference: docker inspect and curl on the socket, per container ($n each)"
id=$(docker run -d --network none "$img" sleep 120)
trap 'docker rm -f "$id" >/dev/null' EXIT
ms() { date +%s%N; }
t0=$(ms); for _ in $(seq "$n"); do docker inspect "$id" >/dev/null; done; t1=$(ms)
for _ in $(seq "$n"); do curl -s --unix-socket /var/run/docker.sock "http://docker/containers/$id/json" >/dev/null; done; t2=$(ms)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$n" 'BEGIN {
	printf "docker inspect  %8.2f ms/container\n", (b - a) / n / 1e6
	printf "curl inspect    %8.2f ms/container\n", (c - b) / n / 1e6
}'
