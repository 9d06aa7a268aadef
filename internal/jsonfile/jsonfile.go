// Package jsonfile reads and writes the JSON documents pave keeps on disk
// (sensor baselines, runtime evidence, VEX documents, the gateway's
// discovery configuration): reads bounded in size, so a hostile or runaway
// file is an error and not a memory blow-up; strict decoding, so a typo in a
// field name or a second document is an error and not a setting silently
// ignored; and atomic replacement, so a reader never sees a partial file.
//
// Errors name the file but not the caller's package; callers wrap them
// ("baseline: %w").
package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ErrTooLarge is wrapped by Read's error for a file over its bound.
var ErrTooLarge = errors.New("larger than the limit")

// Read reads the file at name, refusing one of more than limit bytes with
// an error wrapping ErrTooLarge. It never reads more than limit+1 bytes,
// so the bound holds for pipes and devices as for regular files.
func Read(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w of %d bytes", name, ErrTooLarge, limit)
	}
	return data, nil
}

// Decode decodes the one JSON document data holds into v. A field v does
// not have is an error, as is anything but white space after the document.
// Errors are one line.
func Decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New(strings.Join(strings.Fields(err.Error()), " "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON document")
	}
	return nil
}

// WriteAtomic replaces the file at name with data: it writes a temporary
// file in the same directory and renames it over name, so a reader sees
// the old file or the new one, never a partial one. On error the
// temporary file is removed and name is untouched.
func WriteAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(f.Name(), name); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
