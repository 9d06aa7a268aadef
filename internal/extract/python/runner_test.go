package python

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/artifact"
	"github.com/pavesec/pave/internal/extract"
)

// TestRunner runs every extractor under the real runner over the whole
// testdata tree (real file infos: the single-file egg-info must be claimed,
// the egg-info directories' PKG-INFO too) and checks which files each
// extractor read.
func TestRunner(t *testing.T) {
	src, err := artifact.Open(context.Background(), "dir:testdata", artifact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	exts := []extract.Extractor{NewInstalled(), NewRequirements(), NewPoetryLock(), NewPipfileLock(), NewUvLock(), NewPdmLock()}
	res, err := extract.NewRunner(extract.Config{Extractors: exts, Workers: 2}).Run(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Errorf("file error: %v", e.Error())
	}
	got := map[string]int{}
	for _, p := range res.Packages {
		got[p.Extractor+" "+p.Locations[0].Path]++
	}
	want := map[string]int{
		"python/installed installed/usr/lib/python3/dist-packages/certifi-2022.9.24.egg-info/PKG-INFO":         1,
		"python/installed installed/usr/lib/python3/dist-packages/charset_normalizer-3.0.1.dist-info/METADATA": 1,
		"python/installed installed/usr/lib/python3/dist-packages/packaging-23.0.dist-info/METADATA":           1,
		"python/installed installed/usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info/PKG-INFO":          1,
		"python/installed installed/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO":           1,
		"python/installed installed/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO":                1,
		"python/installed installed/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info/PKG-INFO":           1,
		"python/installed installed/venv/lib/python3.11/site-packages/click-8.4.0.dist-info/METADATA":          1,
		"python/installed installed/venv/lib/python3.11/site-packages/traitlets-5.15.0.dist-info/METADATA":     1,
		"python/installed installed/venv/lib/python3.11/site-packages/wsgiref.egg-info":                        1,
		"python/requirements requirements/pgv/requirements.txt":                                                7,
		"python/requirements requirements/pip-compile/requirements.txt":                                        4,
		"python/requirements requirements/requests/requirements-dev.txt":                                       1,
		"python/poetrylock locks/poetry.lock":                                                                  38,
		"python/uvlock locks/uv.lock":                                                                          16,
		"python/pipfilelock locks/Pipfile.lock":                                                                19,
		"python/pdmlock locks/pdm.lock":                                                                        38,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages per extractor and file (-want +got):\n%s", diff)
	}
}
