// Package reporttest holds what the output formats share in their tests: a
// sample scan built from real package data, a large scan for benchmarks, a
// golden-file helper with an -update flag, and a JSON Schema validator that
// works offline.
//
// It is imported only by _test.go files.
package reporttest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// update rewrites golden files instead of comparing with them:
// go test ./internal/report/... -update
var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// Golden compares got with testdata/name in the calling test's package
// directory, or writes it there when the test runs with -update.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from golden file (-want +got):\n%s\n(run with -update if the change is intended)",
			name, cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")))
	}
}

// Schema compiles the JSON Schema whose $id is root from the *.json files
// in dir, each registered under its own $id so that references between
// them resolve without the network. Format assertions are on.
func Schema(t testing.TB, dir, root string) *jsonschema.Schema {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no schemas in %s: %v", dir, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		m, _ := doc.(map[string]any)
		id, _ := m["$id"].(string)
		if id == "" {
			t.Fatalf("%s: no $id", f)
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	s, err := c.Compile(root)
	if err != nil {
		t.Fatalf("compile %s: %v", root, err)
	}
	return s
}

// Validate checks doc against s and reports every violation.
func Validate(t testing.TB, s *jsonschema.Schema, doc []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("output does not match the schema:\n%v", err)
	}
}
