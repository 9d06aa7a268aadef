package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/sensor/event"
	"github.com/pavesec/pave/internal/sensor/inuse"
	"github.com/pavesec/pave/internal/sensor/pipeline"
	"github.com/pavesec/pave/internal/sensor/sensortest"
)

const recordingFile = "../sensor/pipeline/testdata/recording.jsonl.gz"

func pave(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// streamLines decodes a sensor stream.
func streamLines(t *testing.T, b []byte) []pipeline.Line {
	t.Helper()
	var ls []pipeline.Line
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, pipeline.MaxLineBytes)
	for sc.Scan() {
		var l pipeline.Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		ls = append(ls, l)
	}
	return ls
}

func TestSensorUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(`{"kind":"event","event":{"time":"2026-12-07T22:00:00Z","type":"execve","proc":{}}}`+"\n{oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badRules := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badRules, []byte("- rule: [unclosed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sensor", "--events", "fork"}, `--events: unknown type "fork"`},
		{[]string{"sensor", "--learn", "1m"}, "--learn needs --baseline-dir"},
		{[]string{"sensor", "--duration", "-1s"}, "--duration must not be negative"},
		{[]string{"sensor", "--output", "/nonexistent/dir/x.jsonl"}, "directory /nonexistent/dir does not exist"},
		{[]string{"sensor", "--evidence", dir}, "is a directory"},
		{[]string{"sensor", "extra"}, `unexpected argument "extra"`},
		{[]string{"sensor", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"sensor", "--rules", badRules, "--duration", "1s"}, "bad.yaml"},
		{[]string{"sensor", "replay"}, "needs one recording FILE"},
		{[]string{"sensor", "replay", filepath.Join(dir, "missing.jsonl")}, "no such file"},
		{[]string{"sensor", "replay", bad}, "bad.jsonl:2: column"},
		{[]string{"sensor", "replay", recordingFile, "--fail-on", "urgent"}, `unknown severity "urgent"`},
		{[]string{"sensor", "rules", "--format", "xml"}, `unknown format "xml"`},
		{[]string{"sensor", "rules", "--rules", filepath.Join(dir, "none.yaml")}, "none.yaml"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := pave(t, tt.args...)
			if code != ExitInput {
				t.Errorf("exit %d, want %d (stderr %q)", code, ExitInput, stderr)
			}
			if !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "pave: ") {
				t.Errorf("stderr %q, want one line containing %q", stderr, tt.want)
			}
		})
	}
}

func TestSensorReplay(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "findings.jsonl")
	evidence := filepath.Join(dir, "evidence.json")
	code, stdout, stderr := pave(t, "sensor", "replay", recordingFile, "-o", out, "--evidence", evidence)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "pave: sensor: 1252 events, 8 findings, 0 dropped") {
		t.Errorf("summary line: %q", stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	ls := streamLines(t, b)
	rules := map[string]int{}
	for _, l := range ls[:len(ls)-1] {
		if l.Kind != pipeline.KindFinding {
			t.Fatalf("replay wrote a %s line with --events none by default", l.Kind)
		}
		rules[l.Finding.Rule.ID]++
	}
	want := map[string]int{"PAVE-RT-002": 1, "PAVE-RT-003": 1, "PAVE-RT-005": 2, "PAVE-RT-007": 1,
		"PAVE-RT-009": 1, "PAVE-RT-010": 1, "PAVE-RT-015": 1}
	if fmt.Sprint(rules) != fmt.Sprint(want) {
		t.Errorf("findings by rule %v, want %v", rules, want)
	}
	if ls[len(ls)-1].Kind != pipeline.KindStats {
		t.Errorf("last line %+v", ls[len(ls)-1])
	}
	// The evidence names the recorded container's files.
	ev, err := inuse.ReadFile(evidence)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Images) != 1 || len(ev.Images[0].Files) < 5 {
		t.Errorf("evidence %+v", ev)
	}

	// The gate: the recording has critical findings (reverse shell).
	if code, _, stderr := pave(t, "sensor", "replay", recordingFile, "--fail-on", "critical", "-o", filepath.Join(dir, "g.jsonl")); code != ExitPolicy ||
		!strings.Contains(stderr, "2 findings of severity critical (--fail-on critical)") {
		t.Errorf("--fail-on critical: exit %d, %q", code, stderr)
	}
	// A device is written as is, never replaced by a renamed file.
	if code, _, stderr := pave(t, "sensor", "replay", recordingFile, "-o", os.DevNull); code != 0 {
		t.Errorf("-o %s: exit %d: %s", os.DevNull, code, stderr)
	}
	if st, err := os.Stat(os.DevNull); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a character device: %v %v", os.DevNull, st.Mode(), err)
	}
	// Events on request, filtered by type.
	code, stdout, _ = pave(t, "sensor", "replay", recordingFile, "--events", "connect", "--no-builtin-rules")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, l := range streamLines(t, []byte(stdout)) {
		if l.Kind == pipeline.KindFinding || (l.Kind == pipeline.KindEvent && l.Event.Type != event.Connect) {
			t.Errorf("unexpected line %+v", l)
		}
	}
}

