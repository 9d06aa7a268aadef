package artifact

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// mapStore is a blobStore in memory.
type mapStore map[string][]byte

func (m mapStore) open(name string) (io.ReadCloser, error) {
	b, ok := m[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// layoutFiles reads the files of a layout directory into a mapStore.
func layoutFiles(t testing.TB, dir string) mapStore {
	m := mapStore{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			m[filepath.ToSlash(rel)], _ = os.ReadFile(p)
		}
		return nil
	})
	return m
}

// FuzzOpenMetadata feeds arbitrary index.json, image manifest, config
// and docker manifest.json bytes to the OCI and docker-archive openers over
// the blobs of a real layout. The fuzzed manifest is stored under its own
// digest with "@CONFIG@" replaced by the fuzzed config's digest, so that
// config parsing is reached. Invariant: no panic; a source only when open
// succeeds, and then as many layers as diff ids.
func FuzzOpenMetadata(f *testing.F) {
	base := layoutFiles(f, writeLayout(f, mapImages(f), nil))
	var manifest, config []byte
	var configHex string
	for k, v := range base {
		if strings.Contains(string(v), `"layers"`) && strings.Contains(string(v), `"config"`) {
			manifest = v
		}
		if strings.Contains(string(v), `"diff_ids"`) {
			config, configHex = v, strings.TrimPrefix(k, "blobs/sha256/")
		}
	}
	seedManifest := []byte(strings.ReplaceAll(string(manifest), configHex, "@CONFIG@"))
	f.Add(base["index.json"], seedManifest, config, []byte(`[{"Config":"config.json","RepoTags":["a:1"],"Layers":[]}]`))
	f.Add([]byte(`{"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:`+strings.Repeat("0", 64)+`"}]}`), []byte("{}"), []byte("{}"), []byte("[]"))
	f.Add([]byte(`{"manifests":[{"digest":"sha256:../../etc"}]}`), []byte(`{"layers":[{"digest":"sha256:/etc/passwd"}],"config":{"digest":"sha256:@CONFIG@"}}`), []byte("null"), []byte(`[{"Config":"../x"}]`))
	f.Fuzz(func(t *testing.T, index, manifest, config, dockerManifest []byte) {
		withBlobs := func() mapStore {
			st := mapStore{}
			for k, v := range base {
				st[k] = v
			}
			chex := digestHex(config)
			st["blobs/sha256/"+chex] = config
			st["config.json"] = config
			m := bytes.ReplaceAll(manifest, []byte("@CONFIG@"), []byte(chex))
			st["blobs/sha256/"+digestHex(m)] = m
			st["manifest.json"] = dockerManifest
			return st
		}
		fuzzedIndex := withBlobs()
		fuzzedIndex["index.json"] = index
		viaManifest := withBlobs()
		m := bytes.ReplaceAll(manifest, []byte("@CONFIG@"), []byte(digestHex(config)))
		viaManifest["index.json"] = []byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":` +
			strconv.Itoa(len(m)) + `,"digest":"sha256:` + digestHex(m) + `"}]}`)
		opts := Options{Limits: Limits{}.WithDefaults()}
		for _, open := range []func() (*imageSource, error){
			func() (*imageSource, error) { return openOCI(context.Background(), fuzzedIndex, "", opts) },
			func() (*imageSource, error) { return openOCI(context.Background(), viaManifest, "", opts) },
			func() (*imageSource, error) { return openDockerArchive(context.Background(), fuzzedIndex, "", opts) },
		} {
			src, err := open()
			if err != nil {
				if src != nil {
					t.Fatal("source and error")
				}
				continue
			}
			if len(src.layers) != len(src.cfg.RootFS.DiffIDs) {
				t.Fatalf("%d layers, %d diff ids", len(src.layers), len(src.cfg.RootFS.DiffIDs))
			}
		}
	})
}

func mapImages(t testing.TB) map[string]v1Image { return map[string]v1Image{"1": gzipImage(t)} }

// BenchmarkWalkLayer walks the real hostname layer repeated 64 times,
// gzip and plain, through an OCI layout.
func BenchmarkWalkLayer(b *testing.B) {
	big := repeatLayer(b, baseLayer(b), 64)
	for _, c := range []struct {
		name string
		blob []byte
	}{{"gzip", gzBytes(b, big)}, {"plain", big}} {
		b.Run(c.name, func(b *testing.B) {
			src, err := Open(context.Background(), writeOneLayerArchive(b, c.blob, big), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			ls, _ := src.Layers(context.Background())
			b.SetBytes(int64(len(big)))
			b.ReportAllocs()
			for b.Loop() {
				err := ls[0].Walk(context.Background(), func(e *Entry) error {
					if e.Mode.IsRegular() && !e.Hardlink {
						rc, err := e.Open()
						if err != nil {
							return err
						}
						_, err = io.Copy(io.Discard, rc)
						return err
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
