package inuse

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	idA = "sha256:ada66d6358e8b764374e472b2f34a97f8f478c62d2dc191ae07a5295c30becd9"
	idB = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
)

func TestParse(t *testing.T) {
	valid := `{"schema": "pave.runtime-evidence/v1", "images": [{"id": "` + idA + `", "window": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:01:00Z"}, "events": 2, "containers": [{"id": "c1"}], "files": [{"path": "/bin/sh", "exec": 1}, {"path": "/lib/libc.so", "mmap": 1}]}]}`
	tests := []struct {
		name, doc, err string // err: substring of the error, "" for success
	}{
		{"valid", valid, ""},
		{"empty images", `{"schema": "pave.runtime-evidence/v1", "images": []}`, ""},
		{"not json", `{"schema":`, "unexpected EOF"},
		{"trailing data", `{"schema": "pave.runtime-evidence/v1", "images": []} {}`, "data after the JSON document"},
		{"wrong schema", `{"schema": "pave.scan/v1", "images": []}`, `schema is "pave.scan/v1"`},
		{"unknown field", `{"schema": "pave.runtime-evidence/v1", "images": [], "extra": 1}`, `unknown field "extra"`},
		{"no digest", `{"schema": "pave.runtime-evidence/v1", "images": [{"window": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "events": 0, "containers": [], "files": []}]}`, "images[0]: neither digest nor id"},
		{"bad digest", strings.Replace(valid, `"id": "`+idA, `"digest": "sha256:abc`, 1), `images[0].digest: "sha256:abc" is not sha256:<64 hex digits>`},
		{"relative path", strings.Replace(valid, `"/bin/sh"`, `"bin/sh"`, 1), `images[0].files[0].path: "bin/sh" is not absolute`},
		{"unclean path", strings.Replace(valid, `"/bin/sh"`, `"/bin/../bin/sh"`, 1), `is not clean (want "/bin/sh")`},
		{"unsorted", strings.Replace(valid, `"/lib/libc.so"`, `"/a"`, 1), "images[0].files[1].path: /a is not after /bin/sh"},
		{"duplicate path", strings.Replace(valid, `"/lib/libc.so"`, `"/bin/sh"`, 1), "is not after"},
		{"no counts", strings.Replace(valid, `"exec": 1`, `"exec": 0`, 1), "images[0].files[0]: /bin/sh has no exec, mmap or open count"},
		{"window backwards", strings.Replace(valid, `"end": "2026-01-01T00:01:00Z"`, `"end": "2025-01-01T00:00:00Z"`, 1), "images[0].window: end is before start"},
		{"empty container id", strings.Replace(valid, `{"id": "c1"}`, `{"id": ""}`, 1), "images[0].containers[0].id: empty"},
		{"negative count", strings.Replace(valid, `"exec": 1`, `"exec": -1`, 1), "cannot unmarshal number -1"},
		{"duplicate image", strings.Replace(valid, `]}]}`, `]}, {"id": "`+idA+`", "window": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "events": 0, "containers": [], "files": []}]}`, 1), "images[1]: same image as images[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Parse("e.json", []byte(tt.doc))
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want error containing %q", ev, tt.err)
			}
			if !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "inuse: e.json: ") {
				t.Errorf("error %q, want %q after %q", err, tt.err, "inuse: e.json: ")
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	im := Image{Digest: idB, ID: idA}
	for _, tt := range []struct {
		digest, id string
		want       bool
	}{
		{"", idA, true},
		{idB, "", true},
		{"example.com/x@" + idB, "", true},
		{"", idB, true}, // a digest given as the id still names the image
		{"", "", false},
		{"sha256:2222222222222222222222222222222222222222222222222222222222222222", "", false},
	} {
		if got := im.Matches(tt.digest, tt.id); got != tt.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", tt.digest, tt.id, got, tt.want)
		}
	}
}

// TestRoundTrip: what WriteFile writes, ReadFile reads back unchanged, and
// the written form is sorted whatever the input order.
func TestRoundTrip(t *testing.T) {
	ev := &Evidence{Schema: Schema, Images: []Image{
		{ID: idB, Refs: []string{"b:2", "b:1", "b:1"}, Events: 3,
			Containers: []Container{{ID: "z"}, {ID: "a", Name: "web"}},
			Files:      []File{{Path: "/usr/bin/z", Exec: 1}, {Path: "/usr/bin/a", Mmap: 2}}},
		{ID: idA, Digest: idB},
	}}
	name := filepath.Join(t.TempDir(), "e.json")
	if err := ev.WriteFile(name); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	want := &Evidence{Schema: Schema, Images: []Image{
		{ID: idB, Refs: []string{"b:1", "b:2"}, Events: 3,
			Containers: []Container{{ID: "a", Name: "web"}, {ID: "z"}},
			Files:      []File{{Path: "/usr/bin/a", Mmap: 2}, {Path: "/usr/bin/z", Exec: 1}}},
		{ID: idA, Digest: idB, Containers: []Container{}, Files: []File{}},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	entries, _ := os.ReadDir(filepath.Dir(name))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only e.json (no temporary file left)", len(entries))
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("ReadFile of a missing file succeeded")
	}
}

// FuzzParse: Parse never panics; what it accepts, Marshal writes in a form
// Parse accepts again and that marshals to the same bytes.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.json")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schema": "pave.runtime-evidence/v1", "images": []}`))
	f.Add([]byte(`{"schema": "pave.runtime-evidence/v1", "images": [{"id": "` + idA + `", "window": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "events": 0, "containers": [{"id": "x"}], "files": [{"path": "/a", "open": 1}]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := Parse("fuzz", data)
		if err != nil {
			if ev != nil {
				t.Fatal("result with an error")
			}
			return
		}
		b, err := ev.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		ev2, err := Parse("again", b)
		if err != nil {
			t.Fatalf("marshalled form rejected: %v\n%s", err, b)
		}
		b2, err := ev2.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(b2) {
			t.Fatalf("not stable:\n%s\n%s", b, b2)
		}
	})
}
