package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/scan"
	"github.com/pavesec/pave/internal/sensor"
	"github.com/pavesec/pave/internal/sensor/baseline"
	"github.com/pavesec/pave/internal/sensor/container"
	"github.com/pavesec/pave/internal/sensor/event"
	"github.com/pavesec/pave/internal/sensor/inuse"
	"github.com/pavesec/pave/internal/sensor/rules"
	"github.com/pavesec/pave/internal/sensor/sensortest"
)

// stream collects the lines a running pipeline writes and lets a test wait
// for one that matches.
type stream struct {
	mu      sync.Mutex
	partial []byte
	lines   []Line
	notify  chan struct{}
	bad     error
}

func newStream() *stream { return &stream{notify: make(chan struct{}, 1)} }

func (s *stream) Write(b []byte) (int, error) {
	s.mu.Lock()
	s.partial = append(s.partial, b...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		var l Line
		if err := json.Unmarshal(s.partial[:i], &l); err != nil && s.bad == nil {
			s.bad = fmt.Errorf("bad line %q: %w", s.partial[:i], err)
		}
		s.lines = append(s.lines, l)
		s.partial = s.partial[i+1:]
	}
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
	return len(b), nil
}

// snapshot returns the lines so far.
func (s *stream) snapshot() []Line {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lines)
}

// wait returns the first line matching pred, waiting up to timeout.
func (s *stream) wait(t *testing.T, timeout time.Duration, what string, pred func(*Line) bool) *Line {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		for _, l := range s.snapshot() {
			if pred(&l) {
				return &l
			}
		}
		select {
		case <-s.notify:
		case <-time.After(100 * time.Millisecond):
		case <-deadline.C:
			t.Fatalf("no %s within %s", what, timeout)
			return nil
		}
	}
}

func findingOf(rule, containerID string) func(*Line) bool {
	return func(l *Line) bool {
		return l.Kind == KindFinding && l.Finding.Rule.ID == rule && l.Finding.Location.Container == containerID
	}
}

// dockerExec runs a command in a container and returns its exit code (-1
// when docker itself failed).
func dockerExec(t *testing.T, ctx context.Context, args ...string) int {
	t.Helper()
	cmd := exec.CommandContext(ctx, "docker", append([]string{"exec"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("docker exec %q: %v: %s", args, err, out.String())
	}
	return 0
}

// derivedImage commits a copy of the runtime image with a label, so that it
// has an image id of its own (baselines and evidence are per image).
func derivedImage(t *testing.T, ctx context.Context, base, name string) (ref, id string) {
	t.Helper()
	cid, err := sensortest.Docker(ctx, "create", base, "true")
	if err != nil {
		t.Fatal(err)
	}
	defer sensortest.Docker(context.Background(), "rm", "-f", cid)
	ref = "pave-test/" + name + ":e2e"
	if _, err := sensortest.Docker(ctx, "commit", "--change", "LABEL pave.e2e="+name, cid, ref); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sensortest.Docker(context.Background(), "rmi", "-f", ref) })
	id, err = sensortest.Docker(ctx, "image", "inspect", "--format", "{{.Id}}", ref)
	if err != nil {
		t.Fatal(err)
	}
	return ref, id
}

// session is one sensor run shared by the scenarios of TestEndToEnd.
type session struct {
	out      *stream
	recorder *inuse.Recorder
	baseDir  string
	stop     func() (*Summary, error)
}

