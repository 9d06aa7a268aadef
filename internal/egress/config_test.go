package egress

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseConfigExample(t *testing.T) {
	b, err := os.ReadFile("testdata/gateway.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8787" || c.Audit.Sync != "interval" || time.Duration(c.Audit.Interval) != time.Second ||
		len(c.Vendors) != 3 || c.Vendors["anthropic"].KeyFile != "/run/secrets/anthropic-key" ||
		len(c.Keys) != 2 || c.Policies[2].Match.Model != "gpt-4o*" || !c.Policies[0].Restore ||
		time.Duration(c.Limits.UpstreamTimeout) != 5*time.Minute || c.Limits.MaxResponseBytes != defaultMaxBody ||
		c.PII.Custom[0].Domains[0] != "corp.example" {
		t.Errorf("config %+v", c)
	}
	if _, err := Detectors(c); err != nil {
		t.Error(err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	base := "audit: {path: a.jsonl}\nvendors: {openai: {base_url: 'https://api.openai.com'}}\n"
	tests := []struct{ yaml, err string }{
		{"", "want one YAML document"},
		{"vendors: {openai: {base_url: 'https://x'}}\n", "audit.path is required"},
		{"audit: {path: a}\n", "no vendors"},
		{base + "bogus: 1\n", `unknown key "bogus"`},
		{base + "policies: [{action: maybe}]\n", `action "maybe"`},
		{base + "policies: [{on_failure: sideways}]\n", "on_failure"},
		{base + "policies: [{match: {model: '[x'}}]\n", "bad glob"},
		{base + "keys: [{id: a, sha256: abc}]\n", "64 hex digits"},
		{base + "keys: [{id: a}]\n", "exactly one of"},
		{base + "keys: [{id: a, env: X}, {id: a, env: Y}]\n", "repeats"},
		{base + "routes: [{prefix: x, vendor: openai}]\n", "must start with /"},
		{base + "routes: [{prefix: /x, vendor: nope}]\n", "unknown vendor"},
		{base + "limits: {inspect_timeout: soon}\n", "bad duration"},
		{base + "tls: {cert: a.pem}\n", "both cert and key"},
		{"a: &x 1\nb: *x\n", "aliases"},
		{"a: 1\na: 2\n", "line 2: invalid YAML: mapping key \"a\" already defined"},
		{base + "policies: [{action: block}\nlimits: {}\n", "line 4: invalid YAML: "},
		{"audit: {path: a}\nvendors: {openai: {base_url: 'https://x', format: soap}}\n", "format"},
	}
	for _, tt := range tests {
		_, err := ParseConfig([]byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%q: err %v, want %q", tt.yaml, err, tt.err)
		}
	}
}

// FuzzParseConfig: no panic; a config only without an error, and a
// config that parses passes its own checks again.
func FuzzParseConfig(f *testing.F) {
	b, err := os.ReadFile("testdata/gateway.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("audit: {path: a}\nvendors: {x: {base_url: 'http://h'}}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("- 1\n- 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			if c != nil {
				t.Fatal("config with an error")
			}
			return
		}
		if err := c.check(); err != nil {
			t.Fatalf("a parsed config fails its checks: %v", err)
		}
	})
}
