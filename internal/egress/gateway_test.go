package egress

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/egress/audit"
	"github.com/pavesec/pave/internal/egress/fakevendor"
	"github.com/pavesec/pave/internal/egress/inspect"
)

// awsKey is a random value in the exact format of an AWS access key id
// (AKIA and 16 base32 characters): the secret engine's checksum accepts
// it; it is not a credential.
const awsKey = "AKIA4HKQ7ZR2MXW3PT6N"

const (
	auditKey     = "audit-hmac-key-0123456789abcdef0123456789"
	devKey       = "pave-dev-key-ana-0123456789"
	otherKey     = "pave-dev-key-bob-0123456789"
	realOpenAI   = "sk-real-openai-key-000000000000"
	realAnthropc = "sk-ant-real-anthropic-key-00000"
)

func sha(s string) string {
	s2 := sha256.Sum256([]byte(s))
	return hex.EncodeToString(s2[:])
}

// harness is a gateway on a real loopback socket in front of a fake
// vendor on another.
type harness struct {
	t       *testing.T
	url     string
	admin   string
	vendor  *fakevendor.Vendor
	logPath string
	cancel  context.CancelFunc
	done    chan error
}

func baseConfig(vendorURL, logPath string) *Config {
	return &Config{
		Audit: AuditConfig{Path: logPath, Sync: "none"},
		Vendors: map[string]VendorConfig{
			"openai":    {BaseURL: vendorURL, KeyEnv: "OPENAI_KEY"},
			"anthropic": {BaseURL: vendorURL, KeyEnv: "ANTHROPIC_KEY"},
		},
		Keys: []KeyConfig{
			{ID: "ana-laptop", Team: "payments", User: "ana", SHA256: sha(devKey)},
			{ID: "bob-laptop", Team: "web", User: "bob", Env: "BOB_KEY"},
		},
	}
}

func start(t *testing.T, fo fakevendor.Options, mutate func(*Config)) *harness {
	t.Helper()
	return startWith(t, fo, mutate, nil)
}