func TestSensorRules(t *testing.T) {
	code, stdout, stderr := pave(t, "sensor", "rules")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"PAVE-RT-001", "PAVE-RT-020", "PAVE-RT-003  high      yes", "20 rules loaded: 20 enabled, 0 disabled"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = pave(t, "sensor", "rules", "--format", "json")
	var doc struct {
		Rules []struct{ ID string }
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &doc) != nil || len(doc.Rules) != 20 {
		t.Errorf("json: exit %d, %d rules", code, len(doc.Rules))
	}
}

// freePort returns a loopback address nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestSensorLive runs `pave sensor` in-process on the real eBPF sensor and
// Docker engine: a container reads /etc/shadow and runs dpkg; the stream
// (filtered to two event types) holds the events and findings, the kernel
// killed dpkg (--enforce), the metrics count them while it runs, and
// cancelling the context (what SIGINT does) ends it with exit 0, a final
// stats line and the evidence written.
func TestSensorLive(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("the sensor needs root")
		}
		t.Skip("the sensor needs root")
	}
	img := sensortest.RuntimeImage(t)
	if code, out, stderr := pave(t, "sensor", "--check"); code != 0 || !strings.Contains(out, "The sensor can run on this host.") {
		t.Fatalf("--check: exit %d: %s %s", code, out, stderr)
	}
	dir := t.TempDir()
	out, evidence, addr := filepath.Join(dir, "s.jsonl"), filepath.Join(dir, "e.json"), freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan string, 1)
	go func() {
		var o, e bytes.Buffer
		code := Main(runCtx, []string{"sensor", "--containers-only", "--enforce", "--events", "execve,openat",
			"-o", out, "--evidence", evidence, "--metrics-addr", addr}, &o, &e)
		done <- fmt.Sprintf("exit %d: %s%s", code, o.String(), e.String())
	}()
	metrics := func() string {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	// The metrics endpoint answers once the sensor is attached.
	waitFor(t, 30*time.Second, "metrics endpoint", func() bool { return metrics() != "" })

	id := sensortest.RunContainer(t, ctx, sensortest.RunOptions{Image: img})
	if _, err := sensortest.Exec(ctx, id, "cat", "/etc/shadow"); err != nil {
		t.Fatal(err)
	}
	if _, err := sensortest.Exec(ctx, id, "dpkg", "--version"); err == nil || !strings.Contains(err.Error(), "137") {
		t.Errorf("dpkg was not killed: %v", err)
	}
	waitFor(t, 20*time.Second, "findings in the metrics", func() bool {
		m := metrics()
		return strings.Contains(m, `pave_sensor_findings_total{rule="PAVE-RT-007",severity="medium"} 1`) &&
			strings.Contains(m, `pave_sensor_enforcement_actions_total{by="kernel"} 1`)
	})
	stop()
	if res := <-done; !strings.HasPrefix(res, "exit 0: pave: sensor: ") {
		t.Fatalf("pave sensor: %s", res)
	}

	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	ls := streamLines(t, b)
	var shadow, killed bool
	for _, l := range ls[:len(ls)-1] {
		switch l.Kind {
		case pipeline.KindEvent:
			if l.Event.Type != event.Exec && l.Event.Type != event.Open {
				t.Errorf("--events execve,openat wrote a %s event", l.Event.Type)
			}
		case pipeline.KindFinding:
			if l.Finding.Location.Container != id {
				continue
			}
			shadow = shadow || l.Finding.Rule.ID == "PAVE-RT-007"
			killed = killed || (l.Finding.Rule.ID == "PAVE-RT-003" && l.Action != nil && l.Action.By == "kernel")
		default:
			t.Errorf("unexpected %s line before the end", l.Kind)
		}
	}
	if !shadow || !killed {
		t.Errorf("shadow finding %v, dpkg killed by the kernel %v", shadow, killed)
	}
	if last := ls[len(ls)-1]; last.Kind != pipeline.KindStats || last.Stats.Findings["PAVE-RT-007"] == 0 {
		t.Errorf("last line %+v", last)
	}
	ev, err := inuse.ReadFile(evidence)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, im := range ev.Images {
		for _, f := range im.Files {
			found = found || f.Path == "/usr/bin/cat"
		}
	}
	if !found {
		t.Errorf("evidence lacks /usr/bin/cat: %+v", ev)
	}
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSensorReplayDrift learns baselines from the first second of the real
// recording, then reports drift for what the container did afterwards (it
// ran dpkg, bash and nc only at the end); a second replay in detect mode
// reads the saved baseline and reports the same drift.
func TestSensorReplayDrift(t *testing.T) {
	dir := t.TempDir()
	drift := func(stdout string) map[string]bool {
		got := map[string]bool{}
		for _, l := range streamLines(t, []byte(stdout)) {
			if l.Kind == pipeline.KindFinding && strings.HasPrefix(l.Finding.Rule.ID, "PAVE-RT-DRIFT-") {
				got[l.Finding.Rule.ID+" "+l.Finding.Evidence] = true
			}
		}
		return got
	}
	code, stdout, stderr := pave(t, "sensor", "replay", recordingFile, "--no-builtin-rules", "--baseline-dir", dir, "--learn", "1s")
	if code != 0 {
		t.Fatalf("learn: exit %d: %s", code, stderr)
	}
	learned := drift(stdout)
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("baselines written: %q", files)
	}
	var dpkg bool
	for k := range learned {
		dpkg = dpkg || strings.Contains(k, "DRIFT-EXEC") && strings.Contains(k, "dpkg")
	}
	if !dpkg {
		t.Errorf("no drift for dpkg after learning: %v", learned)
	}
	code, stdout, stderr = pave(t, "sensor", "replay", recordingFile, "--no-builtin-rules", "--baseline-dir", dir)
	if code != 0 {
		t.Fatalf("detect: exit %d: %s", code, stderr)
	}
	for k := range learned {
		if !drift(stdout)[k] {
			t.Errorf("detect mode lacks %q", k)
		}
	}
}

