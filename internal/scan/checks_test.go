package scan

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/check/cicd"
	"github.com/pavesec/pave/internal/secret"
)

// TestChecksScope: pipeline checks judge the project's own workflows, not
// those shipped inside installed packages; secrets are looked for
// everywhere.
func TestChecksScope(t *testing.T) {
	dir := t.TempDir()
	workflow := "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: some-org/some-action@v1\n"
	// A random value in the .npmrc token shape, not a real credential.
	npmrc := "//registry.npmjs.org/:_authToken=npm_4kT9qLm2Xv8Rw3Zp6Yc1Hb5Nd7Fj0Gs2Ua8E\n"
	for p, content := range map[string]string{
		".github/workflows/ci.yml":                  workflow,
		"node_modules/dep/.github/workflows/ci.yml": workflow,
		"node_modules/dep/.npmrc":                   npmrc,
	} {
		full := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Run(context.Background(), "dir:"+dir, Config{FileChecks: []check.FileCheck{cicd.NewGitHubActions(), &secret.FileCheck{}}})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range res.Scan.Findings {
		paths = append(paths, string(f.Rule.Kind)+" "+f.Location.Path)
		if f.Fingerprint == "" || f.Target.Kind != "dir" {
			t.Errorf("finding not finished: %+v", f)
		}
	}
	if !slices.Contains(paths, "pipeline .github/workflows/ci.yml") {
		t.Errorf("the project's workflow was not checked: %v", paths)
	}
	if slices.Contains(paths, "pipeline node_modules/dep/.github/workflows/ci.yml") {
		t.Errorf("a dependency's workflow was judged as the project's: %v", paths)
	}
	if !slices.Contains(paths, "secret node_modules/dep/.npmrc") {
		t.Errorf("a secret inside a dependency was missed: %v", paths)
	}
}
