package cicd

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestRulesValidate(t *testing.T) {
	for _, c := range []check.FileCheck{NewGitHubActions(), NewGitLabCI()} {
		if err := check.Validate(c.Rules()); err != nil {
			t.Errorf("%s: %v", c.Name(), err)
		}
		for _, r := range c.Rules() {
			if r.Kind != finding.Pipeline {
				t.Errorf("%s: kind %q, want pipeline", r.ID, r.Kind)
			}
			var owasp, cwe bool
			for _, ctl := range r.Controls {
				owasp = owasp || ctl.Framework == OWASPCICD && strings.HasPrefix(ctl.ID, "CICD-SEC-")
				cwe = cwe || ctl.Framework == check.CWE
			}
			if !owasp || !cwe {
				t.Errorf("%s: wants an OWASP-CICD and a CWE control", r.ID)
			}
		}
	}
}

func TestMatch(t *testing.T) {
	gh, gl := NewGitHubActions(), NewGitLabCI()
	tests := []struct {
		path   string
		gh, gl bool
	}{
		{".github/workflows/test.yaml", true, false},
		{".github/workflows/ci.yml", true, false},
		{"src/app/.github/workflows/ci.yml", true, false},
		{".github/workflows/README.md", false, false},
		{".github/workflows/sub/ci.yml", false, false},
		{".github/actions/setup-go/action.yaml", true, false},
		{"action.yml", true, false},
		{".github/dependabot.yml", false, false},
		{".gitlab-ci.yml", false, true},
		{"ci/templates/Docker.gitlab-ci.yml", false, true},
		{".gitlab/ci/build.gitlab-ci.yml", false, true},
		{".gitlab/ci/rules.yml", false, true},
		{".gitlab/issue_templates/bug.md", false, false},
		{"docker-compose.yml", false, false},
	}
	for _, tt := range tests {
		if got := gh.Match(tt.path, nil); got != tt.gh {
			t.Errorf("github-actions Match(%q) = %v, want %v", tt.path, got, tt.gh)
		}
		if got := gl.Match(tt.path, nil); got != tt.gl {
			t.Errorf("gitlab-ci Match(%q) = %v, want %v", tt.path, got, tt.gl)
		}
	}
}

func loadRefs(t testing.TB) map[string]map[string]string {
	f, err := os.Open("testdata/refs.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	refs, err := LoadRefs(f)
	if err != nil {
		t.Fatal(err)
	}
	return refs
}

// render writes findings one a line, for golden files and diffs.
func render(fs []finding.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s:%d:%d %s %s %q\n", f.Location.Path, f.Location.StartLine, f.Location.Column, f.Rule.ID, f.Severity, f.Evidence)
	}
	return b.String()
}

// TestGolden runs both checks over the real workflows and pipelines in
// testdata and compares with testdata/golden/<corpus>.golden.
func TestGolden(t *testing.T) {
	gh := NewGitHubActionsWith(Options{Refs: loadRefs(t)})
	corpora := []struct {
		name string
		c    check.FileCheck
	}{
		{"github/goat", gh}, {"github/trivy", gh}, {"github/starter", gh},
		{"gitlab/gitlab-runner", NewGitLabCI()}, {"gitlab/templates", NewGitLabCI()},
	}
	for _, corpus := range corpora {
		t.Run(corpus.name, func(t *testing.T) {
			files, err := filepath.Glob(filepath.Join("testdata", corpus.name, "*"))
			if err != nil || len(files) == 0 {
				t.Fatalf("no files in %s: %v", corpus.name, err)
			}
			hidden, _ := filepath.Glob(filepath.Join("testdata", corpus.name, ".*"))
			files = append(hidden, files...)
			var got strings.Builder
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				fs, err := corpus.c.Check(context.Background(), filepath.ToSlash(f), b)
				if err != nil {
					t.Errorf("%s: %v", f, err)
				}
				got.WriteString(render(fs))
			}
			golden := filepath.Join("testdata", "golden", strings.ReplaceAll(corpus.name, "/", "-")+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("findings differ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckErrors(t *testing.T) {
	ctx := context.Background()
	for _, c := range []check.FileCheck{NewGitHubActions(), NewGitLabCI()} {
		tests := map[string][]byte{
			"bad yaml": []byte("jobs:\n  a: [\n"),
			"too big":  []byte(strings.Repeat("#", maxSize+1)),
			"too deep": []byte(strings.Repeat("[", 300) + strings.Repeat("]", 300)),
			"too nested": func() []byte {
				var b strings.Builder
				for i := range 150 {
					b.WriteString(strings.Repeat(" ", i) + "a:\n")
				}
				return []byte(b.String())
			}(),
		}
		for name, in := range tests {
			fs, err := c.Check(ctx, "f.yml", in)
			if err == nil || fs != nil {
				t.Errorf("%s %s: got %d findings, err %v; want an error", c.Name(), name, len(fs), err)
			} else if strings.Contains(err.Error(), "\n") {
				t.Errorf("%s %s: error is not one line: %q", c.Name(), name, err)
			}
		}
		// Empty and non-mapping documents are not errors.
		for _, in := range []string{"", "---\n", "- a\n- b\n", "just text"} {
			if fs, err := c.Check(ctx, "f.yml", []byte(in)); err != nil || len(fs) != 0 {
				t.Errorf("%s %q: %v %v", c.Name(), in, fs, err)
			}
		}
	}
}

func TestLoadRefs(t *testing.T) {
	refs := loadRefs(t)
	if got := refs["actions/checkout"]["v4.2.2"]; got != "11bd71901bbe5b1630ceea73d27597364c9af683" {
		t.Errorf("v4.2.2 = %q", got)
	}
	for _, bad := range []string{`[]`, `{"checkout": {"v1": "11bd71901bbe5b1630ceea73d27597364c9af683"}}`, `{"a/b": {"v1": "main"}}`} {
		if _, err := LoadRefs(strings.NewReader(bad)); err == nil {
			t.Errorf("LoadRefs(%s): want error", bad)
		}
	}
}
