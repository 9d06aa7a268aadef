#!/bin/sh
# Times runtime in-use evidence on this machine (docs/bench-inuse.md):
#   1. a workload container of the runtime test image (N runs of gzip, a
#      dynamically linked program: one exec and one library map each) run
#      bare, under `pave sensor --evidence` (every event decoded, the
#      recorder fed), and under bpftrace counting the same execs and
#      executable maps (the field's ad-hoc reference: it resolves no map
#      paths, so it does less work than pave);
#   2. `pave scan` of the sample image with and without --runtime-evidence
#      (the join's cost in the whole command);
#   3. the Go benchmarks of the recorder, the join and the drift analyzer.
# Needs root, the Docker engine and pave-test/runtime:bookworm
# (scripts/setup.sh). RUNS=5 and N=2000 by default.
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
N=${N:-2000}
IMAGE=${IMAGE:-pave-test/runtime:bookworm}
OUT=${OUT:-/var/tmp/pave-bench-inuse}
mkdir -p "$OUT"
go build -trimpath -o "$OUT/pave" ./cmd/pave
pave=$OUT/pave

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
	printf '%-52s wall %6ss (median of %d)\n' "$label" "$wall" "$RUNS"
}

workload="docker run --rm --network none $IMAGE sh -c 'i=0; while [ \$i -lt $N ]; do gzip --version >/dev/null; i=\$((i+1)); done'"

if [ "$(id -u)" = 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
	timeit "workload ($N x gzip in a container), bare" sh -c "$workload"

	# pave sensor: containers only, no event stream, the in-use recorder on.
	"$pave" sensor --containers-only --events none -o /dev/null --evidence "$OUT/evidence.json" 2>"$OUT/sensor.log" &
	spid=$!
	sleep 3
	timeit "workload under pave sensor --evidence" sh -c "$workload"
	kill -INT "$spid"; wait "$spid" || true
	if grep -q '"/usr/bin/gzip"' "$OUT/evidence.json"; then
		echo "  evidence names /usr/bin/gzip: $(grep -c '"path"' "$OUT/evidence.json") files in $OUT/evidence.json"
	else
		echo "  WARNING: evidence lacks /usr/bin/gzip (see $OUT/sensor.log)"
	fi

	if command -v bpftrace >/dev/null; then
		bpftrace -e 'tracepoint:syscalls:sys_enter_execve { @exec[str(args->filename)] = count(); }
			tracepoint:syscalls:sys_enter_mmap /args->prot & 4/ { @map[comm] = count(); }' >"$OUT/bpftrace.out" 2>&1 &
		bpid=$!
		sleep 3
		timeit "workload under bpftrace (exec + exec-map counts)" sh -c "$workload"
		kill -INT "$bpid"; wait "$bpid" || true
	else
		echo "bpftrace not installed: reference skipped"
	fi
else
	echo "not root, or no $IMAGE: workload timings skipped (run scripts/setup.sh as root)"
fi

# The join inside a whole scan: the sample image and its hand-written evidence.
timeit "pave scan sample (inventory only)" "$pave" scan --quiet --scanners none -f json -o "$OUT/a.json" testdata/images/sample-debian.tar
timeit "pave scan sample --runtime-evidence" "$pave" scan --quiet --scanners none -f json -o "$OUT/b.json" \
	--runtime-evidence internal/cli/testdata/evidence/sample.json testdata/images/sample-debian.tar

go test -run '^$' -bench 'Join|Observe' -benchtime 2s -count 1 ./internal/sensor/inuse | grep -E '^Benchmark'
go test -run '^$' -bench 'Analyze' -benchtime 2s -count 1 ./internal/sensor/baseline | grep -E '^Benchmark'
