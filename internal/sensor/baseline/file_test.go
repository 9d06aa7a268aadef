package baseline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	valid, err := os.ReadFile(filepath.Join("testdata", "hand-edited.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("b.json", valid); err != nil {
		t.Fatalf("the hand-edited sample: %v", err)
	}
	edit := func(old, new string) string {
		if !strings.Contains(string(valid), old) {
			t.Fatalf("sample lacks %q", old)
		}
		return strings.Replace(string(valid), old, new, 1)
	}
	tests := []struct{ name, doc, err string }{
		{"not json", `{"schema": `, "unexpected EOF"},
		{"trailing", string(valid) + "{}", "data after the JSON document"},
		{"schema", edit(`"pave.baseline/v1"`, `"v2"`), `schema is "v2", want "pave.baseline/v1"`},
		{"unknown field", edit(`"listen": [`, `"listens": [`), `unknown field "listens"`},
		{"no image", edit(`"id": "sha256:ada66d6358e8b764374e472b2f34a97f8f478c62d2dc191ae07a5295c30becd9"`, `"id": ""`), "image: neither digest nor id is set"},
		{"bad id", edit(`"id": "sha256:ada6`, `"id": "md5:ada6`), `image.id: "md5:ada6`},
		{"relative exec", edit(`"/usr/bin/python3.11"`, `"python3"`), `exec[0]: "python3" is not an absolute path`},
		{"bad glob", edit(`"/tmp/*"`, `"/tmp/[a"`), `write[0]: "/tmp/[a": syntax error in pattern`},
		{"bad peer", edit(`"*:53/udp"`, `"example.com:53/udp"`), `connect[1]: "example.com:53/udp": ParseAddr`},
		{"no proto", edit(`"*:53/udp"`, `"*:53"`), `connect[1]: "*:53": want addr:port/proto`},
		{"bad proto", edit(`"*:53/udp"`, `"*:53/icmp"`), `protocol "icmp" is not tcp, udp or *`},
		{"bad port", edit(`"8080/tcp"`, `"80800/tcp"`), `listen[0]: "80800/tcp": port "80800" is not 0-65535 or *`},
		{"bare ipv6", edit(`"[2001:db8::1]:443/tcp"`, `"2001:db8::1:443/tcp"`), `write an IPv6 address in brackets`},
		{"window", edit(`"events": 0,`, `"window": "ten minutes", "events": 0,`), `learned.window: "ten minutes" is not a duration`},
		{"negative count", edit(`"events": 0`, `"events": -1`), "cannot unmarshal number -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Parse("b.json", []byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", b)
			}
			if !strings.HasPrefix(err.Error(), "baseline: b.json: ") || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line with %q", err, tt.err)
			}
		})
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	if bs, err := LoadDir(filepath.Join(dir, "missing")); err != nil || len(bs) != 0 {
		t.Errorf("missing dir: %v, %v; want none, no error", bs, err)
	}
	src, err := os.ReadFile(filepath.Join("testdata", "hand-edited.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a.json", "b.json"} {
		if err := os.WriteFile(filepath.Join(dir, n), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err = LoadDir(dir)
	if err == nil || !strings.Contains(err.Error(), "b.json: same image sha256:ada6") {
		t.Errorf("duplicate image: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "b.json") {
		t.Errorf("New with a broken file: %v", err)
	}
	if _, err := New(Options{Mode: "enforce"}); err == nil {
		t.Error("New accepted an unknown mode")
	}
}

// FuzzParse: no panic; what Parse accepts, Marshal writes in a form Parse
// accepts and that marshals the same.
func FuzzParse(f *testing.F) {
	for _, n := range []string{"hand-edited.json", "learned.json", "scenario.baseline.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schema": "pave.baseline/v1", "image": {"id": "sha256:ada66d6358e8b764374e472b2f34a97f8f478c62d2dc191ae07a5295c30becd9"}, "learned": {"events": 0, "exec": 0, "connect": 0, "listen": 0, "write": 0}, "exec": [], "connect": ["[::1]:*/*"], "listen": ["unix:/run/x"], "write": ["/**"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Parse("fuzz", data)
		if err != nil {
			if b != nil {
				t.Fatal("result with an error")
			}
			return
		}
		out, err := b.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		b2, err := Parse("again", out)
		if err != nil {
			t.Fatalf("marshalled form rejected: %v\n%s", err, out)
		}
		out2, err := b2.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != string(out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}
