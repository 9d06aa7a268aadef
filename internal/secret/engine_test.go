package secret

import (
	"bytes"
	"context"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
)

func TestRulesValidate(t *testing.T) {
	fc := &FileCheck{}
	rules := fc.Rules()
	if err := check.Validate(rules); err != nil {
		t.Fatal(err)
	}
	if len(rules) < 150 {
		t.Errorf("%d rules, want at least 150", len(rules))
	}
	for _, r := range Default().Rules() {
		if r.Family == "" || !strings.HasPrefix(r.Revoke, "https://") {
			t.Errorf("%s: needs a family and an https revoke URL", r.ID)
		}
		for _, k := range r.Keywords {
			if k != strings.ToLower(k) || k == "" {
				t.Errorf("%s: keyword %q must be non-empty lower case", r.ID, k)
			}
		}
	}
}

func TestNewErrors(t *testing.T) {
	re := regexp.MustCompile(`x`)
	for name, rules := range map[string][]*Rule{
		"no id":      {{Pattern: re, Keywords: []string{"x"}}},
		"twice":      {{ID: "A", Pattern: re, Keywords: []string{"x"}}, {ID: "A", Pattern: re, Keywords: []string{"x"}}},
		"no pattern": {{ID: "A", Keywords: []string{"x"}}},
		"no keyword": {{ID: "A", Pattern: re}},
		"empty kw":   {{ID: "A", Pattern: re, Keywords: []string{""}}},
		"nil":        {nil},
	} {
		if _, err := New(rules...); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

// render writes a plant as the corpus does in a Go file.
func render(p plant) []byte {
	if p.file != "" {
		return []byte(p.content)
	}
	return []byte("package x\n\nvar " + p.key + " = `" + p.value + "`\n")
}

// TestPlanted checks each generator's secret is found by a rule of its
// family, and no decoy is found at all.
func TestPlanted(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	for round := 0; round < 5; round++ {
		for i, mkp := range secretGens {
			p := mkp(g)
			ms := Default().Scan(render(p))
			ok := false
			for _, m := range ms {
				ok = ok || m.Rule.Family == p.family
			}
			if !ok {
				var got []string
				for _, m := range ms {
					got = append(got, m.Rule.ID+" "+m.Masked)
				}
				t.Errorf("secret generator %d (%s, key %s): not found; got %v", i, p.family, p.key, got)
			}
		}
		for i, mkp := range decoyGens {
			p := mkp(g)
			for _, m := range Default().Scan(render(p)) {
				t.Errorf("decoy generator %d (%s, key %s): flagged by %s as %s", i, p.family, p.key, m.Rule.ID, m.Masked)
			}
		}
	}
}

func TestDecoys(t *testing.T) {
	for _, s := range []string{
		`aws_access_key_id = AKIAIOSFODNN7EXAMPLE`,
		`password: "********"`,
		`token = "${{ secrets.GITHUB_TOKEN }}"`,
		`api_key = "<api-key>"`,
		`password = "{{ .Values.password }}"`,
		`secret: changeme`,
		`DB_PASSWORD=$(cat /run/secrets/db)`,
		`password_hash = "$2b$12$KIXQJQ8r2j1h2k3l4m5n6uO1234567890abcdefghijklmnopqrstu"`,
		`commit_token = "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"`,
		`sha256 digest secret = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"`,
		`token: 123e4567-e89b-12d3-a456-426614174000`,
		`token := tok.Next()`,
		`password = cfg.Password`,
		`secret := os.Getenv("SECRET")`,
		`url = "https://user:password@example.com"`,
		`postgres://postgres:${POSTGRES_PASSWORD}@db/app`,
		`-----BEGIN RSA PRIVATE KEY-----` + "\nMIIE...\n" + `-----END RSA PRIVATE KEY-----`,
		`ghp_abcdefghijklmnopqrstuvwxyz0123456789`,
		`npm_000000000000000000000000000000000000`,
		`jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSFMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"`,
		`sk_live_xxxxxxxxxxxxxxxxxxxxxxxx`,
		`api_key = "test_api_key_123456"`,
		`SecretID: "k3j4h5g6f7d8s9a0q1w2e3r4t"`,
		`TokenTypeIDToken = "urn:ietf:params:oauth:token-type:id_token"`,
		`url: "ssh://me:Zq8vT3kW9x@example.com"`,
		`if token.typ == yaml_BLOCK_END_TOKEN {`,
		`secretName: buildkit-daemon-certs`,
		`"name": "libvirt-daemon-driver-secret-0:4.5.0-42.module+el8.2.0"`,
		`"auth": "am9lOmpvZQ=="`,
		`credentialsEndpointKey = "awslogs-credentials-endpoint"`,
	} {
		for _, m := range Default().Scan([]byte(s)) {
			t.Errorf("decoy %q flagged by %s (%s)", Mask(s), m.Rule.ID, m.Masked)
		}
	}
}

func TestScanPositions(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(3, 4))}
	tok := g.crcTok("ghp_")
	src := "line one\n  x := \"" + tok + "\"\nline three\n"
	ms := Default().Scan([]byte(src))
	if len(ms) != 1 {
		t.Fatalf("got %d matches, want 1", len(ms))
	}
	m := ms[0]
	if m.Rule.ID != "PAVE-SEC-041" || m.Line != 2 || m.Column != 9 || src[m.Start:m.End] != tok {
		t.Errorf("got %s line %d column %d span %d-%d (%s), want PAVE-SEC-041 line 2 column 9", m.Rule.ID, m.Line, m.Column, m.Start, m.End, m.Masked)
	}
	if m.Masked != "ghp_****(40 chars)" {
		t.Errorf("masked %q", m.Masked)
	}
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(m.Hash) {
		t.Errorf("hash %q", m.Hash)
	}
	// A broken checksum drops it.
	bad := strings.Replace(src, tok, tok[:39]+string(rune('A'+(tok[39]-'A'+1)%26)), 1)
	if ms := Default().Scan([]byte(bad)); len(ms) != 0 {
		t.Errorf("token with a bad checksum found: %s", ms[0].Masked)
	}
}

