package main

import (
	"bufio"
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/pavesec/pave"

// goList returns each package of the module with its direct imports.
func goList(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 {
			pkgs[f[0]] = f[1:]
		}
	}
	return pkgs
}

func isStd(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

// TestImportFence keeps the import graph pointing "down" (DESIGN.md).
func TestImportFence(t *testing.T) {
	pkgs := goList(t)
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	rules := []struct {
		pkg   string // package or prefix/...
		allow func(imp string) bool
		why   string
	}{
		{"internal/inventory", isStd, "inventory is shared by everything: standard library only"},
		{"internal/finding", func(i string) bool { return isStd(i) || i == module+"/internal/inventory" },
			"finding: standard library and inventory only"},
	}
	for path, imports := range pkgs {
		rel := strings.TrimPrefix(path, module+"/")
		for _, imp := range imports {
			// Test helper packages (reporttest, like net/http/httptest) may.
			if imp == "testing" && !strings.HasSuffix(rel, "test") {
				t.Errorf("%s imports testing in production code", rel)
			}
			for _, r := range rules {
				match := rel == r.pkg || (strings.HasSuffix(r.pkg, "/...") && strings.HasPrefix(rel, strings.TrimSuffix(r.pkg, "...")))
				if match && !r.allow(imp) {
					t.Errorf("%s imports %s: %s", rel, imp, r.why)
				}
			}
		}
		// Extractors see only the file they are handed: no opening
		// artifacts, no scanning pipeline.
		if strings.HasPrefix(rel, "internal/extract/") && !strings.HasPrefix(rel, "internal/extract/all") {
			for _, imp := range imports {
				if imp == module+"/internal/artifact" || imp == module+"/internal/scan" || strings.HasPrefix(imp, module+"/internal/cli") {
					t.Errorf("extractor package %s imports %s", rel, imp)
				}
			}
		}
		// Reports consume results; they never run scanners.
		if strings.HasPrefix(rel, "internal/report") || strings.HasPrefix(rel, "internal/sbom") {
			for _, imp := range imports {
				for _, bad := range []string{"/internal/extract", "/internal/artifact", "/internal/scan", "/internal/cli"} {
					if strings.HasPrefix(imp, module+bad) {
						t.Errorf("output package %s imports %s", rel, imp)
					}
				}
			}
		}
	}
}

// TestPackageDocs checks that every package has a doc comment.
func TestPackageDocs(t *testing.T) {
	root := "../.."
	seen := 0
	for path := range goList(t) {
		dir := filepath.Join(root, strings.TrimPrefix(path, module))
		fset := token.NewFileSet()
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		documented, files := false, 0
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
				continue
			}
			files++
			f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
				documented = true
			}
		}
		if files == 0 {
			continue // only tests
		}
		seen++
		if !documented {
			t.Errorf("package %s has no doc comment", path)
		}
	}
	if seen == 0 {
		t.Fatal("no packages checked")
	}
}
