package audit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzVerify feeds arbitrary logs to Verify. Invariants: no panic; an
// error is either a *BrokenError with a line number within the input, or
// nothing; a log that verifies re-verifies to the same summary after a
// valid entry is appended through a Writer.
func FuzzVerify(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.jsonl")
	w, err := Open(path, Options{Sync: SyncNone, Now: fixedClock()})
	if err != nil {
		f.Fatal(err)
	}
	for i := range 3 {
		w.Append(sample(i))
	}
	w.Append(discoveredSample())
	w.Close()
	good, _ := os.ReadFile(path)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"seq":1,"prev":"` + Genesis + `"}` + "\n"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, log []byte) {
		s, err := Verify(bytes.NewReader(log))
		if err != nil {
			var be *BrokenError
			if !errors.As(err, &be) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if be.Line < 1 || be.Line > bytes.Count(log, []byte("\n"))+1 {
				t.Fatalf("line %d outside the input", be.Line)
			}
			return
		}
		if s.Entries != bytes.Count(log, []byte("\n")) {
			t.Fatalf("%d entries from %d lines", s.Entries, bytes.Count(log, []byte("\n")))
		}
		p := filepath.Join(t.TempDir(), "log")
		os.WriteFile(p, log, 0o600)
		w, err := Open(p, Options{Sync: SyncNone})
		if err != nil {
			t.Fatalf("a verified log does not reopen: %v", err)
		}
		if err := w.Append(sample(0)); err != nil {
			t.Fatal(err)
		}
		w.Close()
		b, _ := os.ReadFile(p)
		s2, err := Verify(bytes.NewReader(b))
		if err != nil || s2.Entries != s.Entries+1 {
			t.Fatalf("after append: %+v %v", s2, err)
		}
	})
}
