// Command mkbench assembles the SBOM benchmark image: a docker-archive of
// 1+ GiB, holding some 800 real Debian bookworm packages with
// Java, Ruby, Python and Node stacks, a real npm application and large real
// Go binaries. scripts/mkbenchimage.sh downloads the inputs and runs it;
// the image is not committed.
//
// Layers come from a plan directory: one file per layer, read in name
// order, whose first line is the layer's history entry and whose other
// lines name Debian packages (found in -debs as NAME_VERSION_ARCH.deb).
// Then -app adds a directory tree under /srv/app and -bin adds files under
// /usr/local/bin, both in one last layer.
//
// The archive is laid out as `docker save` (Docker 25 and later) writes
// it: manifest.json naming the config and uncompressed layer tars under
// blobs/sha256/. With -gzip the layers are gzip-compressed instead, as
// go-containerregistry's tarball package (and so crane) writes them;
// tools differ a lot in how they cope with that.
//
//	go run ./internal/testimage/cmd/mkbench -debs DIR -plan DIR -app DIR -bin FILE,FILE -out bench.tar
package main

import (
	"archive/tar"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pavesec/pave/internal/testimage"
)

// maxFile bounds one file added from -app or -bin.
const maxFile = 512 << 20

type config struct {
	debs, plan, app, out, expected, tag string
	bins                                []string
	gzip                                bool
}

