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
