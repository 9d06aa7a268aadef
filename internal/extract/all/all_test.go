package all

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestList checks the one list of extractors: names are unique and
// path-like, versions positive, every extractor's package has a fuzz test,
// and every name is documented in docs/extractors*.md.
func TestList(t *testing.T) {
	exts := Default()
	if len(exts) < 20 {
		t.Fatalf("only %d extractors", len(exts))
	}
	docs := readDocs(t)
	nameRE := regexp.MustCompile(`^[a-z]+/[a-z0-9-]+$`)
	seen := map[string]bool{}
	pkgDirs := map[string]bool{}
	for _, e := range exts {
		n := e.Name()
		if seen[n] {
			t.Errorf("duplicate extractor name %q", n)
		}
		seen[n] = true
		if !nameRE.MatchString(n) {
			t.Errorf("extractor name %q is not of the form family/format", n)
		}
		if e.Version() < 1 {
			t.Errorf("%s: version %d", n, e.Version())
		}
		if !strings.Contains(docs, "`"+n+"`") {
			t.Errorf("%s is not documented in docs/extractors*.md", n)
		}
		typ := reflect.TypeOf(e)
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		pkgDirs[typ.PkgPath()] = true
	}
	for pkg := range pkgDirs {
		dir := filepath.Join("..", filepath.Base(pkg))
		if !hasFuzz(t, dir) {
			t.Errorf("extractor package %s has no fuzz test", pkg)
		}
	}
}

func readDocs(t *testing.T) string {
	t.Helper()
	files, err := filepath.Glob("../../../docs/extractors*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no docs/extractors*.md: %v", err)
	}
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

func hasFuzz(t *testing.T, dir string) bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "func Fuzz") {
			return true
		}
	}
	return false
}
