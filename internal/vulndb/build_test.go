package vulndb

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/osv"
)

// jsonParser reads one OSV JSON record per file: enough to exercise the
// builder without depending on the real parsers.
type jsonParser struct{}

func (jsonParser) Name() string        { return "test-osv" }
func (jsonParser) Match(p string) bool { return strings.HasSuffix(p, ".json") }
func (jsonParser) Parse(_ context.Context, p string, r io.Reader, out feed.Sink) error {
	var rec osv.Record
	if err := json.NewDecoder(r).Decode(&rec); err != nil {
		return err
	}
	return out.Advisory(&rec)
}

var testFeeds = []feed.Feed{{Name: "osv", Parsers: []feed.Parser{jsonParser{}}}}

func testFiles(t *testing.T) map[string][]byte {
	files := map[string][]byte{}
	m, _ := filepath.Glob("testdata/osv/*.json")
	for _, f := range m {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(f)] = b
	}
	files["README.txt"] = []byte("not a record, not matched")
	files["broken.json"] = []byte("{not json")
	return files
}

func writeZip(t *testing.T, files map[string][]byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for n, b := range files {
		w, _ := zw.Create(n)
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeTarGz(t *testing.T, files map[string][]byte) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for n, b := range files {
		tw.WriteHeader(&tar.Header{Name: "advisories/" + n, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func TestBuildInputs(t *testing.T) {
	files := testFiles(t)
	dir := t.TempDir()
	recs := filepath.Join(dir, "records")
	os.Mkdir(recs, 0o755)
	for n, b := range files {
		os.WriteFile(filepath.Join(recs, n), b, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "all.zip"), writeZip(t, files), 0o644)
	os.WriteFile(filepath.Join(dir, "all.tar.gz"), writeTarGz(t, files), 0o644)
	var one bytes.Buffer
	gz := gzip.NewWriter(&one)
	gz.Write(files["GO-2021-0067.json"])
	gz.Close()
	os.WriteFile(filepath.Join(dir, "GO-2021-0067.json.gz"), one.Bytes(), 0o644)

	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()

	tests := []struct {
		name     string
		location string
		records  int
		files    int
	}{
		{"directory", recs, 4, 5},
		{"zip", filepath.Join(dir, "all.zip"), 4, 5},
		{"tar.gz", filepath.Join(dir, "all.tar.gz"), 4, 5},
		{"gzipped file", filepath.Join(dir, "GO-2021-0067.json.gz"), 1, 1},
		{"URL zip", srv.URL + "/all.zip", 4, 5},
		{"URL gzipped file", srv.URL + "/GO-2021-0067.json.gz", 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := Build(context.Background(), BuildOptions{Feeds: testFeeds, Inputs: []Input{{Feed: "osv", Location: tc.location}}, Built: time.Unix(0, 0)})
			if err != nil {
				t.Fatal(err)
			}
			s := w.meta.Sources[0]
			if s.Counts.Advisories != tc.records || s.Files != tc.files {
				t.Errorf("advisories %d files %d, want %d %d", s.Counts.Advisories, s.Files, tc.records, tc.files)
			}
			wantErrs := tc.files - tc.records
			if s.ErrorCount != wantErrs || (wantErrs > 0 && !strings.Contains(s.Errors[0], "broken.json")) {
				t.Errorf("errors = %d %v, want %d naming broken.json", s.ErrorCount, s.Errors, wantErrs)
			}
			if !strings.HasPrefix(s.Digest, "sha256:") || len(s.Digest) != 71 {
				t.Errorf("digest %q", s.Digest)
			}
			var want time.Time
			for _, r := range readRecords(t) {
				if tc.records == 1 && r.ID != "GO-2021-0067" {
					continue
				}
				for _, d := range []time.Time{r.Modified, *r.Published} {
					if d.After(want) {
						want = d
					}
				}
			}
			if !s.Newest.Equal(want) {
				t.Errorf("newest = %v, want %v", s.Newest, want)
			}
		})
	}

	// The same content gives the same source digest whichever way it is read twice.
	a, _ := Build(context.Background(), BuildOptions{Feeds: testFeeds, Inputs: []Input{{Feed: "osv", Location: recs}}})
	b, _ := Build(context.Background(), BuildOptions{Feeds: testFeeds, Inputs: []Input{{Feed: "osv", Location: recs}}})
	if a.meta.Sources[0].Digest != b.meta.Sources[0].Digest {
		t.Error("directory digest is not stable")
	}
}

func TestBuildRefusals(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	tests := []struct {
		name  string
		o     BuildOptions
		want  string
		isErr error
	}{
		{"offline URL", BuildOptions{Offline: true, Inputs: []Input{{"osv", srv.URL + "/x.zip"}}}, "offline", ErrOffline},
		{"offline defaults", BuildOptions{Offline: true, Feeds: []feed.Feed{{Name: "osv", Parsers: []feed.Parser{jsonParser{}}, URLs: []string{"https://example.invalid/all.zip"}}}}, "offline", ErrOffline},
		{"HTTP 404", BuildOptions{Inputs: []Input{{"osv", srv.URL + "/x.zip"}}}, "404", nil},
		{"unknown feed", BuildOptions{Inputs: []Input{{"nope", "/tmp"}}}, `unknown feed "nope"`, nil},
		{"missing path", BuildOptions{Inputs: []Input{{"osv", "/nonexistent/pave"}}}, "no such file", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.o.Feeds == nil {
				tc.o.Feeds = testFeeds
			}
			_, err := Build(context.Background(), tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.isErr != nil && !errors.Is(err, tc.isErr)) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
