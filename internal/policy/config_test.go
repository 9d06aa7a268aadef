package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pavesec/pave/internal/finding"
)

const fullConfig = `version: 1
failOn: high            # default gate threshold
ignoreUnfixed: false
exceptions:
  - id: CVE-2023-4911
    package: glibc
    path: usr/lib/app/*
    reason: "not reachable: we never call getaddrinfo with user input"
    expires: 2027-03-31
  - id: PAVE-DF-001
    path: "**/Dockerfile"
    reason: base image pinned by digest upstream
    expires: "2026-12-01"
  - package: pkg:npm/lodash
    reason: |
      dev tooling only,
      never shipped
    expires: 2026-06-30
vex:
  - path/to/statements.openvex.json
registries:
  allow: [registry.example.com, docker.io/library]
`

func TestParseConfig(t *testing.T) {
	cfg, err := ParseConfig([]byte(fullConfig), ".pave.yaml")
	if err != nil {
		t.Fatal(err)
	}
	high := finding.High
	want := &Config{
		File:    ".pave.yaml",
		Version: 1,
		FailOn:  &high,
		Exceptions: []Exception{
			{ID: "CVE-2023-4911", Package: "glibc", Path: "usr/lib/app/*", Reason: "not reachable: we never call getaddrinfo with user input", Expires: "2027-03-31", Source: ".pave.yaml:5", Line: 5},
			{ID: "PAVE-DF-001", Path: "**/Dockerfile", Reason: "base image pinned by digest upstream", Expires: "2026-12-01", Source: ".pave.yaml:10", Line: 10},
			{Package: "pkg:npm/lodash", Reason: "dev tooling only,\nnever shipped", Expires: "2026-06-30", Source: ".pave.yaml:14", Line: 14},
		},
		VEX:        []string{"path/to/statements.openvex.json"},
		Registries: Registries{Allow: []string{"registry.example.com", "docker.io/library"}},
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("ParseConfig (-want +got):\n%s", diff)
	}
}