// startWith is start with the gateway's detectors given (nil: from the
// config).
func startWith(t *testing.T, fo fakevendor.Options, mutate func(*Config), ds []inspect.Detector) *harness {
	t.Helper()
	if fo.OpenAIKey == "" {
		fo.OpenAIKey, fo.AnthropicKey = realOpenAI, realAnthropc
	}
	fv := fakevendor.New(fo)
	vs := httptest.NewServer(fv)
	t.Cleanup(vs.Close)
	logPath := filepath.Join(t.TempDir(), "audit.jsonl")
	cfg := baseConfig(vs.URL, logPath)
	if mutate != nil {
		mutate(cfg)
	}
	if err := cfg.check(); err != nil {
		t.Fatal(err)
	}
	w, err := audit.Open(logPath, audit.Options{Sync: audit.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OPENAI_KEY": realOpenAI, "ANTHROPIC_KEY": realAnthropc, "BOB_KEY": otherKey, "AUDIT_KEY": auditKey}
	g, err := New(cfg, Options{Audit: w, Detectors: ds, Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	aln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, url: "http://" + ln.Addr().String(), admin: "http://" + aln.Addr().String(),
		vendor: fv, logPath: logPath, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- g.Serve(ctx, ln, aln) }()
	t.Cleanup(func() {
		h.stop()
		w.Close()
	})
	return h
}

func (h *harness) stop() error {
	if h.cancel == nil {
		return nil
	}
	h.cancel()
	h.cancel = nil
	return <-h.done
}

func (h *harness) post(path, key string, anthropic bool, body string) (*http.Response, []byte) {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "OpenAI/Python 1.51.0")
	if anthropic {
		req.Header.Set("x-api-key", key)
		req.Header.Set("anthropic-version", "2023-06-01")
		req.Header.Set("User-Agent", "claude-cli/1.0.43 (external, cli)")
	} else if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp, b
}

// entries reads and verifies the audit log.
func (h *harness) entries() []audit.Entry {
	h.t.Helper()
	b, err := os.ReadFile(h.logPath)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := audit.Verify(bytes.NewReader(b)); err != nil {
		h.t.Fatalf("audit log does not verify: %v", err)
	}
	for _, s := range []string{awsKey, devKey, otherKey, realOpenAI, realAnthropc} {
		if bytes.Contains(b, []byte(s)) {
			h.t.Fatalf("audit log holds a secret in clear: %s...", s[:6])
		}
	}
	var out []audit.Entry
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var e audit.Entry
		if err := json.Unmarshal(line, &e); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// lastEntry waits for the audit entry of the last request (written when
// the handler returns, just after the client has its reply).
func (h *harness) lastEntry(n int) audit.Entry {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		es := h.entries()
		if len(es) >= n {
			return es[n-1]
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("audit log has %d entries, want %d", len(es), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func chatBody(text string, stream bool) string {
	b, _ := json.Marshal(map[string]any{"model": "gpt-4o", "stream": stream,
		"stream_options": map[string]any{"include_usage": true},
		"messages": []any{
			map[string]any{"role": "system", "content": "You are a helpful assistant."},
			map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": text}}},
		}})
	return string(b)
}

func anthropicBody(text string, stream bool) string {
	b, _ := json.Marshal(map[string]any{"model": "claude-sonnet-4-20250514", "max_tokens": 1024, "stream": stream,
		"system":   "You are a careful reviewer.",
		"messages": []any{map[string]any{"role": "user", "content": text}}})
	return string(b)
}

func TestRedactReachesVendor(t *testing.T) {
	h := start(t, fakevendor.Options{}, nil)
	prompt := "why does this fail? aws_access_key_id=" + awsKey + " region=eu-west-1"
	resp, body := h.post("/v1/chat/completions", devKey, false, chatBody(prompt, false))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	got := h.vendor.Last()
	ph := "[REDACTED:aws-access-key-id:" + sha(awsKey)[:6] + "]"
	if bytes.Contains(got.Body, []byte(awsKey)) || !bytes.Contains(got.Body, []byte(ph)) {
		t.Fatalf("vendor received %s, want the key replaced by %s", got.Body, ph)
	}
	if a := got.Header.Get("Authorization"); a != "Bearer "+realOpenAI {
		t.Errorf("vendor saw Authorization %q, want the real vendor key", a)
	}
	if resp.Header.Get("X-Pave-Action") != "redact" {
		t.Errorf("X-Pave-Action %q", resp.Header.Get("X-Pave-Action"))
	}
	// Without restore the caller sees the placeholder the model repeated.
	if !bytes.Contains(body, []byte(ph)) {
		t.Errorf("reply %s lacks the placeholder", body)
	}
	e := h.lastEntry(1)
	if e.Action != "redact" || e.Inspection != "complete" || e.Identity.User != "ana" || e.Identity.Team != "payments" ||
		e.Identity.KeyID != "ana-laptop" || e.Client.Tool != "openai-python" || e.Vendor != "openai" || e.Model != "gpt-4o" || e.Status != 200 {
		t.Errorf("entry %+v", e)
	}
	if len(e.Findings) != 1 || e.Findings[0].Rule != "PAVE-SEC-001" || e.Findings[0].Hashes[0] != "sha256:"+sha(awsKey) ||
		e.Findings[0].Masked[0] != "AKIA****(20 chars)" || e.Findings[0].Where != "request" {
		t.Errorf("findings %+v", e.Findings)
	}
	if e.Usage == nil || e.Usage.InputTokens == 0 || e.Usage.TotalTokens != e.Usage.InputTokens+e.Usage.OutputTokens {
		t.Errorf("usage %+v", e.Usage)
	}
}

func TestRestoreInReply(t *testing.T) {
	for _, stream := range []bool{false, true} {
		h := start(t, fakevendor.Options{
			// cut the answer into 5-byte deltas so placeholders straddle them
			Split: func(s string) []string {
				var out []string
				for len(s) > 5 {
					out = append(out, s[:5])
					s = s[5:]
				}
				return append(out, s)
			},
		}, func(c *Config) {
			c.Policies = []PolicyConfig{{Name: "restore", Action: "redact", Restore: true}}
		})
		prompt := "key " + awsKey + " and again " + awsKey + " end"
		for _, anthropic := range []bool{false, true} {
			path, body := "/v1/chat/completions", chatBody(prompt, stream)
			if anthropic {
				path, body = "/v1/messages", anthropicBody(prompt, stream)
			}
			resp, b := h.post(path, devKey, anthropic, body)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			if bytes.Contains(h.vendor.Last().Body, []byte(awsKey)) {
				t.Fatal("vendor saw the key")
			}
			text := replyText(t, b, stream, anthropic)
			if text != "You said: "+prompt {
				t.Errorf("stream=%v anthropic=%v: caller got %q, want the prompt with the key restored", stream, anthropic, text)
			}
		}
	}
}

// replyText assembles the assistant text of a reply in either format.
func replyText(t *testing.T, b []byte, stream, anthropic bool) string {
	t.Helper()
	if !stream {
		var r struct {
			Choices []struct {
				Message struct{ Content string }
			}
			Content []struct{ Text string }
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		if anthropic {
			return r.Content[0].Text
		}
		return r.Choices[0].Message.Content
	}
	var sb strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var ev struct {
			Type    string
			Choices []struct {
				Delta struct{ Content string }
			}
			Delta struct{ Text string }
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("bad event %q: %v", data, err)
		}
		if anthropic {
			sb.WriteString(ev.Delta.Text)
		} else if len(ev.Choices) > 0 {
			sb.WriteString(ev.Choices[0].Delta.Content)
		}
	}
	return sb.String()
}

func TestBlockInVendorFormat(t *testing.T) {
	h := start(t, fakevendor.Options{}, func(c *Config) {
		c.Policies = []PolicyConfig{
			{Name: "payments-strict", Match: PolicyMatch{Team: "payments"}, Action: "block"},
			{Name: "everyone", Action: "redact"},
		}
	})
	resp, b := h.post("/v1/chat/completions", devKey, false, chatBody("creds: "+awsKey, false))
	var oe struct {
		Error struct {
			Message, Type string
			Param         *string
			Code          string
		}
	}
	if err := json.Unmarshal(b, &oe); err != nil || resp.StatusCode != 403 || oe.Error.Type != "invalid_request_error" ||
		oe.Error.Code != "pave_policy_blocked" || !strings.Contains(oe.Error.Message, "payments-strict") {
		t.Errorf("OpenAI block: %d %s", resp.StatusCode, b)
	}
	if bytes.Contains(b, []byte(awsKey)) {
		t.Error("the error echoes the key")
	}
	resp, b = h.post("/v1/messages", devKey, true, anthropicBody("creds: "+awsKey, false))
	var ae struct {
		Type  string
		Error struct{ Type, Message string }
	}
	if err := json.Unmarshal(b, &ae); err != nil || resp.StatusCode != 403 || ae.Type != "error" || ae.Error.Type != "permission_error" {
		t.Errorf("Anthropic block: %d %s", resp.StatusCode, b)
	}
	if n := len(h.vendor.Requests()); n != 0 {
		t.Errorf("vendor received %d requests, want none", n)
	}
	// bob's team falls under "everyone": redacted, not blocked
	resp, _ = h.post("/v1/chat/completions", otherKey, false, chatBody("creds: "+awsKey, false))
	if resp.StatusCode != 200 {
		t.Errorf("bob: status %d", resp.StatusCode)
	}
	es := h.lastEntryN(3)
	if es[0].Action != "block" || es[1].Action != "block" || es[2].Action != "redact" || es[2].Identity.User != "bob" {
		t.Errorf("actions %s %s %s", es[0].Action, es[1].Action, es[2].Action)
	}
}

func (h *harness) lastEntryN(n int) []audit.Entry {
	h.lastEntry(n)
	return h.entries()
}

func TestUnknownKey(t *testing.T) {
	h := start(t, fakevendor.Options{}, nil)
	resp, b := h.post("/v1/chat/completions", "not-a-gateway-key-at-all", false, chatBody("hi", false))
	if resp.StatusCode != 401 || !bytes.Contains(b, []byte(`"code":"invalid_api_key"`)) {
		t.Errorf("OpenAI: %d %s", resp.StatusCode, b)
	}
	resp, b = h.post("/v1/messages", "", true, anthropicBody("hi", false))
	if resp.StatusCode != 401 || !bytes.Contains(b, []byte(`"type":"authentication_error"`)) {
		t.Errorf("Anthropic: %d %s", resp.StatusCode, b)
	}
	if len(h.vendor.Requests()) != 0 {
		t.Error("vendor was called")
	}
	es := h.lastEntryN(2)
	if es[0].Status != 401 || es[0].Action != "block" || es[0].Identity.KeyID != "" {
		t.Errorf("entry %+v", es[0])
	}
}

func TestFailClosedAndOpen(t *testing.T) {
	for _, mode := range []string{"closed", "open"} {
		h := start(t, fakevendor.Options{}, func(c *Config) {
			c.Limits.MaxRequestBytes = 2048
			c.Policies = []PolicyConfig{{OnFailure: mode}}
		})
		big := chatBody(strings.Repeat("lorem ipsum ", 400), false)
		resp, b := h.post("/v1/chat/completions", devKey, false, big)
		resp2, b2 := h.post("/v1/messages", devKey, true, `{"model":"claude-sonnet-4-20250514","max_tokens":5,"messages":[`)
		es := h.lastEntryN(2)
		if mode == "closed" {
			if resp.StatusCode != 413 || !bytes.Contains(b, []byte("fails closed")) {
				t.Errorf("closed, too large: %d %s", resp.StatusCode, b)
			}
			if resp2.StatusCode != 400 || !bytes.Contains(b2, []byte(`"type":"invalid_request_error"`)) {
				t.Errorf("closed, unparseable: %d %s", resp2.StatusCode, b2)
			}
			if len(h.vendor.Requests()) != 0 {
				t.Error("fail-closed request reached the vendor")
			}
			for _, e := range es {
				if e.Inspection != audit.InspectionFailedClosed || e.Action != "block" || e.InspectionError == "" {
					t.Errorf("closed entry %+v", e)
				}
			}
			continue
		}
		if resp.StatusCode != 200 {
			t.Errorf("open, too large: %d %s", resp.StatusCode, b)
		}
		// the vendor itself rejects the broken JSON, in its own format
		if resp2.StatusCode != 400 || !bytes.Contains(b2, []byte("invalid JSON")) {
			t.Errorf("open, unparseable: %d %s", resp2.StatusCode, b2)
		}
		if n := len(h.vendor.Requests()); n != 2 {
			t.Errorf("vendor received %d requests, want 2", n)
		} else if got := h.vendor.Requests()[0].Body; string(got) != big {
			t.Errorf("fail-open body changed in transit (%d bytes, want %d)", len(got), len(big))
		}
		for _, e := range es {
			if e.Inspection != audit.InspectionFailedOpen || e.Action != "allow" {
				t.Errorf("open entry %+v", e)
			}
		}
	}
}

// TestStreamChunkByChunk holds the vendor before its last delta until
// the caller has read the first one: a gateway that buffered the stream
// would never deliver it, and the vendor would give up waiting.
func TestStreamChunkByChunk(t *testing.T) {
	for _, restore := range []bool{false, true} {
		for _, anthropic := range []bool{false, true} {
			firstSeen := make(chan struct{})
			var once sync.Once
			var starved bool
			var mu sync.Mutex
			h := start(t, fakevendor.Options{
				Pace: func(ctx context.Context, i, n int) {
					if i != n-1 {
						return
					}
					select {
					case <-firstSeen:
					case <-time.After(15 * time.Second):
						mu.Lock()
						starved = true
						mu.Unlock()
					}
				},
			}, func(c *Config) { c.Policies = []PolicyConfig{{Restore: restore}} })
			path, body := "/v1/chat/completions", chatBody("one two three four five "+awsKey, true)
			if anthropic {
				path, body = "/v1/messages", anthropicBody("one two three four five "+awsKey, true)
			}
			req, _ := http.NewRequest("POST", h.url+path, strings.NewReader(body))
			if anthropic {
				req.Header.Set("x-api-key", devKey)
				req.Header.Set("anthropic-version", "2023-06-01")
			} else {
				req.Header.Set("Authorization", "Bearer "+devKey)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
				t.Fatalf("content type %q", ct)
			}
			sc := bufio.NewScanner(resp.Body)
			var all []string
			for sc.Scan() {
				line := sc.Text()
				all = append(all, line)
				if strings.Contains(line, `"content":"You`) || strings.Contains(line, `"text":"You`) {
					once.Do(func() { close(firstSeen) })
				}
			}
			resp.Body.Close()
			mu.Lock()
			if starved {
				t.Errorf("restore=%v anthropic=%v: the first delta did not reach the caller before the vendor's last", restore, anthropic)
			}
			mu.Unlock()
			text := replyText(t, []byte(strings.Join(all, "\n")), true, anthropic)
			if !strings.HasPrefix(text, "You said: one two three four five ") {
				t.Errorf("reply %q", text)
			}
			if restore != strings.Contains(text, awsKey) {
				t.Errorf("restore=%v but reply %q", restore, text)
			}
			e := h.lastEntry(1)
			if !e.Stream || e.Inspection != "complete" || e.Usage == nil || e.Usage.OutputTokens == 0 || e.Usage.InputTokens == 0 {
				t.Errorf("entry %+v usage %+v", e, e.Usage)
			}
		}
	}
}

func TestUsage(t *testing.T) {
	h := start(t, fakevendor.Options{Reply: func(string) string { return "0123456789abcdef0123456789abcdef" }}, nil) // 32 bytes: 8 tokens
	prompt := "abcd"
	cases := []struct {
		path      string
		anthropic bool
		body      string
		in        int64
	}{
		{"/v1/chat/completions", false, chatBody(prompt, false), 8},
		{"/v1/chat/completions", false, chatBody(prompt, true), 8},
		{"/v1/messages", true, anthropicBody(prompt, false), 8},
		{"/v1/messages", true, anthropicBody(prompt, true), 8},
		{"/v1/responses", false, `{"model":"gpt-4o","input":"abcd"}`, 1},
		{"/v1/responses", false, `{"model":"gpt-4o","input":"abcd","stream":true}`, 1},
		{"/v1/embeddings", false, `{"model":"text-embedding-3-small","input":["abcd","abcdabcd"]}`, 3},
	}
	for i, c := range cases {
		resp, b := h.post(c.path, devKey, c.anthropic, c.body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", c.path, resp.StatusCode, b)
		}
		e := h.lastEntry(i + 1)
		out := int64(8)
		if c.path == "/v1/embeddings" {
			out = 0
		}
		if e.Usage == nil {
			t.Errorf("case %d %s: no usage", i, c.path)
			continue
		}
		// system prompts count too: "You are a helpful assistant." is 28
		// bytes (7 tokens) + 4 = 8; Anthropic's 27 + 4 = 31 → 8.
		if e.Usage.InputTokens != c.in || e.Usage.OutputTokens != out || e.Usage.TotalTokens != c.in+out {
			t.Errorf("case %d %s: usage %+v, want in %d out %d", i, c.path, *e.Usage, c.in, out)
		}
	}
}

func TestResponseRedaction(t *testing.T) {
	h := start(t, fakevendor.Options{Reply: func(string) string { return "use AWS key " + awsKey + " for this" }}, func(c *Config) {
		c.Policies = []PolicyConfig{{Response: "redact"}}
	})
	for _, stream := range []bool{false, true} {
		resp, b := h.post("/v1/chat/completions", devKey, false, chatBody("what key?", stream))
		if resp.StatusCode != 200 || bytes.Contains(b, []byte(awsKey)) || !bytes.Contains(b, []byte("[REDACTED:aws-access-key-id:")) {
			t.Errorf("stream=%v: %d %s", stream, resp.StatusCode, b)
		}
	}
	es := h.lastEntryN(2)
	for _, e := range es {
		if len(e.Findings) != 1 || e.Findings[0].Where != "response" || e.Findings[0].Rule != "PAVE-SEC-001" {
			t.Errorf("stream=%v findings %+v", e.Stream, e.Findings)
		}
	}
}

func TestBinaryPartsCounted(t *testing.T) {
	h := start(t, fakevendor.Options{}, nil)
	img := "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":"` + img + `"}}]}]}`
	resp, _ := h.post("/v1/chat/completions", devKey, false, body)
	if resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	if e := h.lastEntry(1); e.NotInspectedParts != 1 || e.Inspection != "complete" {
		t.Errorf("entry %+v", e)
	}
}

func TestAdminEndpoints(t *testing.T) {
	h := start(t, fakevendor.Options{}, nil)
	h.post("/v1/chat/completions", devKey, false, chatBody("k "+awsKey, false))
	h.lastEntry(1)
	resp, err := http.Get(h.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`pave_gateway_requests_total{vendor="openai",model="gpt-4o",action="redact",inspection="complete"} 1`,
		`pave_gateway_findings_total{rule="PAVE-SEC-001",category="secret",where="request"} 1`,
		`pave_gateway_request_duration_seconds_count 1`,
		`# TYPE pave_gateway_request_duration_seconds histogram`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("metrics lack %q:\n%s", want, b)
		}
	}
	resp, err = http.Get(h.admin + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", err, resp)
	}
	resp.Body.Close()
}

