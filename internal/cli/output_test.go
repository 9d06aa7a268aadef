package cli

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A named pipe given as the output is written in place: the atomic rename
// used for regular files would replace the pipe (or /dev/null) with a file.
func TestOutputToFIFOWritesInPlace(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "out.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- "open: " + err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	o, err := createOutput(fifo, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(o.w, "report\n")
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "report\n" {
		t.Errorf("reader got %q, want %q", s, "report\n")
	}
	st, err := os.Lstat(fifo)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("%s is now %v, want it to stay a named pipe", fifo, st.Mode())
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(fifo), ".out.fifo.tmp-*")); len(m) != 0 {
		t.Errorf("temporary files left behind: %v", m)
	}
}
