package audit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func fixedClock() func() time.Time {
	t := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Millisecond); return t }
}

func sample(i int) *Entry {
	return &Entry{
		Kind:     KindRequest,
		Identity: Identity{Team: "payments", User: "ana", KeyID: "k1"},
		Client:   ParseClient("claude-cli/1.0.3 (external, cli)"),
		Vendor:   "anthropic", Model: "claude-sonnet-4", Method: "POST", Endpoint: "/v1/messages",
		RequestBytes: int64(100 + i), ResponseBytes: 200,
		Usage: &Usage{InputTokens: 10, OutputTokens: 5, TotalTokens: 15},
		Findings: []Finding{{Rule: "PAVE-SEC-001", Category: "secret", Where: "request", Count: 1,
			Hashes: []string{"sha256:ab"}, Masked: []string{"AKIA****(20 chars)"}}},
		Action: ActionRedact, Inspection: InspectionComplete, Status: 200, LatencyUS: 1234,
	}
}

func writeLog(t *testing.T, path string, n int) {
	t.Helper()
	w, err := Open(path, Options{Sync: SyncNone, Now: fixedClock()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := w.Append(sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func verifyFile(t *testing.T, path string) (Summary, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Verify(f)
}

func TestChainAndResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	writeLog(t, path, 3)
	writeLog(t, path, 2) // reopen: the chain resumes
	s, err := verifyFile(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Entries != 5 || s.LastSeq != 5 || !strings.HasPrefix(s.LastHash, "sha256:") || s.LastHash == Genesis {
		t.Fatalf("summary %+v", s)
	}
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	first, err := parseLine([]byte(lines[0]))
	if err != nil {
		t.Fatal(err)
	}
	if first.Prev != Genesis || first.Seq != 1 {
		t.Fatalf("first entry anchors to %s seq %d", first.Prev, first.Seq)
	}
	fourth, _ := parseLine([]byte(lines[3]))
	third, _ := parseLine([]byte(lines[2]))
	if fourth.Prev != third.Hash || fourth.Seq != 4 {
		t.Fatalf("reopened chain: prev %s, want %s", fourth.Prev, third.Hash)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	w, err := Open(path, Options{Sync: SyncEach, Now: fixedClock()})
	if err != nil {
		t.Fatal(err)
	}
	want := sample(0)
	if err := w.Append(want); err != nil {
		t.Fatal(err)
	}
	w.Close()
	b, _ := os.ReadFile(path)
	got, err := parseLine(bytes.TrimSuffix(b, []byte("\n")))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

// TestTamper flips each byte of a chosen line in turn, or removes and
// swaps lines: Verify must fail at that line every time.
func TestTamper(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	writeLog(t, path, 4)
	orig, _ := os.ReadFile(path)
	lines := bytes.SplitAfter(orig, []byte("\n"))
	lines = lines[:len(lines)-1]
	start := len(lines[0]) + len(lines[1]) // line 3
	for off := start; off < start+len(lines[2])-1; off++ {
		b := bytes.Clone(orig)
		b[off] ^= 1
		_, err := Verify(bytes.NewReader(b))
		var be *BrokenError
		if !errors.As(err, &be) || be.Line != 3 {
			t.Fatalf("flip at %d (%q): err %v, want line 3", off, orig[off], err)
		}
	}
	cases := map[string]struct {
		log  []byte
		line int
	}{
		"removed":   {bytes.Join([][]byte{lines[0], lines[2], lines[3]}, nil), 2},
		"swapped":   {bytes.Join([][]byte{lines[0], lines[2], lines[1], lines[3]}, nil), 2},
		"truncated": {orig[:len(orig)-5], 4},
		"blank":     {bytes.Join([][]byte{lines[0], []byte("\n"), lines[1]}, nil), 2},
		"first":     {bytes.Join([][]byte{lines[1], lines[2]}, nil), 1},
	}
	for name, c := range cases {
		_, err := Verify(bytes.NewReader(c.log))
		var be *BrokenError
		if !errors.As(err, &be) || be.Line != c.line {
			t.Errorf("%s: err %v, want line %d", name, err, c.line)
		}
	}
}

func TestOpenRefusesTornOrBrokenTail(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	writeLog(t, path, 2)
	orig, _ := os.ReadFile(path)
	os.WriteFile(path, orig[:len(orig)-3], 0o600)
	if _, err := Open(path, Options{}); !errors.Is(err, ErrTorn) {
		t.Errorf("torn tail: err %v, want ErrTorn", err)
	}
	b := bytes.Clone(orig)
	b[len(b)-10] ^= 1
	os.WriteFile(path, b, 0o600)
	if _, err := Open(path, Options{}); err == nil {
		t.Error("tampered last entry: Open succeeded")
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, b) {
		t.Error("Open changed a log it refused")
	}
}

func TestConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	w, err := Open(path, Options{Sync: SyncInterval, Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				e := sample(i)
				e.Identity.User = fmt.Sprint("user", g)
				if err := w.Append(e); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if seq, _ := w.Last(); seq != 400 {
		t.Errorf("last seq %d, want 400", seq)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Append(sample(0)); err == nil {
		t.Error("append after close succeeded")
	}
	s, err := verifyFile(t, path)
	if err != nil || s.Entries != 400 {
		t.Fatalf("verify: %+v %v", s, err)
	}
}

func TestVerifyEmpty(t *testing.T) {
	s, err := Verify(strings.NewReader(""))
	if err != nil || s.Entries != 0 || s.LastHash != Genesis {
		t.Fatalf("%+v %v", s, err)
	}
}

func TestParseClient(t *testing.T) {
	tests := []struct{ ua, tool, version string }{
		{"claude-cli/1.0.43 (external, cli)", "claude-code", "1.0.43"},
		{"Cursor/0.42.3 OpenAI/JS 4.67.3", "cursor", "0.42.3"},
		{"Continue/0.9.210 (vscode)", "continue", "0.9.210"},
		{"GitHubCopilotChat/0.22.4", "copilot", "0.22.4"},
		{"aider/0.62.1 litellm/1.51", "aider", "0.62.1"},
		{"curl/8.5.0", "curl", "8.5.0"},
		{"OpenAI/Python 1.51.0", "openai-python", "1.51.0"},
		{"OpenAI/JS 4.67.3", "openai-node", "4.67.3"},
		{"Anthropic/Python 0.39.0", "anthropic-python", "0.39.0"},
		{"Anthropic/JS 0.32.1", "anthropic-node", "0.32.1"},
		{"Go-http-client/1.1", "go-http-client", "1.1"},
		{"Mozilla/5.0 something", "unknown", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		c := ParseClient(tt.ua)
		if c.Tool != tt.tool || c.Version != tt.version {
			t.Errorf("ParseClient(%q) = %s %s, want %s %s", tt.ua, c.Tool, c.Version, tt.tool, tt.version)
		}
	}
	if c := ParseClient(strings.Repeat("é", 300)); len(c.UserAgent) > maxUA {
		t.Errorf("user agent kept %d bytes", len(c.UserAgent))
	}
}

// TestLogBeforeDiscoveryStillVerifies reads a log written before Entry
// had its Discovery section (see testdata/README.md): every line must
// still be canonical under the current Entry, with the same hashes.
func TestLogBeforeDiscoveryStillVerifies(t *testing.T) {
	const lastHash = "sha256:ff31bb3a96bd1cb3dff6866443364d5a5cbae88db634add6ce4e0d461681b95d"
	s, err := verifyFile(t, filepath.Join("testdata", "before-discovery.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Entries: 6, LastSeq: 6, LastHash: lastHash}); s != want {
		t.Errorf("summary %+v, want %+v", s, want)
	}
}

func discoveredSample() *Entry {
	return &Entry{
		Kind: KindDiscovered, Identity: Identity{Source: "172.17.0.5:40000"},
		Client: ParseClient("curl/8.5.0"), Vendor: "openai", Method: "CONNECT", Host: "api.openai.com:443",
		RequestBytes: 900, ResponseBytes: 4000, Action: ActionAllow, Inspection: InspectionNone, Status: 200, LatencyUS: 1500000,
		Discovery: &Discovery{SNI: "api.openai.com", ALPN: []string{"h2", "http/1.1"}, EndpointKind: "api",
			Client: "container/web process/curl[42]", ContainerID: strings.Repeat("a", 64), ContainerName: "web",
			Image: "python:3.12", PID: 42, Comm: "curl"},
	}
}

// TestDiscoverySection: the section round-trips through the chain, states
// sanctioned explicitly, is absent from entries without it, and is
// covered by the hash like every other field.
func TestDiscoverySection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	w, err := Open(path, Options{Sync: SyncNone, Now: fixedClock()})
	if err != nil {
		t.Fatal(err)
	}
	want := []*Entry{discoveredSample(), sample(0)}
	for _, e := range want {
		if err := w.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if _, err := Verify(bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	for i, l := range lines {
		got, err := parseLine([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want[i], got); d != "" {
			t.Errorf("entry %d (-want +got)\n%s", i+1, d)
		}
	}
	const sect = `"discovery":{"sni":"api.openai.com","alpn":["h2","http/1.1"],"endpoint_kind":"api","sanctioned":false,"client":"container/web process/curl[42]",`
	if !strings.Contains(lines[0], sect) {
		t.Errorf("line 1 lacks %s:\n%s", sect, lines[0])
	}
	if strings.Contains(lines[1], "discovery") {
		t.Errorf("entry without the section mentions it:\n%s", lines[1])
	}
	for name, edit := range map[string][2]string{
		"sanctioned flipped": {`"sanctioned":false`, `"sanctioned":true`},
		"pid changed":        {`"pid":42`, `"pid":43`},
		"section removed":    {sect, `"discovery":{"sanctioned":false,"client":"container/web process/curl[42]",`},
	} {
		b := strings.Replace(string(raw), edit[0], edit[1], 1)
		var be *BrokenError
		if _, err := Verify(strings.NewReader(b)); !errors.As(err, &be) || be.Line != 1 {
			t.Errorf("%s: err %v, want line 1 broken", name, err)
		}
	}
	// A null or empty section is not the canonical form of any entry.
	for _, sub := range []string{`"discovery":null,`, `"discovery":{},`} {
		e := sample(0)
		e.Prev = Genesis
		line, err := seal(e)
		if err != nil {
			t.Fatal(err)
		}
		odd := strings.Replace(string(line), `"vendor":`, sub+`"vendor":`, 1)
		if _, err := parseLine([]byte(strings.TrimSuffix(odd, "\n"))); err == nil {
			t.Errorf("%s accepted", sub)
		}
	}
}