// TestGracefulShutdown stops the gateway in the middle of a stream: the
// stream runs to its end, new connections are refused, Serve returns nil.
func TestGracefulShutdown(t *testing.T) {
	mid := make(chan struct{})
	release := make(chan struct{})
	h := start(t, fakevendor.Options{Pace: func(ctx context.Context, i, n int) {
		if i == 2 {
			close(mid)
			<-release
		}
	}}, nil)
	type result struct {
		text string
		err  error
	}
	rc := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("POST", h.url+"/v1/messages", strings.NewReader(anthropicBody("a b c d e f g", true)))
		req.Header.Set("x-api-key", devKey)
		req.Header.Set("anthropic-version", "2023-06-01")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			rc <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		rc <- result{string(b), err}
	}()
	<-mid
	stopped := make(chan error, 1)
	go func() { stopped <- h.stop() }()
	// wait until the listener is closed, then let the stream finish
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(h.url, "http://"), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepting after shutdown began")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	r := <-rc
	if r.err != nil {
		t.Fatalf("stream cut: %v", r.err)
	}
	if !strings.Contains(r.text, "event: message_stop") {
		t.Errorf("stream did not reach its end:\n%s", r.text)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if e := h.lastEntry(1); e.Inspection != "complete" || !e.Stream {
		t.Errorf("entry %+v", e)
	}
}

