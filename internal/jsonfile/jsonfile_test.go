package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, bytes.Repeat([]byte("x"), n), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name    string
		path    string
		limit   int64
		wantLen int
		wantErr string // substring; "" means success
		tooBig  bool
	}{
		{"empty", write("empty", 0), 10, 0, "", false},
		{"under", write("under", 9), 10, 9, "", false},
		{"at the bound", write("at", 10), 10, 10, "", false},
		{"one over", write("over", 11), 10, 0, "over: larger than the limit of 10 bytes", true},
		{"far over", write("far", 1<<16), 10, 0, "larger than the limit of 10 bytes", true},
		{"missing", filepath.Join(dir, "missing"), 10, 0, "open " + filepath.Join(dir, "missing") + ": no such file", false},
		{"directory", dir, 10, 0, "read " + dir + ": ", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read(tc.path, tc.limit)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				if len(got) != tc.wantLen {
					t.Errorf("Read returned %d bytes, want %d", len(got), tc.wantLen)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Read error = %v, want one containing %q", err, tc.wantErr)
			}
			if got != nil {
				t.Errorf("Read returned %d bytes with its error", len(got))
			}
			if errors.Is(err, ErrTooLarge) != tc.tooBig {
				t.Errorf("errors.Is(%v, ErrTooLarge) = %v, want %v", err, !tc.tooBig, tc.tooBig)
			}
		})
	}
}

// TestReadPipe: the bound holds for a file whose size is unknown up
// front; Read stops after limit+1 bytes of an endless writer.
func TestReadPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		defer w.Close()
		chunk := bytes.Repeat([]byte("y"), 4096)
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}()
	_, err = Read("/proc/self/fd/"+strconv.Itoa(int(r.Fd())), 1<<20)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Read of an endless pipe: err = %v, want ErrTooLarge", err)
	}
}

type doc struct {
	Name  string   `json:"name"`
	Items []string `json:"items,omitempty"`
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     doc
		wantErr  string
	}{
		{"plain", `{"name":"a","items":["x"]}`, doc{Name: "a", Items: []string{"x"}}, ""},
		{"white space after", "{\"name\":\"a\"}\n\t \n", doc{Name: "a"}, ""},
		{"unknown field", `{"name":"a","nmae":"b"}`, doc{}, `json: unknown field "nmae"`},
		{"second document", `{"name":"a"} {}`, doc{}, "data after the JSON document"},
		{"stray bracket", `{"name":"a"} }`, doc{}, "data after the JSON document"},
		{"garbage after", `{"name":"a"}x`, doc{}, "data after the JSON document"},
		{"wrong type", `{"name":1}`, doc{}, "cannot unmarshal number into Go struct field doc.name of type string"},
		{"empty", ``, doc{}, "EOF"},
		{"truncated", `{"name":`, doc{}, "unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got doc
			err := Decode([]byte(tc.in), &got)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("Decode (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Decode error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "doc.json")
	for _, content := range []string{"first\n", "second, longer\n", ""} {
		if err := WriteAtomic(name, []byte(content)); err != nil {
			t.Fatalf("WriteAtomic: %v", err)
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != content {
			t.Errorf("file holds %q, want %q", got, content)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only doc.json (no temporary file left)", len(entries))
	}

	// A rename that fails (the target is a non-empty directory) leaves
	// the target as it was and no temporary file behind.
	target := filepath.Join(dir, "taken")
	if err := os.MkdirAll(filepath.Join(target, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(target, []byte("x")); err == nil || !strings.Contains(err.Error(), "write "+target+": ") {
		t.Fatalf("WriteAtomic over a directory: err = %v, want a write error naming it", err)
	}
	if fi, err := os.Stat(filepath.Join(target, "sub")); err != nil || !fi.IsDir() {
		t.Errorf("the directory was disturbed: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("directory holds %d entries after a failed write, want 2", len(entries))
	}

	if err := WriteAtomic(filepath.Join(dir, "no", "such", "dir", "f"), []byte("x")); err == nil {
		t.Error("WriteAtomic into a missing directory succeeded")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"name":"a","items":["x","y"]}`))
	f.Add([]byte(`{"name":"a"} {}`))
	f.Add([]byte(`{"name":"a","extra":1}`))
	f.Add([]byte("{\"name\":\"\\u00e9\"}\n"))
	f.Add([]byte(`[`))
	f.Add([]byte(`{"nAme":"0","items":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d doc
		err := Decode(b, &d)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		// Accepted: what it decoded round-trips.
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back doc
		if err := Decode(out, &back); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		again, err := json.Marshal(back)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, again) {
			t.Fatalf("round trip: %s became %s", out, again)
		}
	})
}

func BenchmarkReadDecode(b *testing.B) {
	items := make([]string, 20000)
	for i := range items {
		items[i] = strings.Repeat("/usr/lib/x86_64-linux-gnu/", 2) + strconv.Itoa(i)
	}
	data, err := json.MarshalIndent(doc{Name: "bench", Items: items}, "", "  ")
	if err != nil {
		b.Fatal(err)
	}
	name := filepath.Join(b.TempDir(), "doc.json")
	if err := WriteAtomic(name, data); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := Read(name, 16<<20)
		if err != nil {
			b.Fatal(err)
		}
		var d doc
		if err := Decode(got, &d); err != nil {
			b.Fatal(err)
		}
	}
}
