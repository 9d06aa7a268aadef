package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/pavesec/pave/internal/testimage"
)

func TestReadLayerPlan(t *testing.T) {
	tests := []struct {
		name, text string
		created    string
		names      []string
		err        bool
	}{
		{"packages", "RUN apt-get install -y ruby\nruby\n\nlibruby3.1\n# comment\nruby\n", "RUN apt-get install -y ruby", []string{"libruby3.1", "ruby"}, false},
		{"history only", "ADD rootfs.tar /\n", "ADD rootfs.tar /", nil, false},
		{"empty", "", "", nil, true},
		{"blank first line", "\nruby\n", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "0-x.txt")
			if err := os.WriteFile(f, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			created, names, err := readLayerPlan(f)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if created != tt.created || !slices.Equal(names, tt.names) {
				t.Errorf("got %q %q, want %q %q", created, names, tt.created, tt.names)
			}
		})
	}
}

// The docker-save archive must read back, with go-containerregistry, as
// the same image: same config digest and layer diff IDs, layers stored
// uncompressed under blobs/sha256/.
func TestWriteDockerSave(t *testing.T) {
	img, err := testimage.Build(context.Background(), testimage.Spec{Layers: []testimage.Layer{
		{CreatedBy: "COPY a", Files: []testimage.File{{Path: "srv/app/package.json", Data: []byte(`{"name":"a","version":"1.0.0"}`)}}},
		{CreatedBy: "COPY b", Files: []testimage.File{{Path: "usr/local/bin/tool", Data: []byte("#!/bin/sh\n"), Mode: 0o755}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "img.tar")
	if err := writeDockerSave(file, img.Image, "bench:1"); err != nil {
		t.Fatal(err)
	}
	back, err := tarball.ImageFromPath(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantCfg, _ := img.Image.ConfigName()
	gotCfg, err := back.ConfigName()
	if err != nil || gotCfg != wantCfg {
		t.Errorf("config digest %v (%v), want %v", gotCfg, err, wantCfg)
	}
	var want, got []string
	for _, l := range img.Expected.Layers {
		want = append(want, l.DiffID)
	}
	layers, err := back.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		d, err := l.DiffID()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diff IDs (-want +got):\n%s", diff)
	}

	// The manifest names each layer by its diff ID, and each is a plain tar.
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var manifest []struct{ Config, Layers any }
	plain := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case h.Name == "manifest.json":
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				t.Fatal(err)
			}
		case slices.ContainsFunc(want, func(d string) bool { return "blobs/sha256/"+d[len("sha256:"):] == h.Name }):
			if _, err := tar.NewReader(tr).Next(); err != nil {
				t.Errorf("%s is not an uncompressed tar: %v", h.Name, err)
			}
			plain++
		}
	}
	if len(manifest) != 1 || plain != len(want) {
		t.Errorf("manifest %v, %d plain layers", manifest, plain)
	}
}
