#!/usr/bin/env bash
# Runtime sensor overhead: the CPU time (user+sys) of two workloads with no
# tracer, with bpftrace counting the same events in the kernel (the issue's
# reference: ~35% on an openat/close loop, ~2% on an exec loop), and with
# pave's eBPF sensor attached and a reader decoding every event
# (internal/sensor/cmd/sensordrain). Then a 50,000 events/s stream for
# lost events, and the sensor's CPU and peak RSS.
#
#   sudo scripts/bench-sensor.sh              # WORK=/var/tmp/bench-sensor
#   OPENS=1000000 EXECS=3000 REPS=5 RATE=50000 SECONDS_50K=10 scripts/bench-sensor.sh
#   SENSOR_FLAGS=-language-reads scripts/bench-sensor.sh   # flags for sensordrain
#
# Needs root, clang and bpftrace. Workloads are small C programs compiled
# into $WORK; each prints its own CPU time from getrusage. Each figure is
# the median of REPS runs, the three modes taking turns. Nothing is written
# into this repository.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/var/tmp/bench-sensor}
OPENS=${OPENS:-1000000}
EXECS=${EXECS:-3000}
REPS=${REPS:-5}
RATE=${RATE:-50000}
SECONDS_50K=${SECONDS_50K:-10}
SENSOR_FLAGS=${SENSOR_FLAGS:-}
mkdir -p "$WORK"
[[ $(id -u) == 0 ]] || { echo "bench-sensor: needs root" >&2; exit 2; }
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing

cat >"$WORK/openloop.c" <<'EOF'
// openloop N [w]: N x open+close of one file (read-only, or O_WRONLY with
// "w"); prints its CPU time in ms.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>
int main(int argc, char **argv) {
	long n = atol(argv[1]);
	int flags = argc > 2 ? O_WRONLY : O_RDONLY;
	const char *p = argc > 2 ? argv[2] : "/etc/hostname";
	for (long i = 0; i < n; i++) {
		int fd = open(p, flags);
		if (fd < 0) { perror("open"); return 1; }
		close(fd);
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("%.1f\n", (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
	return 0;
}
EOF
cat >"$WORK/execloop.c" <<'EOF'
// execloop N: N x fork+exec of /bin/true, waited for; prints the CPU time
// of itself and its children in ms.
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
static double ms(struct rusage *r) {
	return (r->ru_utime.tv_sec + r->ru_stime.tv_sec) * 1e3 + (r->ru_utime.tv_usec + r->ru_stime.tv_usec) / 1e3;
}
int main(int argc, char **argv) {
	long n = atol(argv[1]);
	char *args[] = {"/bin/true", "--bench", NULL};
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) { execv(args[0], args); _exit(127); }
		int st;
		waitpid(p, &st, 0);
	}
	struct rusage s, c;
	getrusage(RUSAGE_SELF, &s);
	getrusage(RUSAGE_CHILDREN, &c);
	printf("%.1f\n", ms(&s) + ms(&c));
	return 0;
}
EOF
cat >"$WORK/connrate.c" <<'EOF'
// connrate RATE SECONDS: connect() a UDP socket to 127.0.0.1:9 RATE times
// a second (paced every millisecond) for SECONDS; prints the count. Each
// connect is one sensor event; a UDP connect sends nothing.
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
	double rate = atof(argv[1]), secs = atof(argv[2]);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	double start = now();
	long n = 0;
	for (;;) {
		double el = now() - start;
		if (el >= secs) break;
		long target = (long)(el * rate);
		while (n < target) { connect(fd, (struct sockaddr *)&a, sizeof(a)); n++; }
		usleep(1000);
	}
	printf("%ld\n", n);
	return 0;
}
EOF
for p in openloop execloop connrate; do
	clang -O2 -o "$WORK/$p" "$WORK/$p.c"
done
(cd "$repo" && go build -o "$WORK/sensordrain" ./internal/sensor/cmd/sensordrain)
touch "$WORK/wfile"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# tracer_start MODE PROBE: start nothing, bpftrace on PROBE, or pave.
tpid=""
tracer_start() {
	rm -f "$WORK/ready" "$WORK/tracer.out"
	case $1 in
	none) tpid="" ;;
	bpftrace)
		bpftrace -e "$2 { @[comm] = count(); }" >"$WORK/tracer.out" 2>&1 &
		tpid=$!
		until grep -q Attaching "$WORK/tracer.out" 2>/dev/null; do sleep 0.1; done
		sleep 0.5
		;;
	pave)
		"$WORK/sensordrain" $SENSOR_FLAGS -ready "$WORK/ready" >"$WORK/tracer.out" &
		tpid=$!
		until [[ -e $WORK/ready ]]; do sleep 0.1; done
		;;
	esac
}
tracer_stop() {
	[[ -n $tpid ]] || return 0
	# A background job starts with SIGINT ignored until the tracer installs
	# its handler: repeat the signal, then insist.
	for _ in $(seq 50); do
		kill -INT "$tpid" 2>/dev/null || break
		sleep 0.1
		kill -0 "$tpid" 2>/dev/null || break
	done
	kill -TERM "$tpid" 2>/dev/null || true
	wait "$tpid" || true
}

