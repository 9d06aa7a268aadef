package discover

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pavesec/pave/internal/egress/audit"
)

// testPKI is a throwaway CA and the ability to issue server certificates,
// so local TLS servers can stand in for AI vendors under their real names.
type testPKI struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
	pem  []byte
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test vendor CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testPKI{cert: cert, key: key, pool: pool, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (p *testPKI) issue(t testing.TB, names ...string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]},
		DNSNames: names, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, &key.PublicKey, p.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// vendorServer is a TLS server answering as the named hosts, emulating an
// OpenAI-style JSON API.
func vendorServer(t testing.TB, pki *testPKI, names ...string) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"object":"list","host":%q,"path":%q,"got":%d}`, r.Host, r.URL.Path, len(body))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.issue(t, names...)}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// harness runs a proxy on a real socket with an audit log.
type harness struct {
	t       testing.TB
	proxy   *Proxy
	addr    string
	logPath string
	log     *audit.Writer
	cancel  context.CancelFunc
	done    chan error
	once    sync.Once
}

// routes maps host:port (as the proxy dials it) to a local address.
func startProxy(t testing.TB, pol *Policy, routes map[string]string, mod func(*Config)) *harness {
	t.Helper()
	return startProxyOn(t, "127.0.0.1:0", pol, routes, mod)
}

func startProxyOn(t testing.TB, listen string, pol *Policy, routes map[string]string, mod func(*Config)) *harness {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "audit.jsonl")
	w, err := audit.Open(logPath, audit.Options{Sync: audit.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Policy: pol, Log: w, Resolver: NewResolver(ResolverConfig{DockerSocket: "none"}),
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if to, ok := routes[addr]; ok {
				addr = to
			} else if !strings.HasPrefix(addr, "127.0.0.1:") {
				return nil, fmt.Errorf("test dialer: no route to %s", addr)
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}}
	if mod != nil {
		mod(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, proxy: p, addr: ln.Addr().String(), logPath: logPath, log: w, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- p.Serve(ctx, ln) }()
	t.Cleanup(func() { h.stop() })
	return h
}

// stop shuts the proxy down and closes the log.
func (h *harness) stop() {
	h.once.Do(func() {
		h.cancel()
		if err := <-h.done; err != nil {
			h.t.Error(err)
		}
		if err := h.log.Close(); err != nil {
			h.t.Error(err)
		}
	})
}

// entries stops the proxy, verifies the log's chain and returns its entries.
func (h *harness) entries() []audit.Entry {
	h.t.Helper()
	h.stop()
	b, err := os.ReadFile(h.logPath)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := audit.Verify(bytes.NewReader(b)); err != nil {
		h.t.Fatalf("audit log does not verify: %v", err)
	}
	var out []audit.Entry
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var e audit.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func (h *harness) client(roots *x509.CertPool) *http.Client {
	u, _ := url.Parse("http://" + h.addr)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(u),
		TLSClientConfig: &tls.Config{RootCAs: roots}, DisableKeepAlives: true}}
}

func get(t testing.TB, c *http.Client, u string) (int, string, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(`{"model":"gpt-4o-mini","messages":[]}`))
	req.Header.Set("User-Agent", "OpenAI/Python 1.54.0")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func findingRules(e audit.Entry) []string {
	var r []string
	for _, f := range e.Findings {
		r = append(r, f.Rule+"="+strings.Join(f.Masked, ","))
	}
	return r
}

func TestGoClientThroughConnect(t *testing.T) {
	pki := newTestPKI(t)
	ai := vendorServer(t, pki, "api.openai.com")
	other := vendorServer(t, pki, "docs.example.org")
	h := startProxy(t, nil, map[string]string{
		"api.openai.com:443":   ai.Listener.Addr().String(),
		"docs.example.org:443": other.Listener.Addr().String(),
	}, nil)
	c := h.client(pki.pool)
	code, body, err := get(t, c, "https://api.openai.com/v1/chat/completions")
	if err != nil || code != 200 || !strings.Contains(body, `"host":"api.openai.com"`) {
		t.Fatalf("AI request through the proxy: %d %q %v", code, body, err)
	}
	if code, _, err := get(t, c, "https://docs.example.org/x"); err != nil || code != 200 {
		t.Fatalf("non-AI request through the proxy: %d %v", code, err)
	}
	es := h.entries()
	if len(es) != 1 {
		t.Fatalf("%d entries, want 1 (the AI connection only): %+v", len(es), es)
	}
	e := es[0]
	if e.Kind != audit.KindDiscovered || e.Vendor != "openai" || e.Host != "api.openai.com:443" || e.Method != "CONNECT" ||
		e.Status != 200 || e.Action != audit.ActionAllow || e.Inspection != audit.InspectionNone {
		t.Errorf("entry = %+v", e)
	}
	if !strings.HasPrefix(e.Identity.Source, "127.0.0.1:") {
		t.Errorf("client source %q", e.Identity.Source)
	}
	// The test binary itself is the client: /proc attribution finds it.
	want := &audit.Discovery{SNI: "api.openai.com", EndpointKind: "api", // this client offers no ALPN
		Client: "process/" + procComm(t) + "[" + strconv.Itoa(os.Getpid()) + "]", PID: os.Getpid(), Comm: procComm(t)}
	if d := cmp.Diff(want, e.Discovery); d != "" || e.Identity.User != "" {
		t.Errorf("discovery (-want +got), identity.user %q:\n%s", e.Identity.User, d)
	}
	// Bytes include the TLS handshake both ways and the request and response.
	if e.RequestBytes < 500 || e.ResponseBytes < 500 || e.LatencyUS <= 0 {
		t.Errorf("bytes up %d down %d, duration %dus", e.RequestBytes, e.ResponseBytes, e.LatencyUS)
	}
	if got := findingRules(e); strings.Join(got, " ") != RuleUnsanctioned+"=api.openai.com" {
		t.Errorf("findings %v", got)
	}
	if st := h.proxy.Stats(); st.AIConnections != 1 || st.OtherConnections != 1 || st.OtherBytes == 0 {
		t.Errorf("stats %+v", st)
	}
}

func procComm(t testing.TB) string {
	b, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Skip("no /proc")
	}
	return strings.TrimSpace(string(b))
}

func writePEM(t testing.TB, b []byte) string {
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func curl(t testing.TB, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", append([]string{"-sS", "--noproxy", ""}, args...)...).CombinedOutput()
	return string(out), err
}

func TestCurlThroughConnect(t *testing.T) {
	pki := newTestPKI(t)
	ai := vendorServer(t, pki, "api.anthropic.com")
	h := startProxy(t, &Policy{Gateway: []string{"gateway.corp.example"}},
		map[string]string{"api.anthropic.com:443": ai.Listener.Addr().String()}, nil)
	ca := writePEM(t, pki.pem)
	out, err := curl(t, "-x", "http://"+h.addr, "--cacert", ca, "-A", "claude-cli/1.0.3 (external, cli)",
		"https://api.anthropic.com/v1/messages", "-d", `{"model":"claude"}`)
	if err != nil || !strings.Contains(out, `"host":"api.anthropic.com"`) {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	// curl --connect-to sends CONNECT to the address, but the ClientHello
	// still names api.anthropic.com: the SNI identifies the vendor.
	out, err = curl(t, "-x", "http://"+h.addr, "--cacert", ca,
		"--connect-to", "api.anthropic.com:443:"+ai.Listener.Addr().String(), "https://api.anthropic.com/v1/models")
	if err != nil {
		t.Fatalf("curl --connect-to: %v\n%s", err, out)
	}
	es := h.entries()
	if len(es) != 2 {
		t.Fatalf("%d entries, want 2: %+v", len(es), es)
	}
	// Tunnels are recorded as they close; order them by CONNECT host.
	if es[0].Host != "api.anthropic.com:443" {
		es[0], es[1] = es[1], es[0]
	}
	if e := es[0]; e.Vendor != "anthropic" || e.Client.Tool != "claude-code" && e.Client.UserAgent == "" {
		t.Errorf("first entry: vendor %q client %+v identity %+v", e.Vendor, e.Client, e.Identity)
	}
	for i, e := range es {
		if d := e.Discovery; d == nil || d.Comm != "curl" || d.PID <= 0 || d.SNI != "api.anthropic.com" ||
			!strings.HasPrefix(d.Client, "process/curl[") || d.Sanctioned || d.ContainerID != "" {
			t.Errorf("entry %d discovery %+v", i+1, d)
		}
	}
	e := es[1]
	if e.Vendor != "anthropic" || e.Host != ai.Listener.Addr().String() {
		t.Errorf("second entry: vendor %q host %q", e.Vendor, e.Host)
	}
	want := RuleUnsanctioned + "=127.0.0.1 " + RuleSNIMismatch + "=api.anthropic.com"
	if got := strings.Join(findingRules(e), " "); got != want {
		t.Errorf("findings %q, want %q", got, want)
	}
}

func TestBlockUnsanctioned(t *testing.T) {
	pki := newTestPKI(t)
	ai := vendorServer(t, pki, "api.openai.com", "gateway.corp.example")
	h := startProxy(t, &Policy{Gateway: []string{"gateway.corp.example"}, Block: true}, map[string]string{
		"api.openai.com:443":       ai.Listener.Addr().String(),
		"gateway.corp.example:443": ai.Listener.Addr().String(),
	}, nil)
	ca := writePEM(t, pki.pem)
	out, err := curl(t, "-x", "http://"+h.addr, "--cacert", ca, "https://api.openai.com/v1/models")
	if err == nil || !strings.Contains(out, "403") {
		t.Errorf("curl to a blocked host: err %v, output %q; want CONNECT answered 403", err, out)
	}
	// Go's client sees the refusal too.
	if _, _, err := get(t, h.client(pki.pool), "https://api.openai.com/v1/models"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("Go client to a blocked host: %v", err)
	}
	// The sanctioned route, the gateway, passes.
	if code, _, err := get(t, h.client(pki.pool), "https://gateway.corp.example/v1/models"); err != nil || code != 200 {
		t.Errorf("gateway: %d %v", code, err)
	}
	// CONNECT by address with an unsanctioned SNI: the tunnel is closed.
	if out, err := curl(t, "-x", "http://"+h.addr, "--cacert", ca,
		"--connect-to", "api.openai.com:443:"+ai.Listener.Addr().String(), "https://api.openai.com/v1/models"); err == nil {
		t.Errorf("SNI-only blocked host reached: %s", out)
	}
	es := h.entries()
	var got []string
	for _, e := range es {
		if e.Discovery == nil {
			t.Fatalf("entry without discovery: %+v", e)
		}
		got = append(got, fmt.Sprintf("%s %s %d sanctioned=%t sni=%s %s", e.Vendor, e.Action, e.Status,
			e.Discovery.Sanctioned, e.Discovery.SNI, strings.Join(findingRules(e), ",")))
	}
	// A CONNECT refused by name is answered before any ClientHello: no SNI.
	want := []string{
		"openai block 403 sanctioned=false sni= " + RuleUnsanctioned + "=api.openai.com",
		"openai block 403 sanctioned=false sni= " + RuleUnsanctioned + "=api.openai.com",
		"pave-gateway allow 200 sanctioned=true sni=gateway.corp.example ",
		"openai block 200 sanctioned=false sni=api.openai.com " + RuleUnsanctioned + "=127.0.0.1," + RuleSNIMismatch + "=api.openai.com",
	}
	// Tunnels are recorded as they close, refusals at once: compare sorted.
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPlainHTTPProxy(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "host=%s path=%s", r.Host, r.URL.Path)
	}))
	defer up.Close()
	addr := up.Listener.Addr().String()
	h := startProxy(t, &Policy{Hosts: []Endpoint{{Vendor: "corp-llm", Kind: "api", Hosts: []string{"llm.corp.example"}}}},
		map[string]string{"llm.corp.example:80": addr, "intranet.example:80": addr}, nil)
	out, err := curl(t, "-x", "http://"+h.addr, "http://llm.corp.example/v1/completions?key=abc", "-d", "prompt")
	if err != nil || out != "host=llm.corp.example path=/v1/completions" {
		t.Fatalf("curl: %v %q", err, out)
	}
	if out, err := curl(t, "-x", "http://"+h.addr, "http://intranet.example/"); err != nil || !strings.HasPrefix(out, "host=intranet.example") {
		t.Fatalf("curl non-AI: %v %q", err, out)
	}
	// A request that is not a proxy request is refused.
	if out, _ := curl(t, "-w", "%{http_code}", "-o", "/dev/null", "http://"+h.addr+"/"); out != "400" {
		t.Errorf("origin-form request: %s", out)
	}
	es := h.entries()
	if len(es) != 1 {
		t.Fatalf("%d entries: %+v", len(es), es)
	}
	e := es[0]
	if d := e.Discovery; d == nil || d.Comm != "curl" || d.PID <= 0 || !strings.HasPrefix(d.Client, "process/curl[") ||
		d.SNI != "" || len(d.ALPN) != 0 || d.Sanctioned || d.EndpointKind != "api" {
		t.Errorf("plain HTTP discovery %+v", d)
	}
	if e.Vendor != "corp-llm" || e.Method != "POST" || e.Endpoint != "/v1/completions" || e.Host != "llm.corp.example:80" ||
		e.Status != 200 || e.RequestBytes != 6 || e.ResponseBytes != int64(len(out)) && e.ResponseBytes == 0 {
		t.Errorf("entry %+v", e)
	}
}

func TestNonTLSTunnelAndUpstreamDown(t *testing.T) {
	// A server that speaks first (like SMTP) through a tunnel to an AI
	// host's name: nothing waits on a ClientHello.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "220 hello\r\n")
		line, _ := bufio.NewReader(c).ReadString('\n')
		io.WriteString(c, "250 "+line)
	}()
	h := startProxy(t, nil, map[string]string{"api.groq.com:443": ln.Addr().String(), "api.x.ai:443": "127.0.0.1:1"}, nil)
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "CONNECT api.groq.com:443 HTTP/1.1\r\nHost: api.groq.com:443\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	greet, _ := br.ReadString('\n')
	io.WriteString(c, "EHLO x\r\n")
	echo, _ := br.ReadString('\n')
	if greet != "220 hello\r\n" || echo != "250 EHLO x\r\n" {
		t.Errorf("tunnel relayed %q %q", greet, echo)
	}
	c.Close()
	// Upstream refused: 502, recorded with the error.
	c2, _ := net.Dial("tcp", h.addr)
	defer c2.Close()
	io.WriteString(c2, "CONNECT api.x.ai:443 HTTP/1.1\r\nHost: api.x.ai:443\r\n\r\n")
	resp2, err := http.ReadResponse(bufio.NewReader(c2), nil)
	if err != nil || resp2.StatusCode != http.StatusBadGateway {
		t.Fatalf("CONNECT to a dead upstream: %v %v", resp2, err)
	}
	// Bad CONNECT authority.
	c3, _ := net.Dial("tcp", h.addr)
	defer c3.Close()
	io.WriteString(c3, "CONNECT api.x.ai HTTP/1.1\r\nHost: api.x.ai\r\n\r\n")
	if resp3, err := http.ReadResponse(bufio.NewReader(c3), nil); err != nil || resp3.StatusCode != http.StatusBadRequest {
		t.Fatalf("CONNECT without port: %v %v", resp3, err)
	}
	es := h.entries()
	if len(es) != 2 {
		t.Fatalf("%d entries: %+v", len(es), es)
	}
	// A tunnel is recorded when it closes, which may come after the 502.
	if es[0].Vendor != "groq" {
		es[0], es[1] = es[1], es[0]
	}
	if es[0].Vendor != "groq" || es[0].RequestBytes != 8 || es[0].ResponseBytes != int64(len("220 hello\r\n250 EHLO x\r\n")) {
		t.Errorf("tunnel entry %+v", es[0])
	}
	if es[1].Vendor != "xai" || es[1].Status != 502 || es[1].Error == "" {
		t.Errorf("dead upstream entry %+v", es[1])
	}
}

func TestLogErrorsCounted(t *testing.T) {
	pki := newTestPKI(t)
	ai := vendorServer(t, pki, "api.openai.com")
	h := startProxy(t, nil, map[string]string{"api.openai.com:443": ai.Listener.Addr().String()}, nil)
	h.log.Close() // every Append now fails
	if code, _, err := get(t, h.client(pki.pool), "https://api.openai.com/v1/models"); err != nil || code != 200 {
		t.Fatalf("traffic must pass when the log fails: %d %v", code, err)
	}
	h.cancel()
	<-h.done
	h.once.Do(func() {})
	if st := h.proxy.Stats(); st.LogErrors != 1 {
		t.Errorf("stats %+v, want one log error", st)
	}
}

// TestIdleTunnels: a tunnel where nothing moves is closed after the idle
// timeout; one where only the server speaks (a slow stream) is kept.
func TestIdleTunnels(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var first [1]byte
				if _, err := c.Read(first[:]); err != nil {
					return
				}
				if first[0] == 's' { // stream 8 chunks, 150 ms apart
					for i := 0; i < 8; i++ {
						time.Sleep(150 * time.Millisecond)
						if _, err := fmt.Fprintf(c, "chunk%d\n", i); err != nil {
							return
						}
					}
					return
				}
				io.Copy(io.Discard, c)
			}()
		}
	}()
	h := startProxy(t, nil, map[string]string{"api.groq.com:443": ln.Addr().String()},
		func(c *Config) { c.IdleTimeout = 400 * time.Millisecond })
	open := func(first string) (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		io.WriteString(c, "CONNECT api.groq.com:443 HTTP/1.1\r\nHost: api.groq.com:443\r\n\r\n")
		br := bufio.NewReader(c)
		if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
			t.Fatalf("CONNECT: %v %v", resp, err)
		}
		io.WriteString(c, first)
		return c, br
	}
	idle, ibr := open("x")
	defer idle.Close()
	if _, err := ibr.ReadByte(); err != io.EOF {
		t.Errorf("idle tunnel: read %v, want EOF from the proxy closing it", err)
	}
	stream, sbr := open("s")
	defer stream.Close()
	got, _ := io.ReadAll(sbr)
	if strings.Count(string(got), "chunk") != 8 {
		t.Errorf("streaming tunnel got %q, want all 8 chunks (1.2 s with the client silent)", got)
	}
}
