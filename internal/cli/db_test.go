package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run calls Main and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestDBUpdate serves databases from a loopback HTTP server: a trusted
// one replaces the local database; an untrusted or damaged one is refused
// and the local database is left as it was.
func TestDBUpdate(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config")) // no keys directory
	p := func(n string) string { return filepath.Join(dir, n) }
	for _, k := range []string{"good", "evil"} {
		if code, _, stderr := run(t, "db", "keygen", "-o", p(k)); code != 0 {
			t.Fatal(stderr)
		}
	}
	data := filepath.Join("..", "..", "testdata", "vulndb", "go")
	for _, b := range []struct{ name, key string }{{"good.db", "good"}, {"evil.db", "evil"}} {
		if code, _, stderr := run(t, "db", "build", "--offline", "-o", p(b.name), "--key", p(b.key+".key"), "osv="+data); code != 0 {
			t.Fatal(stderr)
		}
	}
	good, _ := os.ReadFile(p("good.db"))
	damaged := bytes.Clone(good)
	damaged[len(damaged)/2] ^= 0xff
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/good.db":
			w.Write(good)
		case "/evil.db":
			b, _ := os.ReadFile(p("evil.db"))
			w.Write(b)
		case "/damaged.db":
			w.Write(damaged)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	local := p("local/pave.db")
	tests := []struct {
		name     string
		path     string
		code     int
		stderr   string
		replaced bool
	}{
		{"trusted", "/good.db", 0, "pave: updated ", true},
		{"signed by an untrusted key", "/evil.db", ExitPolicy, "downloaded database refused", false},
		{"modified in transit", "/damaged.db", ExitPolicy, "modified after signing", false},
		{"missing", "/none.db", ExitInput, "HTTP 404", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			os.RemoveAll(filepath.Dir(local))
			os.MkdirAll(filepath.Dir(local), 0o755)
			os.WriteFile(local, []byte("previous"), 0o644)
			code, _, stderr := run(t, "db", "update", "--db", local, "--db-key", p("good.pub"), "--url", srv.URL+tc.path)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.stderr)
			}
			got, _ := os.ReadFile(local)
			if tc.replaced != bytes.Equal(got, good) || (!tc.replaced && string(got) != "previous") {
				t.Errorf("local database replaced=%v, want %v", bytes.Equal(got, good), tc.replaced)
			}
			entries, _ := os.ReadDir(filepath.Dir(local))
			if len(entries) != 1 {
				t.Errorf("left %d files in the database directory, want 1", len(entries))
			}
		})
	}
	if code, _, stderr := run(t, "db", "update", "--offline", "--db", local); code != ExitInput || !strings.Contains(stderr, "--offline") {
		t.Errorf("offline update: exit %d %q", code, stderr)
	}
}
