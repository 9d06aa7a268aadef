package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/report"
	"github.com/pavesec/pave/internal/sensor/sensortest"
)

// runPave runs the CLI in-process and returns its exit code and output.
func runPave(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// evidenceDB builds a signed database from the repository's real records,
// as make demo does.
func evidenceDB(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	if code, _, stderr := runPave(t, "db", "keygen", "-o", key); code != 0 {
		t.Fatalf("keygen: %s", stderr)
	}
	db := filepath.Join(dir, "v.db")
	args := []string{"db", "build", "--offline", "-o", db, "--key", key + ".key"}
	for _, in := range []string{"osv=go", "osv=pypa", "osv=ghsa", "ghsa-csv=ghsa/advisories-npm.csv"} {
		kind, p, _ := strings.Cut(in, "=")
		args = append(args, kind+"="+filepath.Join("..", "..", "testdata", "vulndb", p))
	}
	if code, _, stderr := runPave(t, args...); code != 0 {
		t.Fatalf("db build: %s", stderr)
	}
	return []string{"scan", "--offline", "--quiet", "--db", db, "--db-key", key + ".pub"}
}

const sampleImage = "../../testdata/images/sample-debian.tar"

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", "evidence", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs (rerun with -update to accept):\n--- want\n%s\n--- got\n%s", p, want, got)
	}
}

// TestRuntimeEvidence scans the sample image with evidence naming files of
// exactly some packages: those packages' findings are in use and first
// within their severity, every other finding with a package is not.
func TestRuntimeEvidence(t *testing.T) {
	db := evidenceDB(t)
	evidence := filepath.Join("testdata", "evidence", "sample.json")

	code, out, stderr := runPave(t, append(db, "--runtime-evidence", evidence, "-f", "json", sampleImage)...)
	if code != 0 {
		t.Fatalf("scan -f json: exit %d: %s", code, stderr)
	}
	var s report.Scan
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	var lines strings.Builder
	for _, f := range s.Findings {
		in := "-"
		if f.Package != nil {
			if f.Signals.InUse == nil {
				t.Errorf("%s %s: signals.inUse not set", f.Rule.ID, f.Package.Name)
				continue
			}
			in = fmt.Sprint(*f.Signals.InUse)
		}
		name := ""
		if f.Package != nil {
			name = f.Package.Name
		}
		fmt.Fprintf(&lines, "%-8s %-16s %-28s %s\n", f.Severity, f.Rule.ID, name, in)
	}
	golden(t, "sample.json.golden", lines.String())

	code, out, stderr = runPave(t, append(db, "--runtime-evidence", evidence, sampleImage)...)
	if code != 0 {
		t.Fatalf("scan: exit %d: %s", code, stderr)
	}
	// The findings part of the table: everything before the scan summary
	// (which names the tool version and database digest).
	table, _, _ := strings.Cut(out, "\nTarget:")
	golden(t, "sample.table.golden", table)
}

func TestRuntimeEvidenceErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	other := write("other.json", `{"schema": "pave.runtime-evidence/v1", "images": [{"refs": ["other:1"], "id": "sha256:1111111111111111111111111111111111111111111111111111111111111111", "window": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "events": 1, "containers": [{"id": "c"}], "files": [{"path": "/usr/local/bin/hello", "exec": 1}]}]}`)
	bad := write("bad.json", `{"schema": "pave.runtime-evidence/v1", "images": [{"id": "sha256:1111111111111111111111111111111111111111111111111111111111111111", "window": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "events": 1, "containers": [], "files": [{"path": "usr/bin/x", "exec": 1}]}]}`)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"wrong image", []string{"--runtime-evidence", other}, 2,
			"pave: --runtime-evidence: " + other + " was recorded for other:1 sha256:1111111111111111111111111111111111111111111111111111111111111111, not for " + sampleImage + " sha256:ada66d6358e8b764374e472b2f34a97f8f478c62d2dc191ae07a5295c30becd9 (--force-runtime-evidence to use it anyway)\n"},
		{"wrong image forced", []string{"--runtime-evidence", other, "--force-runtime-evidence"}, 0,
			"pave: warning: runtime evidence recorded for other:1 sha256:1111111111111111111111111111111111111111111111111111111111111111 used for " + sampleImage + " sha256:ada66d6358e8b764374e472b2f34a97f8f478c62d2dc191ae07a5295c30becd9 (forced)\n"},
		{"malformed", []string{"--runtime-evidence", bad}, 2,
			"pave: --runtime-evidence: inuse: " + bad + `: images[0].files[0].path: "usr/bin/x" is not absolute` + "\n"},
		{"missing", []string{"--runtime-evidence", filepath.Join(dir, "nope.json")}, 2,
			"pave: --runtime-evidence: inuse: open " + filepath.Join(dir, "nope.json") + ": no such file or directory\n"},
		{"force alone", []string{"--force-runtime-evidence"}, 2,
			"pave: --force-runtime-evidence needs --runtime-evidence\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"scan", "--quiet", "--offline", "--scanners", "none", "-o", filepath.Join(dir, tt.name+".out")}, tt.args...)
			code, _, stderr := runPave(t, append(args, sampleImage)...)
			if code != tt.code || stderr != tt.stderr {
				t.Errorf("exit %d, stderr %q; want exit %d, stderr %q", code, stderr, tt.code, tt.stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, tt.name+".out")); (err == nil) != (tt.code == 0) {
				t.Errorf("output file exists: %v, want %v (no partial output on error)", err == nil, tt.code == 0)
			}
		})
	}
}

// TestRuntimeEvidenceRealSensor is the whole chain on this machine: the
// sample image loaded into the Docker engine, `pave sensor --evidence`
// (the real eBPF sensor, in-process) watching a container of it run its Go
// binary, then `pave scan --runtime-evidence` of the same image: exactly
// the findings of the modules compiled into that binary are in use.
func TestRuntimeEvidenceRealSensor(t *testing.T) {
	sensortest.DockerSocket(t) // skips with -short or without the engine (fails under CI)
	if os.Geteuid() != 0 {
		t.Skip("the sensor needs root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := sensortest.Docker(ctx, "load", "-i", sampleImage); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	evidence := filepath.Join(dir, "evidence.json")
	sensorDone := make(chan string, 1)
	go func() {
		var out, errb bytes.Buffer
		code := Main(ctx, []string{"sensor", "--containers-only", "--events", "none", "-o", filepath.Join(dir, "events.jsonl"),
			"--evidence", evidence, "--duration", "15s"}, &out, &errb)
		sensorDone <- fmt.Sprintf("exit %d: %s", code, errb.String())
	}()
	time.Sleep(4 * time.Second) // let the sensor attach
	for range 2 {
		if _, err := sensortest.Docker(ctx, "run", "--rm", "--network", "none", "sample-debian:1", "/usr/local/bin/hello"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
	}
	if res := <-sensorDone; !strings.HasPrefix(res, "exit 0") {
		t.Fatalf("pave sensor: %s", res)
	}

	db := evidenceDB(t)
	code, out, stderr := runPave(t, append(db, "--runtime-evidence", evidence, "-f", "json", sampleImage)...)
	if code != 0 {
		t.Fatalf("scan: exit %d: %s", code, stderr)
	}
	var s report.Scan
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	inUse := map[string]bool{}
	for _, f := range s.Findings {
		if f.Package == nil {
			continue
		}
		if f.Signals.InUse == nil {
			t.Fatalf("%s %s: no signals.inUse", f.Rule.ID, f.Package.Name)
		}
		if prev, ok := inUse[f.Package.Name]; ok && prev != *f.Signals.InUse {
			t.Errorf("%s: findings disagree", f.Package.Name)
		}
		inUse[f.Package.Name] = *f.Signals.InUse
	}
	want := map[string]bool{"golang.org/x/text": true, "stdlib": true,
		"minimist": false, "lodash": false, "idna": false, "semver": false, "urllib3": false, "Jinja2": false, "requests": false}
	if diff := cmp.Diff(want, inUse); diff != "" {
		t.Errorf("in use by package (-want +got):\n%s", diff)
	}
}
