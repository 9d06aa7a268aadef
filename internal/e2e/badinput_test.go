package e2e

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sampleImage = repoRoot + "/testdata/images/sample-debian.tar"

// truncatedLayer copies the docker-archive at src to dst with its largest
// layer blob cut in half, the manifest untouched: a download that died.
func truncatedLayer(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		h    *tar.Header
		data []byte
	}
	var entries []entry
	largest := -1
	tr := tar.NewReader(bytes.NewReader(in))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(h.Name, ".tar.gz") && (largest < 0 || len(data) > len(entries[largest].data)) {
			largest = len(entries)
		}
		entries = append(entries, entry{h, data})
	}
	if largest < 0 {
		t.Fatalf("%s: no .tar.gz layer", src)
	}
	e := &entries[largest]
	e.data = e.data[:len(e.data)/2]
	e.h.Size = int64(len(e.data))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for _, e := range entries {
		if err := tw.WriteHeader(e.h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	inputs := t.TempDir()
	sample, err := os.ReadFile(sampleImage)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(inputs, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	corrupt := write("corrupt.tar", sample[:len(sample)/3])
	garbage := write("garbage.tar", bytes.Repeat([]byte("not a tar archive\x00\xff"), 4096))
	text := write("notes.txt", []byte("just some text\n"))
	truncated := filepath.Join(inputs, "truncated-layer.tar")
	truncatedLayer(t, sampleImage, truncated)

	tests := []struct {
		name      string
		args      []string // before the --output flag
		target    string
		outputDir string // "" means a fresh existing directory
		code      int
	}{
		{"corrupt tarball", nil, corrupt, "", 2},
		{"garbage", nil, garbage, "", 2},
		{"truncated gzip layer", nil, truncated, "", 2},
		{"unknown format file", nil, text, "", 2},
		{"unknown format forced docker-archive", nil, "docker-archive:" + text, "", 2},
		{"missing file", nil, filepath.Join(inputs, "no-such-image.tar"), "", 2},
		{"output directory missing", nil, sampleImage, filepath.Join(inputs, "no", "such", "dir"), 2},
		{"unknown format flag", []string{"--format", "yaml-please"}, sampleImage, "", 2},
		{"unknown flag", []string{"--no-such-flag"}, sampleImage, "", 2},
		{"registry while offline", []string{"--offline"}, "registry:127.0.0.1:1/x:1", "", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.outputDir
			if dir == "" {
				dir = t.TempDir()
			}
			out := filepath.Join(dir, "sbom.json")
			args := append([]string{"sbom", "--format", "json"}, tc.args...)
			args = append(args, "--output", out, tc.target)
			r := pave(t, nil, args...)
			checkOneLineError(t, r, tc.code)
			if _, err := os.Stat(out); err == nil {
				t.Errorf("--output %s exists after a failed run", out)
			}
			if tc.outputDir == "" {
				if left, _ := os.ReadDir(dir); len(left) != 0 {
					t.Errorf("files left in the output directory: %v", left)
				}
			}
		})
	}

	t.Run("no target", func(t *testing.T) {
		checkOneLineError(t, pave(t, nil, "sbom"), 2)
	})
	t.Run("scan missing file", func(t *testing.T) {
		checkOneLineError(t, pave(t, nil, "scan", filepath.Join(inputs, "no-such-image.tar")), 2)
	})
}
