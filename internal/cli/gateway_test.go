package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/egress/audit"
	"github.com/pavesec/pave/internal/egress/fakevendor"
)

// syncBuffer is a bytes.Buffer safe for a command writing while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runMain(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestGatewayServeEndToEnd runs `pave gateway serve` on a config file in
// front of the fake vendor, sends a prompt with an AWS key, stops the
// gateway as a signal would, and checks the audit log with verify-log —
// then tampers with one byte and checks verify-log names the line.
func TestGatewayServeEndToEnd(t *testing.T) {
	const awsKey = "AKIA4HKQ7ZR2MXW3PT6N" // random, in the format's exact syntax; not a credential
	const devKey = "pave-gw-test-key-0123456789"
	fv := fakevendor.New(fakevendor.Options{OpenAIKey: "sk-upstream-0000000000"})
	vs := httptest.NewServer(fv)
	defer vs.Close()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.jsonl")
	sum := sha256.Sum256([]byte(devKey))
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
admin: 127.0.0.1:0
audit:
  path: %s
  sync: each
vendors:
  openai:
    base_url: %s
    key_env: PAVE_TEST_OPENAI_KEY
keys:
  - id: ana-laptop
    team: payments
    user: ana
    sha256: %s
policies:
  - name: default
    action: redact
`, logPath, vs.URL, hex.EncodeToString(sum[:]))
	cfgPath := filepath.Join(dir, "gateway.yaml")
	os.WriteFile(cfgPath, []byte(cfg), 0o600)
	t.Setenv("PAVE_TEST_OPENAI_KEY", "sk-upstream-0000000000")

	if code, out, errs := runMain("gateway", "check-config", cfgPath); code != 0 || !strings.HasPrefix(out, "ok: 1 vendors, 1 keys, 1 policies") {
		t.Fatalf("check-config: %d %q %q", code, out, errs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"gateway", "serve", "--config", cfgPath}, &bytes.Buffer{}, &stderr) }()
	re := regexp.MustCompile(`listening on (http://[0-9.:]+), admin on (http://[0-9.:]+)`)
	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil; {
		m = re.FindStringSubmatch(stderr.String())
		if time.Now().After(deadline) {
			t.Fatalf("gateway did not start: %s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	req, _ := http.NewRequest("POST", m[1]+"/v1/chat/completions", strings.NewReader(
		`{"model":"gpt-4o","messages":[{"role":"user","content":"deploy with `+awsKey+` please"}]}`))
	req.Header.Set("Authorization", "Bearer "+devKey)
	req.Header.Set("User-Agent", "Cursor/0.42.3")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || bytes.Contains(fv.Last().Body, []byte(awsKey)) {
		t.Fatalf("status %d, vendor got %s", resp.StatusCode, fv.Last().Body)
	}
	if r, err := http.Get(m[2] + "/healthz"); err != nil || r.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d: %s", code, stderr.String())
	}

	code, out, errs := runMain("gateway", "verify-log", logPath)
	if code != 0 || !strings.HasPrefix(out, "ok: 1 entries, last seq 1, last hash sha256:") {
		t.Fatalf("verify-log: %d %q %q", code, out, errs)
	}
	b, _ := os.ReadFile(logPath)
	if bytes.Contains(b, []byte(awsKey)) || bytes.Contains(b, []byte(devKey)) || bytes.Contains(b, []byte("sk-upstream")) {
		t.Fatal("the audit log holds a secret in clear")
	}
	var e audit.Entry
	if _, err := audit.Verify(bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"tool":"cursor"`)) || !bytes.Contains(b, []byte(`"action":"redact"`)) {
		t.Errorf("entry %s", b)
	}
	_ = e
	// A second log line, then one flipped byte in it.
	w, err := audit.Open(logPath, audit.Options{Sync: audit.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	w.Append(&audit.Entry{Kind: audit.KindDiscovered, Host: "api.openai.com:443", Inspection: audit.InspectionNone})
	w.Close()
	b, _ = os.ReadFile(logPath)
	i := bytes.IndexByte(b, '\n') + 40
	b[i] ^= 1
	os.WriteFile(logPath, b, 0o600)
	code, _, errs = runMain("gateway", "verify-log", logPath)
	if code != ExitPolicy || !strings.Contains(errs, "at line 2") {
		t.Errorf("tampered: exit %d %q", code, errs)
	}
	if code, _, _ := runMain("gateway", "verify-log", filepath.Join(dir, "missing")); code != ExitInput {
		t.Errorf("missing log: exit %d", code)
	}
}

func TestGatewayUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("listen: x\naudit: {path: a}\nvendors: {openai: {base_url: ftp://x}}\n"), 0o600)
	unknown := filepath.Join(dir, "unknown.yaml")
	os.WriteFile(unknown, []byte("audit: {path: a}\nvendrs: {}\n"), 0o600)
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"gateway"}, ExitInput, "missing subcommand"},
		{[]string{"gateway", "frob"}, ExitInput, `unknown subcommand "frob"`},
		{[]string{"gateway", "serve"}, ExitInput, "want --config FILE"},
		{[]string{"gateway", "serve", "--config", filepath.Join(dir, "none.yaml")}, ExitInput, "no such file"},
		{[]string{"gateway", "check-config", bad}, ExitInput, "want an http(s) URL"},
		{[]string{"gateway", "check-config", unknown}, ExitInput, `unknown key "vendrs"`},
		{[]string{"gateway", "verify-log"}, ExitInput, "want one audit log FILE"},
		{[]string{"gateway", "keygen"}, ExitInput, "want --id ID"},
	}
	for _, tt := range tests {
		code, _, errs := runMain(tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.err) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d %q, want %d and %q on one line", tt.args, code, errs, tt.code, tt.err)
		}
	}
	code, out, _ := runMain("gateway", "keygen", "--id", "ana")
	if code != 0 || !regexp.MustCompile(`(?s)key .*: pave-gw-[0-9a-f]{48}\nkeys:\n  - id: ana\n    sha256: [0-9a-f]{64}\n`).MatchString(out) {
		t.Errorf("keygen: %d %q", code, out)
	}
}
