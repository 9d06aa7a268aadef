package testimage

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// refNameAnnotation names an image in an OCI layout's index.json.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// WriteDockerArchive writes img as `docker save` does, tagged tag
// ("sample:1"), to file.
func WriteDockerArchive(file string, img v1.Image, tag string) error {
	t, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("testimage: tag %q: %w", tag, err)
	}
	if err := tarball.WriteToFile(file, t, img); err != nil {
		return fmt.Errorf("testimage: write docker archive %s: %w", file, err)
	}
	return nil
}

// WriteOCILayout writes img into a new OCI image layout directory dir, its
// index entry annotated with tag as the reference name.
func WriteOCILayout(dir string, img v1.Image, tag string) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("testimage: write OCI layout %s: %w", dir, err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{refNameAnnotation: tag})); err != nil {
		return fmt.Errorf("testimage: write OCI layout %s: %w", dir, err)
	}
	return nil
}

// WriteOCIArchive writes img as an OCI archive: a tar of an OCI layout.
func WriteOCIArchive(file string, img v1.Image, tag string) error {
	dir, err := os.MkdirTemp("", "testimage-oci-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := WriteOCILayout(dir, img, tag); err != nil {
		return err
	}
	if err := TarDir(file, dir); err != nil {
		return fmt.Errorf("testimage: write OCI archive %s: %w", file, err)
	}
	return nil
}

// TarDir writes the tree at dir as an uncompressed tar at file, in lexical
// order, with names relative to dir.
func TarDir(file, dir string) (err error) {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	tw := tar.NewWriter(f)
	var paths []string
	err = filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(paths)
	for _, p := range paths {
		if err := addToTar(tw, dir, p); err != nil {
			return err
		}
	}
	return tw.Close()
}

func addToTar(tw *tar.Writer, dir, p string) error {
	st, err := os.Lstat(p)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(dir, p)
	if err != nil {
		return err
	}
	h, err := tar.FileInfoHeader(st, "")
	if err != nil {
		return err
	}
	h.Name = filepath.ToSlash(rel)
	if st.IsDir() {
		h.Name += "/"
	}
	h.ModTime = DefaultCreated
	h.Uname, h.Gname, h.Uid, h.Gid = "", "", 0, 0
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}