func main() {
	var c config
	var bins string
	flag.StringVar(&c.debs, "debs", "/var/tmp/pave-bench/debs", "directory holding the .deb files")
	flag.StringVar(&c.plan, "plan", "/var/tmp/pave-bench/plan", "directory of layer plans (first line: history entry; then package names)")
	flag.StringVar(&c.app, "app", "", "directory added under /srv/app in the last layer")
	flag.StringVar(&bins, "bin", "", "comma-separated files added under /usr/local/bin in the last layer")
	flag.StringVar(&c.out, "out", "/var/tmp/pave-bench/bench.tar", "docker-archive to write")
	flag.StringVar(&c.expected, "expected", "", "write the expected Debian inventory here (JSON)")
	flag.StringVar(&c.tag, "tag", "pave-bench:1", "image tag recorded in the archive")
	flag.BoolVar(&c.gzip, "gzip", false, "write gzip-compressed layers (as go-containerregistry and crane do) instead of uncompressed ones (as docker save does)")
	flag.Parse()
	if bins != "" {
		c.bins = strings.Split(bins, ",")
	}
	if err := run(context.Background(), c); err != nil {
		fmt.Fprintln(os.Stderr, "mkbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	layers, err := readPlan(c.plan, c.debs)
	if err != nil {
		return err
	}
	last := testimage.Layer{CreatedBy: "COPY app /srv/app and tools /usr/local/bin"}
	if c.app != "" {
		files, err := treeFiles(c.app, "srv/app")
		if err != nil {
			return err
		}
		last.Files = append(last.Files, files...)
	}
	for _, b := range c.bins {
		f, err := readFile(b, path.Join("usr/local/bin", filepath.Base(b)))
		if err != nil {
			return err
		}
		last.Files = append(last.Files, f)
	}
	if len(last.Files) > 0 {
		layers = append(layers, last)
	}
	img, err := testimage.Build(ctx, testimage.Spec{
		Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"},
		WorkingDir: "/srv/app",
		Cmd:        []string{"node", "index.js"},
		Labels:     map[string]string{"org.opencontainers.image.title": "pave SBOM benchmark (Debian bookworm)"},
		Layers:     layers,
	})
	if err != nil {
		return err
	}
	if c.gzip {
		err = testimage.WriteDockerArchive(c.out, img.Image, c.tag)
	} else {
		err = writeDockerSave(c.out, img.Image, c.tag)
	}
	if err != nil {
		return err
	}
	n := 0
	for _, l := range layers {
		n += len(l.Debs)
	}
	fmt.Printf("mkbench: wrote %s: %d layers, %d Debian packages, %d extra files\n", c.out, len(layers), n, len(last.Files))
	if c.expected == "" {
		return nil
	}
	data, err := json.MarshalIndent(img.Expected, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(c.expected, append(data, '\n'), 0o644)
}

// readPlan reads one layer per file of dir, in name order.
func readPlan(dir, debDir string) ([]testimage.Layer, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	var layers []testimage.Layer
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		created, names, err := readLayerPlan(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		debs, err := testimage.FindDebs(debDir, names...)
		if err != nil {
			return nil, fmt.Errorf("plan %s: %w", e.Name(), err)
		}
		layers = append(layers, testimage.Layer{CreatedBy: created, Debs: debs})
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("plan: no layer files in %s", dir)
	}
	return layers, nil
}

func readLayerPlan(file string) (created string, names []string, err error) {
	f, err := os.Open(file)
	if err != nil {
		return "", nil, fmt.Errorf("plan: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case n == 1:
			created = line
		case line == "" || strings.HasPrefix(line, "#"):
		default:
			names = append(names, line)
		}
	}
	if err := sc.Err(); err != nil {
		return "", nil, fmt.Errorf("plan %s: %w", file, err)
	}
	if created == "" {
		return "", nil, fmt.Errorf("plan %s: first line must be the history entry", file)
	}
	slices.Sort(names)
	return created, slices.Compact(names), nil
}

// treeFiles returns the regular files under root as image files under
// prefix. Symbolic links (node_modules/.bin) are skipped: the builder adds
// regular files only.
func treeFiles(root, prefix string) ([]testimage.File, error) {
	var files []testimage.File
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		f, err := readFile(p, path.Join(prefix, filepath.ToSlash(rel)))
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("app %s: %w", root, err)
	}
	return files, nil
}

func readFile(file, dest string) (testimage.File, error) {
	info, err := os.Stat(file)
	if err != nil {
		return testimage.File{}, err
	}
	if info.Size() > maxFile {
		return testimage.File{}, errors.New(file + ": larger than 512 MiB")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return testimage.File{}, err
	}
	return testimage.File{Path: dest, Data: data, Mode: info.Mode().Perm()}, nil
}

// writeDockerSave writes img as `docker save` does: a tar holding
// manifest.json, the config and each layer's uncompressed tar, all under
// blobs/sha256/ and named by digest (diff ID for layers).
func writeDockerSave(file string, img v1.Image, tag string) (err error) {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	tw := tar.NewWriter(bw)
	cfgName, err := img.ConfigName()
	if err != nil {
		return err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "blobs/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: testimage.DefaultCreated}); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "blobs/sha256/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: testimage.DefaultCreated}); err != nil {
		return err
	}
	blob := func(name string, size int64, write func(w *tar.Writer) error) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: size, Mode: 0o644, ModTime: testimage.DefaultCreated}); err != nil {
			return err
		}
		return write(tw)
	}
	cfgPath := "blobs/sha256/" + cfgName.Hex
	if err := blob(cfgPath, int64(len(cfg)), func(w *tar.Writer) error { _, err := w.Write(cfg); return err }); err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	var paths []string
	for i, l := range layers {
		d, err := l.DiffID()
		if err != nil {
			return err
		}
		size, err := uncompressedSize(l)
		if err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
		p := "blobs/sha256/" + d.Hex
		paths = append(paths, p)
		err = blob(p, size, func(w *tar.Writer) error {
			rc, err := l.Uncompressed()
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(w, rc)
			return err
		})
		if err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
	}
	manifest, err := json.Marshal([]map[string]any{{"Config": cfgPath, "RepoTags": []string{tag}, "Layers": paths}})
	if err != nil {
		return err
	}
	if err := blob("manifest.json", int64(len(manifest)), func(w *tar.Writer) error { _, err := w.Write(manifest); return err }); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

func uncompressedSize(l v1.Layer) (int64, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return io.Copy(io.Discard, rc)
}
