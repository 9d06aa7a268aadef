// Package mdtest keeps generated parts of the Markdown docs (rule
// catalogues, field tables) in step with the code, for tests: a test
// renders each part, Check compares the doc with it and, run with
// -update, rewrites the doc instead. Like net/http/httptest it is test
// support; production code does not import it.
package mdtest

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

// Section is a generated part of a document: the text between a line
// Begin and a line End, both kept. Each marker ends in "\n".
type Section struct {
	Begin, End string
	Body       string // what belongs between the markers
}

// Render returns doc with the text between each section's markers
// replaced by its body, sections applied in order. A section whose markers
// are missing, or whose End comes before its Begin, is an error.
func Render(doc []byte, sections ...Section) ([]byte, error) {
	out := doc
	for _, s := range sections {
		i := bytes.Index(out, []byte(s.Begin))
		j := bytes.Index(out, []byte(s.End))
		if i < 0 || j < i {
			return nil, fmt.Errorf("no generated section %q", strings.TrimSpace(s.Begin))
		}
		out = append(append(append([]byte{}, out[:i+len(s.Begin)]...), s.Body...), out[j:]...)
	}
	return out, nil
}

// Check fails t unless the Markdown file at path already holds the
// sections' bodies. With update it rewrites the file to hold them instead.
func Check(t testing.TB, path string, update bool, sections ...Section) {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Render(doc, sections...)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(doc, want) {
		var stale []string
		for _, s := range sections {
			if !bytes.Contains(doc, []byte(s.Begin+s.Body+s.End)) {
				stale = append(stale, strings.TrimSpace(s.Begin))
			}
		}
		t.Errorf("%s is stale (%s); rerun the test with -update", path, strings.Join(stale, ", "))
	}
}