func TestUpstreamDown(t *testing.T) {
	h := start(t, fakevendor.Options{}, func(c *Config) {
		c.Vendors["anthropic"] = VendorConfig{BaseURL: "http://127.0.0.1:1", KeyEnv: "ANTHROPIC_KEY"}
	})
	resp, b := h.post("/v1/messages", devKey, true, anthropicBody("hi", false))
	if resp.StatusCode != 502 || !bytes.Contains(b, []byte(`"type":"api_error"`)) {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
	if e := h.lastEntry(1); e.Status != 502 || !strings.HasPrefix(e.Error, "upstream") {
		t.Errorf("entry %+v", e)
	}
}

func TestPassThroughRoute(t *testing.T) {
	h := start(t, fakevendor.Options{}, func(c *Config) {
		c.Vendors["mistral"] = VendorConfig{BaseURL: c.Vendors["openai"].BaseURL, KeyEnv: "OPENAI_KEY", Format: "generic"}
		c.Routes = []RouteConfig{{Prefix: "/ai/mistral", Vendor: "mistral", StripPrefix: true}}
	})
	resp, b := h.post("/ai/mistral/v1/chat/completions", devKey, false, chatBody("x "+awsKey, false))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if got := h.vendor.Last(); got.Path != "/v1/chat/completions" || bytes.Contains(got.Body, []byte(awsKey)) {
		t.Errorf("vendor got %s %s", got.Path, got.Body)
	}
	if e := h.lastEntry(1); e.Vendor != "mistral" || e.Action != "redact" {
		t.Errorf("entry %+v", e)
	}
	resp, _ = h.post("/nowhere", devKey, false, "{}")
	if resp.StatusCode != 404 {
		t.Errorf("unrouted: %d", resp.StatusCode)
	}
}

func TestPolicySpecificity(t *testing.T) {
	cfg := &Config{Policies: []PolicyConfig{
		{Name: "all"},
		{Name: "openai", Match: PolicyMatch{Vendor: "openai"}},
		{Name: "gpt4", Match: PolicyMatch{Model: "gpt-4*"}},
		{Name: "team", Match: PolicyMatch{Team: "payments"}},
		{Name: "team-gpt4", Match: PolicyMatch{Team: "payments", Model: "gpt-4*"}},
		{Name: "user", Match: PolicyMatch{User: "ana"}},
		{Name: "key", Match: PolicyMatch{Key: "ana-laptop"}},
	}}
	g := &Gateway{cfg: cfg}
	ana := &KeyConfig{ID: "ana-laptop", Team: "payments", User: "ana"}
	ana2 := &KeyConfig{ID: "ana-desktop", Team: "payments", User: "ana"}
	pay := &KeyConfig{ID: "cy", Team: "payments", User: "cy"}
	web := &KeyConfig{ID: "dee", Team: "web", User: "dee"}
	tests := []struct {
		k             *KeyConfig
		vendor, model string
		want          string
	}{
		{ana, "openai", "gpt-4o", "key"},
		{ana2, "openai", "gpt-4o", "user"},
		{pay, "openai", "gpt-4o", "team-gpt4"},
		{pay, "anthropic", "claude", "team"},
		{web, "openai", "gpt-4o", "gpt4"},
		{web, "openai", "o3", "openai"},
		{web, "anthropic", "claude", "all"},
		{nil, "anthropic", "claude", "all"},
	}
	for _, tt := range tests {
		if got := g.policyFor(tt.k, tt.vendor, tt.model).Name; got != tt.want {
			t.Errorf("%v %s %s: policy %s, want %s", tt.k, tt.vendor, tt.model, got, tt.want)
		}
	}
	if got := (&Gateway{cfg: &Config{}}).policyFor(ana, "openai", "x"); got.Action != "redact" || got.OnFailure != "closed" {
		t.Errorf("default policy %+v", got)
	}
}

func TestErrorsAreVendorShaped(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 413, 502, 503} {
		w := httptest.NewRecorder()
		writeError(w, "anthropic", status, "c", "m")
		var ae struct {
			Type  string
			Error struct{ Type, Message string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &ae); err != nil || ae.Type != "error" || ae.Error.Type == "" || ae.Error.Message != "m" {
			t.Errorf("anthropic %d: %s", status, w.Body)
		}
		w = httptest.NewRecorder()
		writeError(w, "openai", status, "c", "m")
		var oe map[string]map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &oe); err != nil || oe["error"]["message"] != "m" || oe["error"]["code"] != "c" {
			t.Errorf("openai %d: %s", status, w.Body)
		}
		if _, ok := oe["error"]["param"]; !ok {
			t.Errorf("openai %d: no param", status)
		}
	}
}

