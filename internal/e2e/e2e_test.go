// Package e2e runs the built pave binary against real images: assembled
// from real Debian packages by internal/testimage, loaded into a real
// Docker engine, pushed to a real registry with TLS and basic auth, and
// broken in the ways real files break.
//
// The Docker engine, the registry and the .deb files come from
// scripts/setup.sh, which writes /var/tmp/pave-test/env. Without that file
// the tests skip, or fail when CI is set. `go test -short` skips them all.
package e2e

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/report"
	"github.com/pavesec/pave/internal/sensor/sensortest"
)

// paveBin is the binary TestMain builds.
var paveBin string

// repoRoot is the module root, two levels up from this package.
const repoRoot = "../.."

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // every test skips
	}
	dir, err := os.MkdirTemp("", "pave-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	paveBin = filepath.Join(dir, "pave")
	cmd := exec.Command("go", "build", "-o", paveBin, "./cmd/pave")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/pave: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	if built != nil {
		os.RemoveAll(built.dir)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// testEnv is what scripts/setup.sh wrote.
type testEnv struct {
	Debs     string // directory of .deb files
	Docker   string // daemon socket; empty when setup skipped dockerd
	Registry string // host:port
	User     string
	Password string
	CA       string // registry certificate (self-signed)
}

// loadEnv reads the env file scripts/setup.sh wrote (sensortest.LoadEnv:
// skipped with -short, and when the file is absent, failing under CI).
func loadEnv(t *testing.T) testEnv {
	t.Helper()
	kv := sensortest.LoadEnv(t)
	e := testEnv{
		Debs: kv["PAVE_TEST_DEBS"], Docker: kv["PAVE_TEST_DOCKER"], Registry: kv["PAVE_TEST_REGISTRY"],
		User: kv["PAVE_TEST_REGISTRY_USER"], Password: kv["PAVE_TEST_REGISTRY_PASSWORD"], CA: kv["PAVE_TEST_REGISTRY_CA"],
	}
	if e.Debs == "" || e.Registry == "" || e.CA == "" {
		t.Fatalf("%s is incomplete: rerun scripts/setup.sh", cmp.Or(os.Getenv("PAVE_TEST_ENV"), sensortest.DefaultEnvFile))
	}
	return e
}

// result is one run of pave.
type result struct {
	args           []string
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("pave %s: exit %d\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stderr)
}

// pave runs the binary with args; extraEnv entries override the
// environment (HOME, SSL_CERT_FILE, ...).
func pave(t *testing.T, extraEnv []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, paveBin, args...)
	cmd.Env = append(cleanEnv(), extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("pave %v: %v", args, err)
	}
	return r
}

// cleanEnv is the test's environment without variables that would change
// where pave looks for credentials and certificates.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "SSL_CERT_FILE", "SSL_CERT_DIR", "PAVE_LOG", "NO_COLOR":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// sbom runs `pave sbom --format json --output FILE target` and decodes the
// scan. It fails the test unless pave exits 0 with nothing on stdout.
func sbom(t *testing.T, extraEnv []string, target string, flags ...string) *report.Scan {
	t.Helper()
	out := filepath.Join(t.TempDir(), "sbom.json")
	args := append([]string{"sbom", "--format", "json", "--output", out}, flags...)
	args = append(args, target)
	r := pave(t, extraEnv, args...)
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("%v\n--output file: %v", r, err)
	}
	var scan report.Scan
	if err := json.Unmarshal(b, &scan); err != nil {
		t.Fatalf("pave sbom %s: JSON output: %v", target, err)
	}
	if scan.Schema != report.Schema {
		t.Errorf("pave sbom %s: schema %q, want %q", target, scan.Schema, report.Schema)
	}
	if scan.Summary.Status != "complete" {
		t.Errorf("pave sbom %s: status %q, errors %+v", target, scan.Summary.Status, scan.Summary.Errors)
	}
	if scan.Summary.Packages != len(scan.Packages) {
		t.Errorf("pave sbom %s: summary says %d packages, document holds %d", target, scan.Summary.Packages, len(scan.Packages))
	}
	return &scan
}

// checkOneLineError asserts a failed run: the exit code, exactly one line
// on stderr, nothing on stdout.
func checkOneLineError(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Errorf("%v\nwant exit %d", r, code)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if strings.TrimSpace(r.stderr) == "" || len(lines) != 1 {
		t.Errorf("pave %s: want exactly one line on stderr, got %d:\n%s", strings.Join(r.args, " "), len(lines), r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("pave %s: stdout not empty on failure:\n%.500s", strings.Join(r.args, " "), r.stdout)
	}
}

func TestVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	r := pave(t, nil, "version")
	if r.code != 0 || !strings.Contains(r.stdout, "pave") {
		t.Errorf("%v\nstdout: %s", r, r.stdout)
	}
}
