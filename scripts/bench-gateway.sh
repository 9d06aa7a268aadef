#!/usr/bin/env bash
# AI egress gateway: what `pave gateway serve` adds to a request, measured
# in one run against the in-process fake vendor (internal/egress/fakevendor)
# on loopback. gwbench (internal/egress/cmd/gwbench) sends the same request
# directly and through the gateway, interleaved, and prints added p50/p99
# latency for 1, 16 and 64 KB prompts, time to the first delta of streams,
# and requests per second; the gateway is pinned to two cores with taskset.
# Then the Go benchmarks (inspection alone, relay, first stream delta) run
# with -cpu 2. Figures go to docs/bench-gateway.md by hand.
#
#   scripts/bench-gateway.sh            # N=1000 requests per row, 5 s throughput runs
#   N=3000 DUR=10s scripts/bench-gateway.sh
#
# There is no peer gateway to compare: no LLM proxy written in Go was
# buildable here from the Go module proxy (it answered 403 for the ones
# tried); see docs/bench-gateway.md.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-1000}
DUR=${DUR:-5s}
CONC=${CONC:-32}
SYNC=${SYNC:-interval}
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

cd "$repo"
go build -o "$work/pave" ./cmd/pave
go build -o "$work/gwbench" ./internal/egress/cmd/gwbench

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
vport=$(port); gport=$(port); aport=$(port)
key=$("$work/pave" gateway keygen --id bench | sed -n 's/^key .*: //p')
sum=$(printf %s "$key" | sha256sum | cut -d' ' -f1)

"$work/gwbench" -serve-vendor "127.0.0.1:$vport" -vendor-key sk-bench &
pids+=($!)

cat >"$work/gateway.yaml" <<YAML
listen: 127.0.0.1:$gport
admin: 127.0.0.1:$aport
audit:
  path: $work/audit.jsonl
  sync: $SYNC
vendors:
  openai:
    base_url: http://127.0.0.1:$vport
    key_env: BENCH_OPENAI_KEY
keys:
  - id: bench
    team: bench
    user: bench
    sha256: $sum
policies:
  - name: default
    action: redact
YAML
BENCH_OPENAI_KEY=sk-bench taskset -c 0,1 "$work/pave" gateway serve --config "$work/gateway.yaml" 2>"$work/gateway.log" &
gw=$!
pids+=($gw)
for _ in $(seq 100); do
	curl -fs "http://127.0.0.1:$aport/healthz" >/dev/null 2>&1 && break
	sleep 0.1
done

echo "# gateway vs direct, fake vendor on loopback, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), audit sync=$SYNC"
echo
"$work/gwbench" -direct "http://127.0.0.1:$vport" -gateway "http://127.0.0.1:$gport" -key "$key" \
	-vendor-key sk-bench -n "$N" -c "$CONC" -d "$DUR" -gateway-pid "$gw"
echo
kill -INT "$gw"
wait "$gw" || true
"$work/pave" gateway verify-log "$work/audit.jsonl"
grep -c '"action":"redact"' "$work/audit.jsonl" | sed 's/^/audit entries with a redaction: /'

echo
echo "# Go benchmarks (-cpu 2)"
go test -run '^$' -bench 'InspectRequest|Relay|StreamFirstDelta' -benchtime 2000x -cpu 2 -count 1 ./internal/egress | grep '^Benchmark'
