package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/egress/audit"
)

func TestGatewayCAInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	code, out, errs := runMain("gateway", "ca", "init", "--out", dir)
	if code != 0 || !strings.Contains(out, "fingerprint: sha256:") || !strings.Contains(out, "ca-key.pem (mode 0600") {
		t.Fatalf("ca init: %d %q %q", code, out, errs)
	}
	key, _ := os.ReadFile(filepath.Join(dir, "ca-key.pem"))
	if strings.Contains(out+errs, "PRIVATE KEY") || bytes.Contains([]byte(out), bytes.TrimSpace(key)[30:60]) {
		t.Fatal("ca init printed the key")
	}
	if st, err := os.Stat(filepath.Join(dir, "ca-key.pem")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode: %v %v", st, err)
	}
	code, _, errs = runMain("gateway", "ca", "init", "--out", dir)
	if code != ExitInput || !strings.Contains(errs, "already exists") || strings.Count(errs, "\n") != 1 {
		t.Errorf("second ca init: %d %q", code, errs)
	}
}

func TestGatewayDiscoverUsage(t *testing.T) {
	dir := t.TempDir()
	badCfg := filepath.Join(dir, "bad.json")
	os.WriteFile(badCfg, []byte(`{"blok": true}`), 0o600)
	badHost := filepath.Join(dir, "badhost.json")
	os.WriteFile(badHost, []byte(`{"hosts":[{"vendor":"x","hosts":["*.com"]}]}`), 0o600)
	readable := filepath.Join(dir, "ca")
	runMain("gateway", "ca", "init", "--out", readable)
	os.Chmod(filepath.Join(readable, "ca-key.pem"), 0o644)
	log := filepath.Join(dir, "a.jsonl")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"gateway", "discover"}, "want --log FILE"},
		{[]string{"gateway", "discover", "--log", log, "extra"}, "want --log FILE"},
		{[]string{"gateway", "discover", "--log", log, "--inspect"}, "--inspect needs --ca"},
		{[]string{"gateway", "discover", "--log", log, "--ca", readable}, "--ca is only used with --inspect"},
		{[]string{"gateway", "discover", "--log", log, "--sync", "sometimes"}, "--sync"},
		{[]string{"gateway", "discover", "--log", log, "--idle-timeout", "0s"}, "--idle-timeout"},
		{[]string{"gateway", "discover", "--log", log, "--config", badCfg}, `unknown field "blok"`},
		{[]string{"gateway", "discover", "--log", log, "--config", badHost}, "not in the last two labels"},
		{[]string{"gateway", "discover", "--log", log, "--config", filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{"gateway", "discover", "--log", log, "--inspect", "--ca", readable}, "mode 0644"},
		{[]string{"gateway", "discover", "--log", filepath.Join(dir, "no", "dir", "a.jsonl")}, "audit: open"},
		{[]string{"gateway", "discover", "--log", log, "--listen", "256.0.0.1:1"}, "listen"},
		{[]string{"gateway", "ca"}, "missing subcommand"},
		{[]string{"gateway", "ca", "rotate"}, "unknown subcommand"},
		{[]string{"gateway", "ca", "init"}, "want --out DIR"},
	}
	for _, tt := range tests {
		code, _, errs := runMain(tt.args...)
		if code != ExitInput || !strings.Contains(errs, tt.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", tt.args, code, errs, tt.want)
		}
	}
	if code, out, _ := runMain("gateway", "help"); code != 0 || !strings.Contains(out, "discover") || !strings.Contains(out, "ca ") {
		t.Errorf("gateway help does not list discover and ca: %s", out)
	}
}

// startDiscover runs `pave gateway discover` and returns its proxy URL.
func startDiscover(t *testing.T, args ...string) (string, func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, append([]string{"gateway", "discover", "--listen", "127.0.0.1:0", "--docker-socket", "none"}, args...), &bytes.Buffer{}, &stderr)
	}()
	re := regexp.MustCompile(`proxy on (http://[0-9.:]+),`)
	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil; {
		m = re.FindStringSubmatch(stderr.String())
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("discover did not start: %s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	var stopped bool
	var code int
	stop := func() (int, string) {
		if !stopped {
			stopped = true
			cancel()
			code = <-done
		}
		return code, stderr.String()
	}
	t.Cleanup(func() { stop() })
	return m[1], stop
}

func curlCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", append([]string{"-sS", "--noproxy", ""}, args...)...).CombinedOutput()
	return string(out), err
}