# measure NAME PROBE CMD...: median workload CPU ms per mode. The modes
# alternate within each repetition, so a machine whose load drifts biases
# no mode.
declare -A result
measure() {
	local name=$1 probe=$2
	shift 2
	local -A runs=()
	for _ in $(seq "$REPS"); do
		for mode in none bpftrace pave; do
			tracer_start "$mode" "$probe"
			runs[$mode]+="$("$@") "
			tracer_stop
		done
	done
	for mode in none bpftrace pave; do
		result[$name,$mode]=$(printf '%s\n' ${runs[$mode]} | median)
		echo "  $name $mode: ${runs[$mode]}-> median ${result[$name,$mode]} ms"
	done
}

echo "kernel $(uname -r), $(nproc) CPUs, bpftrace $(bpftrace --version 2>/dev/null | awk '{print $2}'), REPS=$REPS, sensordrain flags: ${SENSOR_FLAGS:-none}"
measure "open/close x$OPENS (read)" "tracepoint:syscalls:sys_enter_openat" "$WORK/openloop" "$OPENS"
measure "open/close x$OPENS (write)" "tracepoint:syscalls:sys_enter_openat" "$WORK/openloop" "$OPENS" "$WORK/wfile"
measure "exec x$EXECS" "tracepoint:sched:sched_process_exec" "$WORK/execloop" "$EXECS"

echo
printf '| workload | no tracer (ms CPU) | bpftrace | pave sensor |\n|---|---|---|---|\n'
for name in "open/close x$OPENS (read)" "open/close x$OPENS (write)" "exec x$EXECS"; do
	base=${result[$name,none]}
	awk -v n="$name" -v b="$base" -v t="${result[$name,bpftrace]}" -v p="${result[$name,pave]}" \
		'BEGIN { printf "| %s | %.0f | %.0f (%+.1f%%) | %.0f (%+.1f%%) |\n", n, b, t, (t-b)/b*100, p, (p-b)/b*100 }'
done

echo
echo "Kernel time per program run (kernel.bpf_stats_enabled=1; steadier than CPU totals on a busy machine):"
sysctl -qw kernel.bpf_stats_enabled=1
trap 'sysctl -qw kernel.bpf_stats_enabled=0' EXIT
tracer_start bpftrace "tracepoint:syscalls:sys_enter_openat"
"$WORK/openloop" "$OPENS" >/dev/null
echo "  bpftrace, open/close loop: $("$WORK/sensordrain" -programs sys_enter_opena)"
tracer_stop
tracer_start bpftrace "tracepoint:sched:sched_process_exec"
"$WORK/execloop" "$EXECS" >/dev/null
echo "  bpftrace, exec loop: $("$WORK/sensordrain" -programs sched_process_e)"
tracer_stop
rm -f "$WORK/ready"
"$WORK/sensordrain" $SENSOR_FLAGS -profile -ready "$WORK/ready" >"$WORK/tracer.out" &
tpid=$!
until [[ -e $WORK/ready ]]; do sleep 0.1; done
"$WORK/openloop" "$OPENS" >/dev/null
"$WORK/openloop" "$OPENS" "$WORK/wfile" >/dev/null
"$WORK/execloop" "$EXECS" >/dev/null
tracer_stop
python3 -c 'import json, sys
for k, v in sorted(json.load(sys.stdin)["programs"].items()): print("  pave", k + ":", v)' <"$WORK/tracer.out"
sysctl -qw kernel.bpf_stats_enabled=0

echo
echo "$RATE events/s for ${SECONDS_50K}s (UDP connects), pave sensor reading every event:"
tracer_start pave ""
sent=$("$WORK/connrate" "$RATE" "$SECONDS_50K")
sleep 1
tracer_stop
stats=$(cat "$WORK/tracer.out")
echo "  generated $sent connects; sensor: $stats"
echo "$stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)
sent = int(sys.argv[1]); secs = float(sys.argv[2])
print("| events generated | connect events received | dropped (all types) | sensor CPU | sensor peak RSS |")
print("|---|---|---|---|---|")
cpu = (s["cpuUserMs"] + s["cpuSysMs"]) / 1000
got, lost, rss = s["received"].get("connect", 0), s["dropped"], s["maxRSSKiB"] / 1024
print(f"| {sent} ({sent/secs:.0f}/s) | {got} | {lost} | {cpu:.2f} s ({cpu/secs*100:.0f}% of a CPU) | {rss:.0f} MiB |")
' "$sent" "$SECONDS_50K"
