package mitm

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/egress/audit"
	"github.com/pavesec/pave/internal/egress/discover"
	"github.com/pavesec/pave/internal/egress/fakevendor"
)

// githubToken makes a token in GitHub's format with a valid checksum, so
// the secret engine reports it. It is random, not a credential.
func githubToken(t testing.TB) string {
	const cs = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 30)
	rand.Read(b)
	for i := range b {
		b[i] = cs[int(b[i])%62]
	}
	c := crc32.ChecksumIEEE(b)
	var sum [6]byte
	for i := 5; i >= 0; i-- {
		sum[i] = cs[c%62]
		c /= 62
	}
	return "ghp_" + string(b) + string(sum[:])
}

// vendorKey is the stand-in vendor's API key; random, not a credential.
const vendorKey = "sk-test-9a8b7c6d5e4f3a2b1c0d"

type inspectHarness struct {
	vendor        *fakevendor.Vendor
	addr, logPath string
	caPEM         string
	inspCA        *CA
	stop          func()
}

// startInspect runs a discovery proxy in inspect mode in front of a local
// TLS server standing in for api.openai.com (fakevendor, which speaks the
// OpenAI API as the vendor does on the wire).
func startInspect(t *testing.T) *inspectHarness {
	t.Helper()
	dir := t.TempDir()
	// The stand-in vendor has its own CA, which only the interceptor's
	// upstream side trusts (UpstreamRoots).
	vendorCA, err := Init(filepath.Join(dir, "vendor-ca"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	vm, _ := NewMinter(vendorCA, nil)
	leaf, _ := vm.Certificate("api.openai.com")
	fv := fakevendor.New(fakevendor.Options{OpenAIKey: vendorKey})
	vendor := httptest.NewUnstartedServer(fv)
	vendor.TLS = &tls.Config{Certificates: []tls.Certificate{*leaf}}
	vendor.StartTLS()
	t.Cleanup(vendor.Close)
	roots := x509.NewCertPool()
	roots.AddCert(vendorCA.Cert)

	inspCA, err := Init(filepath.Join(dir, "inspect-ca"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "audit.jsonl")
	w, err := audit.Open(logPath, audit.Options{Sync: audit.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == "api.openai.com:443" {
			addr = vendor.Listener.Addr().String()
		} else if !strings.HasPrefix(addr, "127.0.0.1:") {
			return nil, fmt.Errorf("test dialer: no route to %s", addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	ic, err := New(Config{CA: inspCA, Log: w, UpstreamRoots: roots, Dial: dial})
	if err != nil {
		t.Fatal(err)
	}
	p, err := discover.New(discover.Config{Log: w, Interceptor: ic, Dial: dial,
		Resolver: discover.NewResolver(discover.ResolverConfig{DockerSocket: "none"})})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, ln) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		ic.Close()
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(stop)
	return &inspectHarness{vendor: fv, addr: ln.Addr().String(), logPath: logPath,
		caPEM: filepath.Join(dir, "inspect-ca", CertFile), inspCA: inspCA, stop: stop}
}

func (h *inspectHarness) entries(t *testing.T) ([]audit.Entry, []byte) {
	t.Helper()
	h.stop()
	b, err := os.ReadFile(h.logPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Verify(bytes.NewReader(b)); err != nil {
		t.Fatalf("audit log does not verify: %v", err)
	}
	var out []audit.Entry
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var e audit.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out, b
}

func TestInspectGoClient(t *testing.T) {
	h := startInspect(t)
	pool := x509.NewCertPool()
	pool.AddCert(h.inspCA.Cert)
	u, _ := url.Parse("http://" + h.addr)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(u),
		TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	tok := githubToken(t)
	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"deploy with token ` + tok + `"}]}`
	req, _ := http.NewRequest(http.MethodPost, "https://api.openai.com/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("User-Agent", "OpenAI/Python 1.54.0")
	req.Header.Set("Authorization", "Bearer "+vendorKey)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The client saw a leaf for the SNI, issued by the inspection CA, and
	// spoke HTTP/2 to the interceptor; the vendor got the request intact.
	if resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 || resp.TLS.PeerCertificates[0].DNSNames[0] != "api.openai.com" ||
		resp.TLS.PeerCertificates[0].Issuer.CommonName != h.inspCA.Cert.Subject.CommonName {
		t.Fatalf("client saw %+v", resp.TLS)
	}
	last := h.vendor.Last()
	if resp.Proto != "HTTP/2.0" || resp.StatusCode != 200 || !strings.Contains(string(got), `"object":"chat.completion"`) ||
		string(last.Body) != body || last.Header.Get("Authorization") != "Bearer "+vendorKey {
		t.Fatalf("response %s %d %s; vendor got %s %q", resp.Proto, resp.StatusCode, got, last.Body, last.Header.Get("Authorization"))
	}
	// A streamed completion, on the same HTTP/2 connection, passes through
	// as server-sent events.
	sreq, _ := http.NewRequest(http.MethodPost, "https://api.openai.com/v1/chat/completions",
		strings.NewReader(`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hello there"}]}`))
	sreq.Header.Set("Authorization", "Bearer "+vendorKey)
	sresp, err := c.Do(sreq)
	if err != nil {
		t.Fatal(err)
	}
	events, _ := io.ReadAll(sresp.Body)
	sresp.Body.Close()
	if ct := sresp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") || !strings.HasSuffix(strings.TrimSpace(string(events)), "data: [DONE]") {
		t.Fatalf("stream: %s %s", ct, events)
	}
	c.CloseIdleConnections()
	es, raw := h.entries(t)
	if bytes.Contains(raw, []byte(tok)) || bytes.Contains(raw, []byte(vendorKey)) {
		t.Fatal("the audit log holds a secret in clear")
	}
	if len(es) != 3 {
		t.Fatalf("%d entries, want two requests and a discovered-host entry: %+v", len(es), es)
	}
	r, st, d := es[0], es[1], es[2]
	if st.Kind != audit.KindRequest || !st.Stream || st.Model != "gpt-4o" || st.ResponseBytes != int64(len(events)) || len(st.Findings) != 0 {
		t.Errorf("stream entry %+v", st)
	}
	if r.Kind != audit.KindRequest || r.Vendor != "openai" || r.Model != "gpt-4o-mini" || r.Endpoint != "/v1/chat/completions" ||
		r.Method != "POST" || r.Status != 200 || r.RequestBytes != int64(len(body)) || r.ResponseBytes != int64(len(got)) ||
		r.Inspection != audit.InspectionComplete || r.Client.Tool != "openai-python" {
		t.Errorf("request entry %+v", r)
	}
	if len(r.Findings) != 1 || r.Findings[0].Category != "secret" || r.Findings[0].Masked[0] != "ghp_****(40 chars)" ||
		!strings.HasPrefix(r.Findings[0].Hashes[0], "sha256:") {
		t.Errorf("findings %+v", r.Findings)
	}
	if d.Kind != audit.KindDiscovered || d.Vendor != "openai" || d.Inspection != audit.InspectionComplete || d.RequestBytes == 0 {
		t.Errorf("tunnel entry %+v", d)
	}
}

func TestInspectCurl(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	h := startInspect(t)
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "curl", append([]string{"-sS", "--noproxy", "", "-x", "http://" + h.addr}, args...)...).CombinedOutput()
		return string(out), err
	}
	out, err := run("--cacert", h.caPEM, "https://api.openai.com/v1/models", "-H", "Authorization: Bearer "+vendorKey)
	if err != nil || !strings.Contains(out, `"object":"list"`) {
		t.Fatalf("curl trusting the inspection CA: %v %s", err, out)
	}
	// A client that does not trust the CA refuses the leaf: nothing is
	// decrypted, and the tunnel entry says why.
	if out, err := run("https://api.openai.com/v1/models"); err == nil {
		t.Fatalf("curl without the CA succeeded: %s", out)
	}
	es, _ := h.entries(t)
	var got []string
	for _, e := range es {
		got = append(got, fmt.Sprintf("%s %s %s %d err=%t", e.Kind, e.Vendor, e.Inspection, e.Status, e.Error != ""))
	}
	want := []string{
		"request openai complete 200 err=false",
		"discovered-host openai complete 200 err=false",
		"discovered-host openai not-inspected 200 err=true",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(es[2].Error, "handshake") || !strings.HasPrefix(es[0].Identity.User, "process/curl[") {
		t.Errorf("untrusted entry error %q, identity %q", es[2].Error, es[0].Identity.User)
	}
}
