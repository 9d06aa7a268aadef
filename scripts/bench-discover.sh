#!/usr/bin/env bash
# Times pave's discovery proxy side by side with a direct connection and
# with elazarl/goproxy (the Go forward proxy DESIGN.md names for CONNECT):
# added latency of one HTTPS request on a new connection, and tunnel
# throughput. The peer is built in a scratch module outside the repository
# (PEER_DIR, default /tmp/peer-goproxy); it is skipped when it cannot be
# fetched. Figures go to docs/bench-discover.md by hand.
#
# Usage: scripts/bench-discover.sh [COUNT] [BENCHTIME]   (default 5 and 300x)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
benchtime=${2:-300x}
work=$(mktemp -d)
peer_dir=${PEER_DIR:-/tmp/peer-goproxy}
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

echo "== build pave"
go build -o "$work/pave" ./cmd/pave

proxies=""
# wait_addr FILE: the first host:port printed to FILE.
wait_addr() {
	for _ in $(seq 1 100); do
		a=$(grep -oE '127\.0\.0\.1:[0-9]+' "$1" | head -1 || true)
		[ -n "$a" ] && { echo "$a"; return 0; }
		sleep 0.1
	done
	echo "no address in $1: $(cat "$1")" >&2
	return 1
}

echo "== start pave gateway discover (the binary, records to an audit log)"
"$work/pave" gateway discover --listen 127.0.0.1:0 --log "$work/discover.jsonl" --sync interval 2>"$work/pave.err" &
pids+=($!)
proxies="pave-cmd=http://$(wait_addr "$work/pave.err")"

echo "== build elazarl/goproxy peer in $peer_dir"
mkdir -p "$peer_dir"
cat >"$peer_dir/main.go" <<'GO'
// Command peer runs elazarl/goproxy's default forward proxy (CONNECT
// tunnels, plain HTTP) on a free local port and prints the address.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/elazarl/goproxy"
)

func main() {
	p := goproxy.NewProxyHttpServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr())
	http.Serve(ln, p)
}
GO
if (cd "$peer_dir" && { [ -f go.mod ] || go mod init peer >/dev/null 2>&1; } &&
	GOFLAGS=-mod=mod go get github.com/elazarl/goproxy@v1.9.4 >/dev/null 2>&1 &&
	GOFLAGS=-mod=mod go build -o "$work/peer" .); then
	"$work/peer" >"$work/peer.out" 2>&1 &
	pids+=($!)
	proxies="$proxies,goproxy=http://$(wait_addr "$work/peer.out")"
	echo "   goproxy $(cd "$peer_dir" && go list -m -f '{{.Version}}' github.com/elazarl/goproxy)"
else
	echo "   goproxy could not be built (no module proxy?); comparing with direct only"
fi

echo "== benchmarks (count $count, benchtime $benchtime): direct, pave in-process, $proxies"
PAVE_BENCH_PROXIES="$proxies" go test -run '^$' -count "$count" -benchtime "$benchtime" \
	-bench 'ConnectLatency|TunnelThroughput|ResolveLocal|ReadClientHello|Match' ./internal/egress/discover |
	grep -E '^(Benchmark|cpu:)' | tee "$work/bench.txt"

echo "== medians of $count runs"
for name in $(awk '/^Benchmark/ { n=$1; sub(/-[0-9]+$/, "", n); print n }' "$work/bench.txt" | sort -u); do
	ns=$(awk -v n="$name" '{ m=$1; sub(/-[0-9]+$/, "", m) } m==n { print $3 }' "$work/bench.txt" | sort -g | awk '{ a[NR]=$1 } END { print a[int((NR+1)/2)] }')
	mb=$(awk -v n="$name" '{ m=$1; sub(/-[0-9]+$/, "", m) } m==n && $6=="MB/s" { print $5 }' "$work/bench.txt" | sort -g | awk '{ a[NR]=$1 } END { if (NR) print a[int((NR+1)/2)] " MB/s" }')
	printf '%-42s %14s ns/op  %s\n' "$name" "$ns" "$mb"
done
echo "== records written by the pave binary: $(wc -l <"$work/discover.jsonl")"
"$work/pave" gateway verify-log "$work/discover.jsonl"
