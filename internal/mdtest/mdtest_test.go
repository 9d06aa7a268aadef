package mdtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRender(t *testing.T) {
	a := Section{Begin: "<!-- BEGIN A -->\n", End: "<!-- END A -->\n", Body: "new a\n"}
	b := Section{Begin: "<!-- BEGIN B -->\n", End: "<!-- END B -->\n", Body: "new b\n"}
	for _, tc := range []struct {
		name     string
		doc      string
		sections []Section
		want     string // "" means an error
	}{
		{"one", "# T\n<!-- BEGIN A -->\nold\n<!-- END A -->\ntail\n", []Section{a},
			"# T\n<!-- BEGIN A -->\nnew a\n<!-- END A -->\ntail\n"},
		{"empty section", "<!-- BEGIN A -->\n<!-- END A -->\n", []Section{a},
			"<!-- BEGIN A -->\nnew a\n<!-- END A -->\n"},
		{"two", "<!-- BEGIN A -->\nx\n<!-- END A -->\nmid\n<!-- BEGIN B -->\ny\ny\n<!-- END B -->\n", []Section{a, b},
			"<!-- BEGIN A -->\nnew a\n<!-- END A -->\nmid\n<!-- BEGIN B -->\nnew b\n<!-- END B -->\n"},
		{"current", "<!-- BEGIN A -->\nnew a\n<!-- END A -->\n", []Section{a}, "<!-- BEGIN A -->\nnew a\n<!-- END A -->\n"},
		{"no begin", "<!-- END A -->\n", []Section{a}, ""},
		{"no end", "<!-- BEGIN A -->\n", []Section{a}, ""},
		{"end first", "<!-- END A -->\n<!-- BEGIN A -->\n", []Section{a}, ""},
		{"second missing", "<!-- BEGIN A -->\n<!-- END A -->\n", []Section{a, b}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := []byte(tc.doc)
			got, err := Render(doc, tc.sections...)
			if string(doc) != tc.doc {
				t.Errorf("Render changed its input to %q", doc)
			}
			if tc.want == "" {
				if err == nil {
					t.Fatalf("Render = %q, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("Render (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckUpdate: -update rewrites a stale doc, after which Check passes.
func TestCheckUpdate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doc.md")
	if err := os.WriteFile(path, []byte("<!-- BEGIN A -->\nold\n<!-- END A -->\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := Section{Begin: "<!-- BEGIN A -->\n", End: "<!-- END A -->\n", Body: "new\n"}
	Check(t, path, true, s)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "<!-- BEGIN A -->\nnew\n<!-- END A -->\n"; string(got) != want {
		t.Fatalf("after update the doc is %q, want %q", got, want)
	}
	Check(t, path, false, s)
}

// recorder is a testing.TB that records Errorf instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// TestCheckStale: a stale doc fails the test, names the stale section and
// is left as it was.
func TestCheckStale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doc.md")
	doc := "<!-- BEGIN A -->\nnew a\n<!-- END A -->\n<!-- BEGIN B -->\nold\n<!-- END B -->\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	Check(r, path, false,
		Section{Begin: "<!-- BEGIN A -->\n", End: "<!-- END A -->\n", Body: "new a\n"},
		Section{Begin: "<!-- BEGIN B -->\n", End: "<!-- END B -->\n", Body: "new b\n"})
	want := []string{path + " is stale (<!-- BEGIN B -->); rerun the test with -update"}
	if diff := cmp.Diff(want, r.errors); diff != "" {
		t.Errorf("Check errors (-want +got):\n%s", diff)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != doc {
		t.Errorf("Check without update changed the doc to %q (%v)", got, err)
	}
}