func TestPersonalDataAndPastedCode(t *testing.T) {
	h := start(t, fakevendor.Options{}, nil)
	var code strings.Builder
	code.WriteString("please review:\n")
	for i := range 25 {
		code.WriteString("func handler" + string(rune('A'+i)) + "(w http.ResponseWriter, r *http.Request) {\n\tlog.Println(r.URL.Path)\n}\n")
	}
	code.WriteString("const key = \"" + awsKey + "\"\n// owner: ana.kowalska@example-corp.pl\n")
	resp, b := h.post("/v1/chat/completions", devKey, false, chatBody(code.String(), false))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	got := string(h.vendor.Last().Body)
	if strings.Contains(got, awsKey) || strings.Contains(got, "ana.kowalska@example-corp.pl") {
		t.Errorf("vendor saw the key or the e-mail: %s", got)
	}
	if !strings.Contains(got, "func handlerA") || !strings.Contains(got, "[REDACTED:email:") {
		t.Errorf("the code should pass with only its values replaced: %s", got)
	}
	e := h.lastEntry(1)
	rules := map[string]string{}
	for _, f := range e.Findings {
		rules[f.Rule] = f.Category
	}
	if rules["PAVE-SEC-001"] != "secret" || rules["PAVE-PII-001"] != "pii" || rules["PAVE-PII-020"] != "source-code" {
		t.Errorf("findings %+v", e.Findings)
	}
}