func TestParseConfigMinimal(t *testing.T) {
	cfg, err := ParseConfig([]byte("version: 1\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.FailOn != nil || cfg.IgnoreUnfixed || len(cfg.Exceptions) != 0 || len(cfg.VEX) != 0 {
		t.Errorf("minimal config has settings: %+v", cfg)
	}
	// An empty list and a flow mapping are both fine.
	if _, err := ParseConfig([]byte("version: 1\nexceptions: []\nvex:\nregistries: {allow: [a.io]}\nfailOn: any\n"), "p.yaml"); err != nil {
		t.Errorf("empty sections: %v", err)
	}
}

// TestParseConfigErrors: every mistake is an error naming the file, the
// line and what is wrong.
func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // substrings, each must appear
	}{
		{"empty", "", []string{"p.yaml: empty configuration"}},
		{"comment only", "# nothing\n", []string{"empty configuration"}},
		{"no version", "failOn: high\n", []string{"p.yaml:1: version is required"}},
		{"version 2", "version: 2\n", []string{"p.yaml:1: unsupported version 2"}},
		{"version string", "version: one\n", []string{"p.yaml:1: version must be an integer, not a string"}},
		{"unknown top key", "version: 1\nfailon: high\n", []string{`p.yaml:2: unknown key "failon" in the configuration (did you mean "failOn"?)`}},
		{"unknown key snake", "version: 1\nignore_unfixed: true\n", []string{`p.yaml:2: unknown key "ignore_unfixed"`, `did you mean "ignoreUnfixed"?`}},
		{"duplicate key", "version: 1\nfailOn: high\nfailOn: low\n", []string{"p.yaml:3:", "failOn"}},
		{"bad severity", "version: 1\nfailOn: severe\n", []string{`p.yaml:2: failOn: unknown threshold "severe"`}},
		{"failOn number", "version: 1\nfailOn: 7\n", []string{`p.yaml:2: failOn: unknown threshold "7"`}},
		{"bool as string", "version: 1\nignoreUnfixed: \"yes\"\n", []string{"p.yaml:2: ignoreUnfixed must be true or false, not a string"}},
		{"no value", "version: 1\nfailOn:\n", []string{"p.yaml:2: failOn has no value"}},
		{"exceptions not list", "version: 1\nexceptions: {id: x}\n", []string{"p.yaml:2: exceptions must be a list, not a mapping"}},
		{"exception not mapping", "version: 1\nexceptions:\n  - CVE-1\n", []string{"p.yaml:3: exceptions[0] must be a mapping, not a string"}},
		{"unknown exception key", "version: 1\nexceptions:\n  - id: CVE-1\n    reason: r\n    expires: 2027-01-01\n    until: 2027-01-01\n", []string{`p.yaml:6: unknown key "until" in exceptions[0]`}},
		{"missing reason", "version: 1\nexceptions:\n  - id: CVE-1\n    expires: 2027-01-01\n", []string{"p.yaml:3: exceptions[0]: reason is required"}},
		{"blank reason", "version: 1\nexceptions:\n  - id: CVE-1\n    reason: \"  \"\n    expires: 2027-01-01\n", []string{"p.yaml:3: exceptions[0]: reason is required"}},
		{"null reason", "version: 1\nexceptions:\n  - id: CVE-1\n    reason:\n    expires: 2027-01-01\n", []string{"p.yaml:3: exceptions[0]: reason is required"}},
		{"missing expires", "version: 1\nexceptions:\n  - id: CVE-1\n    reason: r\n", []string{"p.yaml:3: exceptions[0]: expires is required"}},
		{"bad date", "version: 1\nexceptions:\n  - id: CVE-1\n    reason: r\n    expires: 31/03/2027\n", []string{`p.yaml:3: exceptions[0]: expires "31/03/2027" is not a date`}},
		{"impossible date", "version: 1\nexceptions:\n  - id: CVE-1\n    reason: r\n    expires: 2027-02-30\n", []string{`expires "2027-02-30" is not a date`}},
		{"nothing to match", "version: 1\nexceptions:\n  - reason: r\n    expires: 2027-01-01\n", []string{"p.yaml:3: exceptions[0]: an exception must name at least one of id, package or path"}},
		{"bad purl", "version: 1\nexceptions:\n  - package: pkg:npm\n    reason: r\n    expires: 2027-01-01\n", []string{`p.yaml:3: exceptions[0]: package "pkg:npm"`}},
		{"bad glob", "version: 1\nexceptions:\n  - path: \"usr/[lib\"\n    reason: r\n    expires: 2027-01-01\n", []string{"p.yaml:3: exceptions[0]: path: bad path pattern"}},
		{"second exception", "version: 1\nexceptions:\n  - id: A\n    reason: r\n    expires: 2027-01-01\n  - id: B\n    expires: 2027-01-01\n", []string{"p.yaml:6: exceptions[1]: reason is required"}},
		{"reason list", "version: 1\nexceptions:\n  - id: A\n    reason: [a]\n    expires: 2027-01-01\n", []string{"p.yaml:4: exceptions[0].reason must be a string, not a list"}},
		{"vex not list", "version: 1\nvex: a.json\n", []string{"p.yaml:2: vex must be a list, not a string"}},
		{"vex item mapping", "version: 1\nvex:\n  - {path: a}\n", []string{"p.yaml:3: vex[0] must be a string, not a mapping"}},
		{"registries unknown", "version: 1\nregistries:\n  deny: [x]\n", []string{`p.yaml:3: unknown key "deny" in registries`}},
		{"registry url", "version: 1\nregistries:\n  allow: [\"https://r.io\"]\n", []string{"p.yaml:3: registries.allow[0]"}},
		{"alias", "version: 1\nfailOn: &s high\nexceptions: *s\n", []string{"p.yaml:3: YAML aliases"}},
		{"tag", "version: !!int 1\n", []string{"p.yaml:1: YAML tags (!!int) are not supported"}},
		{"two documents", "version: 1\n---\nversion: 1\n", []string{"p.yaml:3: more than one YAML document"}},
		{"top list", "- version: 1\n", []string{"p.yaml:1: the configuration must be a mapping, not a list"}},
		{"syntax", "version: 1\nfailOn: [high\n", []string{"p.yaml:", "invalid YAML"}},
		{"all errors listed", "version: 3\nfailOn: x\nbogus: 1\n", []string{"p.yaml:1: unsupported version 3", "p.yaml:2: failOn", `p.yaml:3: unknown key "bogus"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tt.src), "p.yaml")
			if err == nil {
				t.Fatalf("no error; got %+v", cfg)
			}
			if cfg != nil {
				t.Errorf("config returned with an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseConfigTooLarge(t *testing.T) {
	data := []byte("version: 1\n# " + strings.Repeat("x", MaxConfigSize) + "\n")
	if _, err := ParseConfig(data, "big.yaml"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized config: err = %v", err)
	}
	name := filepath.Join(t.TempDir(), ".pave.yaml")
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(name); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("LoadConfig of an oversized file: err = %v", err)
	}
}

func TestParseConfigManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nexceptions:\n")
	for range 50 {
		b.WriteString("  - id: X\n")
	}
	_, err := ParseConfig([]byte(b.String()), "p.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxErrors+1 || !strings.Contains(lines[maxErrors], "and 30 more errors") {
		t.Errorf("got %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestParseThreshold(t *testing.T) {
	for in, want := range map[string]finding.Severity{
		"critical": finding.Critical, "HIGH": finding.High, "medium": finding.Medium, "low": finding.Low,
		"info": finding.Info, "unknown": finding.Unknown, "any": finding.Unknown, " Any ": finding.Unknown,
	} {
		got, err := ParseThreshold(in)
		if err != nil || got != want {
			t.Errorf("ParseThreshold(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "none", "severe", "5"} {
		if _, err := ParseThreshold(bad); err == nil {
			t.Errorf("ParseThreshold(%q): no error", bad)
		}
	}
}

// TestNewReadsVEXRelativeToConfig: vex paths are relative to the file's
// directory, and a missing document is an error naming the config.
func TestNewReadsVEXRelativeToConfig(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/openvex/spec-inheritance.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "sec"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sec", "a.openvex.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, ".pave.yaml")
	if err := os.WriteFile(cfgPath, []byte("version: 1\nignoreUnfixed: true\nvex: [sec/a.openvex.json]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.VEX) != 1 || p.VEX[0].ID != "https://openvex.dev/docs/example/vex-9fb3463de1b57" || !p.IgnoreUnfixed {
		t.Errorf("policy = %+v", p)
	}
	cfg.VEX = append(cfg.VEX, "sec/missing.json")
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), ".pave.yaml") || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing VEX: err = %v", err)
	}
	if p, err := New(nil); err != nil || p == nil {
		t.Errorf("New(nil) = %v, %v", p, err)
	}
}
