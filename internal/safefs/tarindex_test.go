package safefs

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"testing"
)

func TestIndexTar(t *testing.T) {
	data := mkTar(t, []tmember{
		{name: "manifest.json", body: "old"},
		{name: "./manifest.json", body: "[]"},
		{name: "abc/layer.tar", body: "layer"},
		{name: "def/layer.tar", typ: tar.TypeSymlink, link: "../abc/layer.tar"},
		{name: "ghi/layer.tar", typ: tar.TypeLink, link: "abc/layer.tar"},
		{name: "up", typ: tar.TypeSymlink, link: "../../../../abc/layer.tar"},
		{name: "loop1", typ: tar.TypeSymlink, link: "loop2"},
		{name: "loop2", typ: tar.TypeSymlink, link: "/loop1"},
		{name: "dir", typ: tar.TypeDir},
	})
	idx, err := IndexTar(context.Background(), bytes.NewReader(data), int64(len(data)), Limits{MaxEntries: 20})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, want string
		err        error
	}{
		{"manifest.json", "[]", nil},
		{"/manifest.json", "[]", nil},
		{"abc/layer.tar", "layer", nil},
		{"def/layer.tar", "layer", nil},
		{"ghi/layer.tar", "layer", nil},
		{"up", "layer", nil}, // ".." clamped at the archive root
		{"loop1", "", ErrHostile},
		{"dir", "", fs.ErrNotExist},
		{"missing", "", fs.ErrNotExist},
		{"../x", "", ErrHostile},
	}
	for _, tc := range tests {
		sr, err := idx.Open(tc.name)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("Open(%q): err = %v, want %v", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Open(%q): %v", tc.name, err)
			continue
		}
		b, _ := io.ReadAll(sr)
		if string(b) != tc.want {
			t.Errorf("Open(%q) = %q, want %q", tc.name, b, tc.want)
		}
	}
	if _, err := IndexTar(context.Background(), bytes.NewReader(data), int64(len(data)), Limits{MaxEntries: 3}); !errors.Is(err, ErrHostile) {
		t.Errorf("MaxEntries 3: err = %v", err)
	}
	if _, err := IndexTar(context.Background(), bytes.NewReader(data[:2100]), 2100, Limits{}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated: err = %v", err)
	}
}