// TestSensorNotRoot: without root the sensor and its probe refuse in one
// line with exit 2. As root, the test runs pave (this test binary, under
// the name testscript gives it) as nobody through setpriv.
func TestSensorNotRoot(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sensor", "--duration", "1s"}, "needs root"},
		{[]string{"sensor", "--check"}, "needs root"},
	}
	run := func(args []string) (int, string) {
		code, _, stderr := pave(t, args...)
		return code, stderr
	}
	if os.Geteuid() == 0 {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skip("as root this test needs setpriv (util-linux) to drop to nobody")
		}
		src, err := exec.LookPath("pave") // testscript puts this test binary on PATH as pave
		if err != nil {
			t.Fatal(err)
		}
		dir, err := os.MkdirTemp("", "pave-nonroot-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "pave")
		if err := os.WriteFile(bin, b, 0o755); err != nil || os.Chmod(dir, 0o755) != nil {
			t.Fatal(err)
		}
		run = func(args []string) (int, string) {
			cmd := exec.Command(setpriv, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", bin}, args...)...)
			cmd.Dir = dir
			var errb bytes.Buffer
			cmd.Stderr = &errb
			err := cmd.Run()
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return ee.ExitCode(), errb.String()
			}
			if err != nil {
				t.Fatal(err)
			}
			return 0, errb.String()
		}
	}
	for _, tt := range tests {
		code, stderr := run(tt.args)
		if code != ExitInput || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d and one line with %q", tt.args, code, stderr, ExitInput, tt.want)
		}
	}
}
