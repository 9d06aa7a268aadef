package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// output is where results go: stdout, or a file written atomically (a
// temporary file beside it, renamed into place on success, removed on
// failure), so that a failed run never leaves a partial file.
type output struct {
	w    io.Writer
	tmp  *os.File
	dev  *os.File // a device or pipe named as the output, written in place
	path string
	done bool
}

func createOutput(path string, stdout io.Writer) (*output, error) {
	if path == "" || path == "-" {
		return &output{w: stdout}, nil
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("output %s: directory %s does not exist", path, dir)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("output %s: %s is not a directory", path, dir)
	}
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return nil, fmt.Errorf("output %s: is a directory", path)
		}
		// A device or a named pipe (/dev/null, /dev/stdout, a FIFO) is
		// written in place: renaming a file over it would replace it.
		if !st.Mode().IsRegular() {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return nil, fmt.Errorf("output %s: %w", path, err)
			}
			return &output{w: f, dev: f, path: path}, nil
		}
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", path, err)
	}
	return &output{w: tmp, tmp: tmp, path: path}, nil
}

// Commit moves the finished file into place.
func (o *output) Commit() error {
	if o.dev != nil && !o.done {
		o.done = true
		if err := o.dev.Close(); err != nil {
			return fmt.Errorf("output %s: %w", o.path, err)
		}
		return nil
	}
	if o.tmp == nil || o.done {
		return nil
	}
	o.done = true
	if err := o.tmp.Sync(); err != nil {
		o.tmp.Close()
		os.Remove(o.tmp.Name())
		return fmt.Errorf("output %s: %w", o.path, err)
	}
	if err := o.tmp.Close(); err != nil {
		os.Remove(o.tmp.Name())
		return fmt.Errorf("output %s: %w", o.path, err)
	}
	if err := os.Chmod(o.tmp.Name(), 0o644); err != nil {
		os.Remove(o.tmp.Name())
		return fmt.Errorf("output %s: %w", o.path, err)
	}
	if err := os.Rename(o.tmp.Name(), o.path); err != nil {
		os.Remove(o.tmp.Name())
		return fmt.Errorf("output %s: %w", o.path, err)
	}
	return nil
}

// Abort removes an uncommitted file.
func (o *output) Abort() {
	if o.dev != nil && !o.done {
		o.done = true
		o.dev.Close()
		return
	}
	if o.tmp == nil || o.done {
		return
	}
	o.done = true
	o.tmp.Close()
	os.Remove(o.tmp.Name())
}
