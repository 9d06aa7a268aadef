package k8s

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// render writes findings one a line: position, rule, severity, evidence
// and message.
func render(t testing.TB, path string) string {
	var b strings.Builder
	for _, f := range checkFile(t, path) {
		fmt.Fprintf(&b, "%d:%d %s %s | %s | %s\n", f.Location.StartLine, f.Location.Column, f.Rule.ID, f.Severity, f.Evidence, f.Message)
	}
	return b.String()
}

// TestGolden checks real public manifests (testdata/README.md) against
// their expected findings in testdata/golden/*.golden.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range files {
		t.Run(filepath.Base(in), func(t *testing.T) {
			got := render(t, in)
			want := strings.TrimSuffix(in, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(want, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(b), got); diff != "" {
				t.Errorf("findings differ (-want +got):\n%s", diff)
			}
		})
	}
}