func readEntries(t *testing.T, path string) []audit.Entry {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var es []audit.Entry
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var e audit.Entry
		if err := json.Unmarshal(l, &e); err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	return es
}

// TestGatewayDiscoverEndToEnd: curl through `pave gateway discover` to a
// local TLS server configured as an AI host; the log verifies with
// `pave gateway verify-log`.
func TestGatewayDiscoverEndToEnd(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"object":"list","data":[]}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	caFile := filepath.Join(dir, "srv.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	cfg := filepath.Join(dir, "discover.json")
	os.WriteFile(cfg, []byte(`{"hosts":[{"vendor":"test-llm","kind":"api","hosts":["127.0.0.1"]}],"sanctioned_vendors":["none"]}`), 0o600)
	logPath := filepath.Join(dir, "discover.jsonl")
	proxy, stop := startDiscover(t, "--log", logPath, "--config", cfg, "--sync", "each")
	out, err := curlCmd(t, "-x", proxy, "--cacert", caFile, srv.URL+"/v1/models")
	if err != nil || out != `{"object":"list","data":[]}` {
		t.Fatalf("curl through discover: %v %q", err, out)
	}
	code, errs := stop()
	if code != 0 || !strings.Contains(errs, "1 AI connections (0 blocked) recorded") {
		t.Fatalf("discover exited %d: %s", code, errs)
	}
	code, vout, verrs := runMain("gateway", "verify-log", logPath)
	if code != 0 || !strings.HasPrefix(vout, "ok: 1 entries") {
		t.Fatalf("verify-log: %d %q %q", code, vout, verrs)
	}
	e := readEntries(t, logPath)[0]
	if e.Kind != audit.KindDiscovered || e.Vendor != "test-llm" || e.Host != srv.Listener.Addr().String() ||
		e.RequestBytes == 0 || e.ResponseBytes == 0 {
		t.Errorf("entry %+v", e)
	}
	if d := e.Discovery; d == nil || d.Comm != "curl" || d.PID <= 0 || !strings.HasPrefix(d.Client, "process/curl[") ||
		d.SNI != "" || d.Sanctioned || d.EndpointKind != "api" {
		t.Errorf("discovery %+v", d)
	}
}

// TestGatewayDiscoverInspect: with --inspect, curl trusting the CA made by
// `pave gateway ca init` gets a leaf for the host it asked for; the stand-in
// vendor's certificate is not in the system roots, so the decrypted request
// is refused upstream (502) and recorded with the reason.
func TestGatewayDiscoverInspect(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	dir := t.TempDir()
	if code, _, errs := runMain("gateway", "ca", "init", "--out", filepath.Join(dir, "ca")); code != 0 {
		t.Fatal(errs)
	}
	cfg := filepath.Join(dir, "discover.json")
	os.WriteFile(cfg, []byte(`{"hosts":[{"vendor":"test-llm","kind":"api","hosts":["127.0.0.1"]}]}`), 0o600)
	logPath := filepath.Join(dir, "discover.jsonl")
	proxy, stop := startDiscover(t, "--log", logPath, "--config", cfg, "--inspect", "--ca", filepath.Join(dir, "ca"))
	out, err := curlCmd(t, "-x", proxy, "--cacert", filepath.Join(dir, "ca", "ca.pem"), "-w", " %{http_code} %{certs}",
		"--http1.1", srv.URL+"/v1/models", "-H", "Authorization: Bearer sk-not-a-real-key-0000")
	if err != nil || !strings.Contains(out, "pave: AI vendor unreachable") || !strings.Contains(out, " 502 ") {
		t.Fatalf("curl through discover --inspect: %v %q", err, out)
	}
	if code, errs := stop(); code != 0 {
		t.Fatalf("discover exited %d: %s", code, errs)
	}
	if code, _, verrs := runMain("gateway", "verify-log", logPath); code != 0 {
		t.Fatal(verrs)
	}
	es := readEntries(t, logPath)
	if len(es) != 2 || es[0].Kind != audit.KindRequest || es[0].Status != 502 || !strings.Contains(es[0].Error, "certificate") ||
		es[0].Endpoint != "/v1/models" || es[1].Kind != audit.KindDiscovered || es[1].Inspection != audit.InspectionComplete {
		t.Errorf("entries %+v", es)
	}
	raw, _ := os.ReadFile(logPath)
	if bytes.Contains(raw, []byte("sk-not-a-real-key")) {
		t.Error("the log holds the Authorization header")
	}
}