func TestModels(t *testing.T) {
	h := start(t, fakevendor.Options{}, nil)
	for _, anthropic := range []bool{false, true} {
		req, _ := http.NewRequest("GET", h.url+"/v1/models", nil)
		if anthropic {
			req.Header.Set("x-api-key", devKey)
			req.Header.Set("anthropic-version", "2023-06-01")
		} else {
			req.Header.Set("Authorization", "Bearer "+devKey)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := `"object":"list"`
		if anthropic {
			want = `"has_more":false`
		}
		if resp.StatusCode != 200 || !bytes.Contains(b, []byte(want)) {
			t.Errorf("anthropic=%v: %d %s", anthropic, resp.StatusCode, b)
		}
	}
	es := h.lastEntryN(2)
	if es[0].Vendor != "openai" || es[1].Vendor != "anthropic" || es[1].Method != "GET" || es[1].Inspection != "complete" {
		t.Errorf("entries %+v %+v", es[0], es[1])
	}
}

// TestStreamFindingsAudited: with response: audit, a streamed reply that
// carries a secret passes unchanged and the finding is audited.
func TestStreamFindingsAudited(t *testing.T) {
	h := start(t, fakevendor.Options{Reply: func(string) string { return "try this key " + awsKey + " in the config" }}, nil)
	for i, anthropic := range []bool{false, true} {
		path, body := "/v1/chat/completions", chatBody("which key?", true)
		if anthropic {
			path, body = "/v1/messages", anthropicBody("which key?", true)
		}
		resp, b := h.post(path, devKey, anthropic, body)
		if resp.StatusCode != 200 || replyText(t, b, true, anthropic) != "try this key "+awsKey+" in the config" {
			t.Fatalf("anthropic=%v: %d %s", anthropic, resp.StatusCode, b)
		}
		e := h.lastEntry(i + 1)
		if len(e.Findings) != 1 || e.Findings[0].Where != "response" || e.Findings[0].Hashes[0] != "sha256:"+sha(awsKey) ||
			e.Inspection != "complete" || e.Action != "allow" {
			t.Errorf("anthropic=%v: entry %+v", anthropic, e)
		}
	}
}

// TestStreamUsageAskedByGateway: a streamed chat completion whose client
// did not ask for usage still gets its usage audited (the gateway asks
// the vendor) and the client receives the stream it asked for, without
// the usage chunk.
func TestStreamUsageAskedByGateway(t *testing.T) {
	h := start(t, fakevendor.Options{}, nil)
	body := `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"abcd"}]}`
	resp, b := h.post("/v1/chat/completions", devKey, false, body)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if bytes.Contains(b, []byte(`"choices":[]`)) || !bytes.Contains(b, []byte("data: [DONE]")) {
		t.Errorf("client stream:\n%s", b)
	}
	if got := h.vendor.Last().Body; !bytes.HasSuffix(got, []byte(`,"stream_options":{"include_usage":true}}`)) {
		t.Errorf("vendor got %s", got)
	}
	if text := replyText(t, b, true, false); text != "You said: abcd" {
		t.Errorf("reply %q", text)
	}
	if e := h.lastEntry(1); e.Usage == nil || e.Usage.InputTokens != 1 || e.Usage.OutputTokens != 4 {
		t.Errorf("usage %+v", e.Usage)
	}
	// a vendor that rejects stream_options is left alone
	h2 := start(t, fakevendor.Options{}, func(c *Config) {
		v := c.Vendors["openai"]
		v.NoStreamUsage = true
		c.Vendors["openai"] = v
	})
	h2.post("/v1/chat/completions", devKey, false, body)
	if got := h2.vendor.Last().Body; string(got) != body {
		t.Errorf("no_stream_usage: vendor got %s", got)
	}
}

func TestKeyedHashes(t *testing.T) {
	h := start(t, fakevendor.Options{}, func(c *Config) { c.Audit.HashKeyEnv = "AUDIT_KEY" })
	h.post("/v1/chat/completions", devKey, false, chatBody("k "+awsKey, false))
	m := hmac.New(sha256.New, []byte(auditKey))
	m.Write([]byte(awsKey))
	want := hex.EncodeToString(m.Sum(nil))
	e := h.lastEntry(1)
	if len(e.Findings) != 1 || e.Findings[0].Hashes[0] != "hmac-sha256:"+want {
		t.Errorf("findings %+v, want hmac-sha256:%s", e.Findings, want)
	}
	if got := h.vendor.Last().Body; !bytes.Contains(got, []byte("[REDACTED:aws-access-key-id:"+want[:6]+"]")) {
		t.Errorf("vendor got %s", got)
	}
	if b, _ := os.ReadFile(h.logPath); bytes.Contains(b, []byte(sha(awsKey))) {
		t.Error("the plain SHA-256 of the key is in the log")
	}
}

// TestInspectionTimeout: a detector slower than limits.inspect_timeout
// makes the request uninspectable: refused (503, vendor format) under
// fail-closed, relayed under fail-open, and audited as such.
func TestInspectionTimeout(t *testing.T) {
	slow := inspect.DetectorFunc(func([]byte) []inspect.Hit { time.Sleep(300 * time.Millisecond); return nil })
	for _, mode := range []string{"closed", "open"} {
		h := startWith(t, fakevendor.Options{}, func(c *Config) {
			c.Limits.InspectTimeout = Duration(20 * time.Millisecond)
			c.Policies = []PolicyConfig{{OnFailure: mode}}
		}, []inspect.Detector{slow})
		resp, b := h.post("/v1/messages", devKey, true, anthropicBody("hello", false))
		e := h.lastEntry(1)
		switch mode {
		case "closed":
			if resp.StatusCode != 503 || !bytes.Contains(b, []byte(`"type":"api_error"`)) || e.Inspection != "failed-closed" {
				t.Errorf("closed: %d %s, entry %+v", resp.StatusCode, b, e)
			}
		case "open":
			if resp.StatusCode != 200 || e.Inspection != "failed-open" || e.InspectionError != "inspection timed out" {
				t.Errorf("open: %d %s, entry %+v", resp.StatusCode, b, e)
			}
		}
	}
}
