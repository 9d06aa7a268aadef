package k8s

import (
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestRules(t *testing.T) {
	c := New()
	if err := check.Validate(c.Rules()); err != nil {
		t.Fatal(err)
	}
	if c.Name() != "kubernetes" {
		t.Errorf("Name() = %q", c.Name())
	}
	for _, r := range c.Rules() {
		if r.Kind != finding.Misconfig {
			t.Errorf("%s: kind %s", r.ID, r.Kind)
		}
	}
}

func checkFile(t testing.TB, path string) []finding.Finding {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := New().Check(context.Background(), filepath.ToSlash(path), b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return fs
}

func ruleIDs(fs []finding.Finding) []string {
	var ids []string
	for _, f := range fs {
		if !slices.Contains(ids, f.Rule.ID) {
			ids = append(ids, f.Rule.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// TestBadPods runs the BishopFox badPods corpus: every manifest of a bad
// family raises that family's rules; the locked-down ones ("nothing
// allowed") raise none of the host-escape rules. A bad manifest may raise
// more than its family's rules: hostipc-revshell-deamonset.yaml upstream
// also sets hostNetwork and hostPID.
func TestBadPods(t *testing.T) {
	escape := []string{rulePrivileged, ruleHostPID, ruleHostNetwork, ruleHostIPC, ruleHostPath}
	families := map[string][]string{
		"everything-allowed": {rulePrivileged, ruleHostPID, ruleHostNetwork, ruleHostIPC, ruleHostPath},
		"priv":               {rulePrivileged},
		"priv-and-hostpid":   {rulePrivileged, ruleHostPID},
		"hostpid":            {ruleHostPID},
		"hostnetwork":        {ruleHostNetwork},
		"hostipc":            {ruleHostIPC},
		"hostpath":           {ruleHostPath},
		"nothing-allowed":    nil,
	}
	counted := map[string]int{}
	for family, want := range families {
		dir := filepath.Join("testdata", "badpods", family)
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !New().Match(p, nil) {
				return err
			}
			counted[family]++
			got := ruleIDs(checkFile(t, p))
			for _, id := range want {
				if !slices.Contains(got, id) {
					t.Errorf("%s: rule %s not raised (got %v)", p, id, got)
				}
			}
			if want == nil {
				for _, id := range escape {
					if slices.Contains(got, id) {
						t.Errorf("%s: locked-down pod raised %s", p, id)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if counted[family] != 16 {
			t.Errorf("%s: %d manifests, want 16 (8 kinds, exec and revshell)", family, counted[family])
		}
	}
}

func TestMatch(t *testing.T) {
	c := New()
	for p, want := range map[string]bool{
		"deploy/app.yaml": true, "a/b.YML": true, "list.json": true,
		"Dockerfile": false, "values.yaml.tpl": false, "README.md": false,
	} {
		if got := c.Match(p, nil); got != want {
			t.Errorf("Match(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "apiToken": true, "AWS_SECRET_ACCESS_KEY": true, "API_KEY": true, "GITHUB_TOKEN": true,
		"PASSWORD_FILE": false, "PUBLIC_KEY": false, "TOKEN_URL": false, "KEYCLOAK_URL": false, "LOG_LEVEL": false,
		"SECRET_NAME": false, "MONKEY": false,
	} {
		if got := secretName(name); got != want {
			t.Errorf("secretName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestSplitImage(t *testing.T) {
	for img, want := range map[string][2]string{
		"ubuntu":                     {"", ""},
		"nginx:1.25":                 {"1.25", ""},
		"localhost:5000/app":         {"", ""},
		"localhost:5000/app:v1":      {"v1", ""},
		"ghcr.io/a/b@sha256:abc":     {"", "sha256:abc"},
		"ghcr.io/a/b:1.0@sha256:abc": {"1.0", "sha256:abc"},
		"registry.k8s.io/pause:3.9":  {"3.9", ""},
	} {
		tag, dig := splitImage(img)
		if tag != want[0] || dig != want[1] {
			t.Errorf("splitImage(%q) = %q, %q; want %q, %q", img, tag, dig, want[0], want[1])
		}
	}
}

func TestNoManifest(t *testing.T) {
	for _, src := range []string{
		"", "name: x\non: push\n", `{"name": "x", "version": "1.0.0"}`,
		"apiVersion: v1\n# no kind here\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\ndata:\n  a: {{ .Values.a | quote }\n",
	} {
		got, err := New().Check(context.Background(), "x.yaml", []byte(src))
		if err != nil || len(got) != 0 {
			t.Errorf("Check(%q) = %d findings, %v; want none", src, len(got), err)
		}
	}
}

func TestBounds(t *testing.T) {
	big := make([]byte, maxFileSize+1)
	if _, err := New().Check(context.Background(), "big.yaml", big); err == nil {
		t.Error("file over 10 MiB: no error")
	}
	many := strings.Repeat("---\napiVersion: v1\nkind: ConfigMap\n", maxDocuments+1)
	if _, err := New().Check(context.Background(), "many.yaml", []byte(many)); err == nil || !strings.Contains(err.Error(), "documents") {
		t.Errorf("%d documents: err = %v", maxDocuments+1, err)
	}
	deep := "apiVersion: v1\nkind: Pod\nspec: " + strings.Repeat("[", 100000) + "\n"
	if _, err := New().Check(context.Background(), "deep.yaml", []byte(deep)); err == nil {
		t.Error("deep nesting: no error")
	}
	bomb := "apiVersion: v1\nkind: ConfigMap\na: &a [x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		bomb += n + ": &" + n + " [" + strings.Repeat("*"+prev+", ", 8) + "*" + prev + "]\n"
		prev = n
	}
	if _, err := New().Check(context.Background(), "bomb.yaml", []byte(bomb)); err != nil {
		t.Logf("alias bomb: %v", err) // aliases share nodes: no expansion, an error is not required
	}
}