func TestAWSPair(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(5, 6))}
	id := "AKIA" + g.s(b32, 16)
	sec := g.s(alnum, 20) + "/" + g.s(alnum, 19)
	src := "[default]\nkey = " + id + "\nsecret = " + sec + "\n"
	var rules []string
	for _, m := range Default().Scan([]byte(src)) {
		rules = append(rules, m.Rule.ID)
	}
	if strings.Join(rules, ",") != "PAVE-SEC-001,PAVE-SEC-003" {
		t.Errorf("got rules %v, want the key id and its paired secret", rules)
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"ghp_0123456789abcdef": "ghp_****(20 chars)",
		"abcdefgh":             "ab****(8 chars)",
		"abc":                  "****(3 chars)",
		"ab\ncdefghijklmnop":   "ab****(17 chars)",
	} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%d chars) = %q, want %q", len(in), got, want)
		}
	}
}

type fakeInfo struct {
	size int64
	mode fs.FileMode
}

func (f fakeInfo) Name() string       { return "f" }
func (f fakeInfo) Size() int64        { return f.size }
func (f fakeInfo) Mode() fs.FileMode  { return f.mode }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fakeInfo) Sys() any           { return nil }

func TestFileCheck(t *testing.T) {
	fc := &FileCheck{}
	if fc.Name() != "secret" {
		t.Errorf("name %q", fc.Name())
	}
	for _, c := range []struct {
		path string
		info fs.FileInfo
		want bool
	}{
		{"app/.env", fakeInfo{100, 0o644}, true},
		{"Dockerfile", fakeInfo{100, 0o644}, true},
		{"img/logo.PNG", fakeInfo{100, 0o644}, false},
		{"big.txt", fakeInfo{DefaultMaxSize + 1, 0o644}, false},
		{"dir", fakeInfo{0, fs.ModeDir}, false},
		{"link", fakeInfo{0, fs.ModeSymlink}, false},
		{"nil", nil, false},
	} {
		if got := fc.Match(c.path, c.info); got != c.want {
			t.Errorf("Match(%s) = %v, want %v", c.path, got, c.want)
		}
	}
	g := gen{rand.New(rand.NewPCG(9, 10))}
	tok := g.crcTok("npm_")
	content := []byte("FROM alpine\nENV NPM_TOKEN=" + tok + "\n")
	fs, err := fc.Check(context.Background(), "Dockerfile", content)
	if err != nil || len(fs) != 1 {
		t.Fatalf("got %d findings, %v; want 1", len(fs), err)
	}
	f := fs[0]
	if f.Rule.Kind != finding.Secret || f.Location.Path != "Dockerfile" || f.Location.StartLine != 2 || f.Location.Column != 15 || f.Severity != finding.Critical {
		t.Errorf("finding %+v", f.Location)
	}
	if strings.Contains(f.Evidence, tok[4:]) || strings.Contains(f.Message, tok[4:]) || f.Evidence != "npm_****(40 chars)" {
		t.Errorf("evidence not masked: %q", Mask(f.Evidence))
	}
	bin := append([]byte{0, 1, 2}, content...)
	if fs, _ := fc.Check(context.Background(), "x.bin", bin); len(fs) != 0 {
		t.Errorf("binary content gave %d findings", len(fs))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := fc.Check(ctx, "Dockerfile", content); err == nil {
		t.Error("cancelled context: no error")
	}
}

// realSource concatenates vendored Go sources, up to n bytes.
func realSource(tb testing.TB, n int) []byte {
	var b []byte
	for _, f := range sourceFiles(tb, vendorRoot) {
		if len(b) >= n {
			break
		}
		if !strings.HasSuffix(f, ".go") {
			continue
		}
		c, err := os.ReadFile(filepath.Join(vendorRoot, f))
		if err != nil {
			tb.Fatal(err)
		}
		b = append(b, c...)
	}
	if len(b) == 0 {
		tb.Skip("no vendored sources")
	}
	return b
}

func BenchmarkScanSource(b *testing.B) {
	src := realSource(b, 8<<20)
	e := Default()
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Scan(src)
	}
}

func BenchmarkScanSecretsDense(b *testing.B) {
	g := gen{rand.New(rand.NewPCG(11, 12))}
	var buf bytes.Buffer
	for buf.Len() < 1<<20 {
		for _, mkp := range secretGens {
			buf.Write(render(mkp(g)))
		}
	}
	e := Default()
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Scan(buf.Bytes())
	}
}

func BenchmarkPrefilter(b *testing.B) {
	src := realSource(b, 8<<20)
	ac := Default().ac
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ac.Scan(src, func(int, int) {})
	}
}

func BenchmarkDefault(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := New(defaultRules()...); err != nil {
			b.Fatal(err)
		}
	}
}