func startSession(t *testing.T, ctx context.Context, learn time.Duration) *session {
	t.Helper()
	s, err := sensor.Open(ctx, sensor.Config{ContainersOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	res, err := container.New(ctx, container.Config{DockerSocket: sensortest.DockerSocket(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	eng, _, err := rules.Load(ctx, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var targets []sensor.KillTarget
	for _, n := range eng.EnforcedExecNames() {
		targets = append(targets, sensor.KillTarget{Name: n, ContainersOnly: true})
	}
	if err := s.Enforce(targets); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	drift, err := baseline.New(baseline.Options{Dir: dir, Mode: baseline.Learn, Learn: learn})
	if err != nil {
		t.Fatal(err)
	}
	rec := inuse.NewRecorder()
	out := newStream()
	runCtx, cancel := context.WithCancel(ctx)
	type result struct {
		sum *Summary
		err error
	}
	done := make(chan result, 1)
	go func() {
		sum, err := Run(runCtx, Config{Source: s, Enricher: res, Analyzers: []event.Analyzer{eng, drift, rec},
			Output: out, ContainersOnly: true, Enforce: eng.Enforces, Kill: KillProcess, Redactor: NewRedactor(nil),
			Warn: func(msg string) { t.Logf("warning: %s", msg) }})
		done <- result{sum, err}
	}()
	var once sync.Once
	var r result
	stop := func() (*Summary, error) {
		once.Do(func() {
			cancel()
			r = <-done
		})
		return r.sum, r.err
	}
	t.Cleanup(func() { stop() })
	return &session{out: out, recorder: rec, baseDir: dir, stop: stop}
}

// scenario triggers one built-in rule in a container.
type scenario struct {
	rule string
	// in is "main", "priv" (a container with CAP_SYS_ADMIN and
	// CAP_SYS_PTRACE, unconfined) or "user" (main, as uid 65534).
	in  string
	cmd []string
	// killed: the kernel kills the process at exec (an enforcing rule whose
	// program name it knows); the exit code is then 137.
	killed bool
}

// The scenarios, one per built-in rule. Each is the real thing the rule is
// about, done with the tools of the runtime image (bash, coreutils,
// util-linux, perl-base, netcat-openbsd); the network is none, so remote
// connections fail at once but are still attempted (and seen).
var scenarios = []scenario{
	{"PAVE-RT-001", "main", []string{"script", "-qec", "sh -c 'exit 0'", "/dev/null"}, false},
	{"PAVE-RT-002", "main", []string{"find", "/etc/hostname", "-exec", "sh", "-c", "exit 0", ";"}, false},
	{"PAVE-RT-003", "main", []string{"dpkg", "--version"}, true},
	{"PAVE-RT-004", "main", []string{"sh", "-c", "cp /bin/true /tmp/pip && /tmp/pip install requests"}, false},
	{"PAVE-RT-005", "main", []string{"bash", "-c", "echo hi > /dev/tcp/127.0.0.1/9 || true"}, false},
	{"PAVE-RT-006", "main", []string{"bash", "-c", "exec 3<>/dev/tcp/10.255.255.1/80 || true"}, false},
	{"PAVE-RT-007", "main", []string{"cat", "/etc/shadow"}, false},
	{"PAVE-RT-008", "main", []string{"sh", "-c", "mkdir -p /var/run/secrets/kubernetes.io/serviceaccount && echo t > /var/run/secrets/kubernetes.io/serviceaccount/token && cat /var/run/secrets/kubernetes.io/serviceaccount/token"}, false},
	{"PAVE-RT-009", "main", []string{"touch", "/usr/local/bin/dropped"}, false},
	{"PAVE-RT-010", "main", []string{"sh", "-c", "echo x > /etc/pave-e2e.conf"}, false},
	{"PAVE-RT-011", "main", []string{"sh", "-c", "touch /run/docker.sock; cat /run/docker.sock"}, false},
	{"PAVE-RT-012", "priv", []string{"unshare", "-U", "true"}, false},
	{"PAVE-RT-013", "main", []string{"nsenter", "--version"}, true},
	{"PAVE-RT-014", "priv", []string{"mount", "-t", "tmpfs", "none", "/mnt"}, false},
	{"PAVE-RT-015", "main", []string{"nc", "-w", "1", "10.255.255.1", "3333"}, false},
	{"PAVE-RT-016", "main", []string{"sh", "-c", "cp /bin/true /tmp/xmrig && exec /tmp/xmrig"}, true},
	{"PAVE-RT-017", "priv", []string{"perl", "-e", `$p = fork; if (!$p) { sleep 3; exit } syscall(101, 16, $p, 0, 0); kill 9, $p`}, false},
	{"PAVE-RT-018", "main", []string{"perl", "-e", `my $n = "pave"; my $fd = syscall(319, $n, 0); die "memfd" if $fd < 0; open(my $in, "<:raw", "/bin/true") or die; local $/; my $b = <$in>; open(my $out, ">&=:raw", $fd) or die; syswrite($out, $b) == length($b) or die; exec {"/proc/self/fd/$fd"} "memfd-true"`}, false},
	{"PAVE-RT-019", "user", []string{"perl", "-e", `syscall(105, 0)`}, false},
	{"PAVE-RT-020", "main", []string{"sh", "-c", "cp /bin/true /tmp/tool && echo >> /tmp/tool"}, false},
}

// TestEndToEnd runs the real eBPF sensor with enrichment from the real
// Docker engine, the built-in rules, drift baselines, the in-use recorder
// and enforcement, in one session, and drives real containers through it:
// every built-in rule fires on its scenario, a benign workload stays
// silent, drift fires after learning, in-use evidence names exactly the
// packages a container used, and enforcement kills in the kernel and from
// userspace.
func TestEndToEnd(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("the end-to-end test needs root")
		}
		t.Skip("the end-to-end test needs root (eBPF)")
	}
	img := sensortest.RuntimeImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	driftRef, driftID := derivedImage(t, ctx, img, "drift")
	inuseRef, inuseID := derivedImage(t, ctx, img, "inuse")

	// Names unique to this run: a failed run's leftovers do not collide.
	name := func(s string) string { return fmt.Sprintf("pave-e2e-%s-%d", s, os.Getpid()) }
	const learn = 3 * time.Second
	ses := startSession(t, ctx, learn)

	// The benign workload starts first, so its image's learning window
	// holds its loop: from then on it repeats itself and nothing fires.
	benign := sensortest.RunContainer(t, ctx, sensortest.RunOptions{Image: img, Name: name("benign"),
		Cmd: []string{"sh", "-c", "while :; do cat /etc/os-release > /dev/null; ls /usr/share > /dev/null; sleep 0.3; done"}})
	ses.out.wait(t, 30*time.Second, "benign workload event", func(l *Line) bool {
		return l.Kind == KindEvent && l.Event.Container != nil && l.Event.Container.ID == benign && l.Event.Proc.Comm == "ls"
	})
	main := sensortest.RunContainer(t, ctx, sensortest.RunOptions{Image: img, Name: name("main")})
	// Not --privileged (some sandboxes refuse it): the capabilities and
	// the unconfined profiles that mount, unshare and ptrace need.
	priv := sensortest.RunContainer(t, ctx, sensortest.RunOptions{Image: img, Name: name("priv"),
		Args: []string{"--cap-add", "SYS_ADMIN", "--cap-add", "SYS_PTRACE",
			"--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined"}})
	drift := sensortest.RunContainer(t, ctx, sensortest.RunOptions{Image: driftRef, Name: name("drift"),
		Cmd: []string{"sh", "-c", "sed -n 1p /etc/hostname > /dev/null; sleep 600"}})
	// Its command, sleep, runs (and maps libc) before the engine has
	// told enrichment about the container: the pipeline holds those
	// events until it has (the kernel reports a file's first mapping in a
	// cgroup only once, so a miss here would lose libc for good).
	used := sensortest.RunContainer(t, ctx, sensortest.RunOptions{Image: inuseRef, Name: name("inuse")})

	t.Run("rules", func(t *testing.T) {
		for _, sc := range scenarios {
			t.Run(sc.rule, func(t *testing.T) {
				id, args := main, []string{main}
				switch sc.in {
				case "priv":
					id, args = priv, []string{priv}
				case "user":
					args = []string{"-u", "65534", main}
				}
				code := dockerExec(t, ctx, append(args, sc.cmd...)...)
				l := ses.out.wait(t, 20*time.Second, sc.rule+" finding", findingOf(sc.rule, id))
				if l.Finding.Target.Name != img {
					t.Errorf("finding target %q, want the image %q", l.Finding.Target.Name, img)
				}
				if sc.killed {
					if code != 137 {
						t.Errorf("exit code %d, want 137 (SIGKILL at exec)", code)
					}
					if l.Action == nil || l.Action.By != "kernel" {
						t.Errorf("action %+v, want the kernel's kill", l.Action)
					}
				}
			})
		}
	})

	t.Run("userspace kill", func(t *testing.T) {
		// The miner rule matches a pool URL in the arguments of a shell:
		// the kernel does not know that name, so pave kills the shell.
		// The shell runs two commands, so it stays a shell (no exec).
		start := time.Now()
		code := dockerExec(t, ctx, main, "sh", "-c", "sleep 20; true", "sh", "stratum+tcp://pool.example:3333")
		l := ses.out.wait(t, 20*time.Second, "userspace kill", func(l *Line) bool {
			return findingOf("PAVE-RT-016", main)(l) && l.Action != nil && l.Action.By == "pave"
		})
		if code != 137 || time.Since(start) > 15*time.Second {
			t.Errorf("shell exit code %d after %s, want 137 at once (action %+v)", code, time.Since(start), l.Action)
		}
	})

	t.Run("drift", func(t *testing.T) {
		file := filepath.Join(ses.baseDir, strings.ReplaceAll(driftID, ":", "-")+".json")
		// Learning ends with the first event after the window: keep
		// running what the container already did until the file is there.
		deadline := time.Now().Add(30 * time.Second)
		for {
			dockerExec(t, ctx, drift, "sed", "-n", "1p", "/etc/hostname")
			if _, err := os.Stat(file); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no baseline %s after learning", file)
			}
			time.Sleep(500 * time.Millisecond)
		}
		dockerExec(t, ctx, drift, "gzip", "--version")
		l := ses.out.wait(t, 20*time.Second, "drift finding", func(l *Line) bool {
			return findingOf(baseline.RuleExec.ID, drift)(l) && strings.Contains(l.Finding.Evidence+l.Finding.Message+l.Finding.Location.Path, "gzip")
		})
		t.Logf("drift: %s", l.Finding.Message)
		for _, l := range ses.out.snapshot() {
			if findingOf(baseline.RuleExec.ID, drift)(&l) && strings.Contains(l.Finding.Evidence+l.Finding.Message+l.Finding.Location.Path, "/sed") {
				t.Errorf("sed was learned, yet drift: %+v", l.Finding)
			}
		}
	})

	// In use: the container runs sed and gzip.
	dockerExec(t, ctx, used, "sed", "-n", "1p", "/etc/hostname")
	dockerExec(t, ctx, used, "gzip", "--version")
	ses.out.wait(t, 20*time.Second, "gzip exec in the in-use container", func(l *Line) bool {
		return l.Kind == KindEvent && l.Event.Type == event.Exec && l.Event.Container != nil &&
			l.Event.Container.ID == used && l.Event.Proc.Comm == "gzip"
	})

	sum, err := ses.stop()
	if err != nil {
		t.Fatal(err)
	}
	if ses.out.bad != nil {
		t.Fatal(ses.out.bad)
	}
	t.Logf("summary: events %v, findings %v, dropped %d, enrich misses %d", sum.Events, sum.Findings, sum.DroppedTotal, sum.EnrichMisses)

	t.Run("benign silent", func(t *testing.T) {
		n := 0
		for _, l := range ses.out.snapshot() {
			if l.Kind == KindEvent && l.Event.Container != nil && l.Event.Container.ID == benign {
				n++
			}
			if l.Kind == KindFinding && l.Finding.Location.Container == benign {
				t.Errorf("benign workload fired %s: %s", l.Finding.Rule.ID, l.Finding.Message)
			}
		}
		if n < 10 {
			t.Errorf("only %d events from the benign workload: it was not watched", n)
		}
	})

	t.Run("in use", func(t *testing.T) {
		ev := ses.recorder.Evidence()
		im, ok := ev.Find("", inuseID)
		if !ok {
			t.Fatalf("no evidence for %s in %s", inuseID, ev.Names())
		}
		res, err := scan.Run(ctx, "docker:"+inuseRef, scan.Config{})
		if err != nil {
			t.Fatal(err)
		}
		j := inuse.Join(res.Scan.Packages, im, inuse.JoinOptions{Resolve: res.View.Resolve})
		var got []string
		for i := range res.Scan.Packages {
			if p := &res.Scan.Packages[i]; j.InUse(p) {
				got = append(got, p.Name)
			}
		}
		slices.Sort(got)
		// sleep is coreutils; sed and gzip their own packages; libc is
		// libc6; sed links libacl1, libselinux1 and libpcre2-8-0
		// (bookworm). Nothing else ran: not bash, dpkg, busybox...
		want := []string{"coreutils", "gzip", "libacl1", "libc6", "libpcre2-8-0", "libselinux1", "sed"}
		if !slices.Equal(got, want) {
			var files []string
			for _, f := range im.Files {
				files = append(files, f.Path)
			}
			t.Errorf("in use %q, want %q (evidence files %q)", got, want, files)
			for _, l := range ses.out.snapshot() {
				if l.Kind == KindEvent && l.Event.ContainerID == used {
					t.Logf("%s %s %s %v %+v enriched=%v", l.Event.Time.Format("15:04:05.000"), l.Event.Type, l.Event.Proc.Comm, l.Event.Proc.Exe, l.Event.File, l.Event.Container != nil)
				}
			}
		}
	})
}

// slowWriter makes the output the bottleneck.
type slowWriter struct{ d time.Duration }

func (w slowWriter) Write(b []byte) (int, error) {
	time.Sleep(w.d)
	return len(b), nil
}

// TestDropsReported makes the real kernel drop events: a one-page ring
// buffer, queues of one and an output that takes 20ms a write, while a
// container runs a burst of programs. The pipeline waits rather than drop
// (queue waits counted), the kernel counts what it could not queue, and
// the drops reach the warnings, the summary and the metrics.
func TestDropsReported(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("needs root")
		}
		t.Skip("needs root (eBPF)")
	}
	img := sensortest.RuntimeImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := sensor.Open(ctx, sensor.Config{ContainersOnly: true, RingBufferSize: os.Getpagesize()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := sensortest.RunContainer(t, ctx, sensortest.RunOptions{Image: img})
	m := NewMetrics()
	var mu sync.Mutex
	var warnings []string
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan *Summary, 1)
	go func() {
		sum, err := Run(runCtx, Config{Source: s, Output: slowWriter{20 * time.Millisecond}, QueueLen: 1, Metrics: m,
			Warn: func(msg string) { mu.Lock(); warnings = append(warnings, msg); mu.Unlock() }})
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	dockerExec(t, ctx, id, "sh", "-c", "i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i+1)); done")
	deadline := time.Now().Add(20 * time.Second)
	for {
		var total uint64
		for _, n := range s.Stats().Dropped {
			total += n
		}
		if total > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the kernel dropped nothing: the test did not overload it")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // one tick of the drop monitor
	var text bytes.Buffer
	m.WriteText(&text)
	stop()
	sum := <-done
	if sum.DroppedTotal == 0 || sum.Dropped[event.Exec] == 0 {
		t.Errorf("summary dropped %v", sum.Dropped)
	}
	if sum.QueueWaits["read"] == 0 && sum.QueueWaits["analyze"] == 0 {
		t.Errorf("no queue waits counted: %v", sum.QueueWaits)
	}
	if !strings.Contains(text.String(), `pave_sensor_events_dropped_total{type="execve"} `) ||
		strings.Contains(text.String(), `pave_sensor_events_dropped_total{type="execve"} 0`+"\n") {
		t.Errorf("metrics do not show the execve drops:\n%s", text.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(warnings) < 2 || !strings.Contains(warnings[0], "so far") || !strings.Contains(warnings[len(warnings)-1], "in all") {
		t.Errorf("warnings %q: want a live one and a final one", warnings)
	}
}
