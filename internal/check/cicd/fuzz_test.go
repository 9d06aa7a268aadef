package cicd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
)

// seed adds every file under the given testdata folders to f's corpus.
func seed(f *testing.F, dirs ...string) {
	for _, d := range dirs {
		files, _ := filepath.Glob(filepath.Join("testdata", d, "*"))
		hidden, _ := filepath.Glob(filepath.Join("testdata", d, ".*"))
		for _, p := range append(files, hidden...) {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// fuzzCheck asserts the invariants every Check keeps on any input: no
// panic, findings only without an error, and each finding located in the
// file with a declared rule.
func fuzzCheck(t *testing.T, c check.FileCheck, path string, b []byte) {
	fs, err := c.Check(context.Background(), path, b)
	if err != nil {
		if fs != nil {
			t.Fatalf("findings and error %v", err)
		}
		return
	}
	rules := map[string]bool{}
	for _, r := range c.Rules() {
		rules[r.ID] = true
	}
	for _, f := range fs {
		if !rules[f.Rule.ID] || f.Severity == finding.Unknown {
			t.Fatalf("undeclared rule or no severity: %+v", f)
		}
		if f.Location.Path != path || f.Location.StartLine < 1 || f.Location.Column < 1 {
			t.Fatalf("bad location: %+v", f.Location)
		}
	}
}

func FuzzGitHubActions(f *testing.F) {
	seed(f, "github/goat", "github/trivy", "github/starter")
	gh := NewGitHubActionsWith(Options{Refs: loadRefs(f)})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			t.Skip()
		}
		fuzzCheck(t, gh, ".github/workflows/f.yml", b)
	})
}

func FuzzGitLabCI(f *testing.F) {
	seed(f, "gitlab/gitlab-runner", "gitlab/templates")
	gl := NewGitLabCI()
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			t.Skip()
		}
		fuzzCheck(t, gl, ".gitlab-ci.yml", b)
	})
}

// benchCorpus checks every file of the corpus once per iteration and
// reports files per second.
func benchCorpus(b *testing.B, c check.FileCheck, dirs ...string) {
	var files [][]byte
	var size int64
	for _, d := range dirs {
		paths, _ := filepath.Glob(filepath.Join("testdata", d, "*"))
		hidden, _ := filepath.Glob(filepath.Join("testdata", d, ".*"))
		for _, p := range append(paths, hidden...) {
			data, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			files = append(files, data)
			size += int64(len(data))
		}
	}
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		for _, data := range files {
			if _, err := c.Check(context.Background(), "f.yml", data); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(files)*b.N)/b.Elapsed().Seconds(), "files/s")
}

func BenchmarkGitHubActions(b *testing.B) {
	benchCorpus(b, NewGitHubActions(), "github/goat", "github/trivy", "github/starter")
}

func BenchmarkGitLabCI(b *testing.B) {
	benchCorpus(b, NewGitLabCI(), "gitlab/gitlab-runner", "gitlab/templates")
}

// hostileWorkflow is near the size limit and made of the lines the script
// heuristics work hardest on: downloads, runs and untrusted expressions.
func hostileWorkflow() []byte {
	var b strings.Builder
	b.WriteString("on: issues\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n")
	for b.Len() < maxSize-200 {
		b.WriteString("          curl -o tool https://example.com/tool && echo ${{ github.event.issue.title }}\n          chmod +x tool\n")
	}
	return []byte(b.String())
}

// BenchmarkHostileScript measures a file at the size limit whose script
// every heuristic fires on: the work must stay linear in its size.
func BenchmarkHostileScript(b *testing.B) {
	in := hostileWorkflow()
	gh := NewGitHubActions()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := gh.Check(context.Background(), "w.yml", in); err != nil {
			b.Fatal(err)
		}
	}
}
