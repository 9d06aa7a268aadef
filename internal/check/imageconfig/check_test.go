package imageconfig

import (
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pavesec/pave/internal/artifact"
	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/extract/osrelease"
	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/testimage"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestRules(t *testing.T) {
	if err := check.Validate(New().Rules()); err != nil {
		t.Fatal(err)
	}
}

func ids(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule.ID)
	}
	return out
}

func cfg(c v1.Config, history ...v1.History) *v1.ConfigFile {
	return &v1.ConfigFile{Config: c, History: history}
}

var health = &v1.HealthConfig{Test: []string{"CMD", "/app", "health"}}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  *v1.ConfigFile
		want []string
	}{
		{"clean", cfg(v1.Config{User: "1000", Healthcheck: health}), nil},
		{"no user", cfg(v1.Config{Healthcheck: health}), []string{RuleRootUser}},
		{"root group only", cfg(v1.Config{User: "1000:0", Healthcheck: health}), nil},
		{"0:0", cfg(v1.Config{User: "0:0", Healthcheck: health}), []string{RuleRootUser}},
		{"no healthcheck", cfg(v1.Config{User: "app"}), []string{RuleNoHealthcheck}},
		{"healthcheck NONE", cfg(v1.Config{User: "app", Healthcheck: &v1.HealthConfig{Test: []string{"NONE"}}}), []string{RuleNoHealthcheck}},
		{"env secret", cfg(v1.Config{User: "app", Healthcheck: health, Env: []string{"PATH=/usr/bin", "DB_PASSWORD=Sup3rS3cret!", "TOKEN_FILE=/run/secrets/t", "API_KEY="}}), []string{RuleSecretConfig}},
		{"label secret", cfg(v1.Config{User: "app", Healthcheck: health, Labels: map[string]string{"org.opencontainers.image.title": "x", "deploy.token": "abcd1234efgh"}}), []string{RuleSecretConfig}},
		{"expose 22", cfg(v1.Config{User: "app", Healthcheck: health, ExposedPorts: map[string]struct{}{"22/tcp": {}, "8080/tcp": {}}}), []string{RuleExposeSSH}},
		{"history arg", cfg(v1.Config{User: "app", Healthcheck: health},
			v1.History{CreatedBy: "ARG GITHUB_TOKEN=ghp_abcdefABCDEF0123456789", EmptyLayer: true},
			v1.History{CreatedBy: "RUN |1 GITHUB_TOKEN=ghp_abcdefABCDEF0123456789 /bin/sh -c make # buildkit"}),
			[]string{RuleSecretHistory, RuleSecretHistory}},
		{"history flag", cfg(v1.Config{User: "app", Healthcheck: health},
			v1.History{CreatedBy: "/bin/sh -c mysql -u root --password=hunter2hunter2 < init.sql"},
			v1.History{CreatedBy: "/bin/sh -c login --token $TOKEN"}),
			[]string{RuleSecretHistory}},
		{"history env kept in config", cfg(v1.Config{User: "app", Healthcheck: health, Env: []string{"API_KEY=k3y-v4lue-123"}},
			v1.History{CreatedBy: "/bin/sh -c #(nop)  ENV API_KEY=k3y-v4lue-123", EmptyLayer: true}),
			[]string{RuleSecretConfig}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := New().Check(context.Background(), &check.Image{Config: tc.cfg})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, ids(fs)); d != "" {
				t.Errorf("rules (-want +got):\n%s", d)
			}
			b, _ := json.Marshal(fs)
			for _, s := range []string{"Sup3r", "abcd1234", "ghp_abc", "hunter2", "k3y-v4"} {
				if strings.Contains(string(b), s) {
					t.Errorf("output holds secret %q", s)
				}
			}
		})
	}
}

func TestFS(t *testing.T) {
	exe := func(m fs.FileMode) *fstest.MapFile { return &fstest.MapFile{Data: []byte("x"), Mode: m} }
	fsys := fstest.MapFS{
		"usr/bin/passwd":     exe(fs.ModeSetuid | 0o755),
		"usr/bin/su":         exe(fs.ModeSetuid | 0o755),
		"usr/local/bin/tool": exe(fs.ModeSetgid | 0o755),
		"tmp/x":              exe(0o777),
		"tmp":                {Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		"srv/shared":         {Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		"srv/open":           {Mode: fs.ModeDir | 0o777},
		"etc/app.conf":       exe(0o666),
		"usr/bin/bash":       exe(0o755),
		"usr/bin/curl":       exe(0o755),
		"usr/bin/dpkg":       exe(0o755),
		"usr/sbin/sshd":      exe(0o755),
		"usr/share/doc/sh":   exe(0o644), // not a binary directory
		"dev/null":           exe(0o666),
	}
	origin := func(p string) (int, bool) {
		if p == "usr/local/bin/tool" {
			return 1, true
		}
		return 0, true
	}
	layers := []inventory.Layer{{Index: 0, DiffID: "sha256:aa"}, {Index: 1, DiffID: "sha256:bb"}}
	fs, err := New().Check(context.Background(), &check.Image{FS: fsys, Origin: origin, Layers: layers})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		s := f.Rule.ID + " " + f.Location.Path + " " + f.Evidence
		if f.Location.Layer != nil {
			s += " @" + f.Location.Layer.DiffID
		}
		got = append(got, s)
	}
	want := []string{
		"PAVE-IMG-004 usr/local/bin/tool /usr/local/bin/tool @sha256:bb",
		"PAVE-IMG-005  /usr/bin/passwd, /usr/bin/su",
		"PAVE-IMG-006 etc/app.conf /etc/app.conf @sha256:aa",
		"PAVE-IMG-006 srv/open /srv/open @sha256:aa",
		"PAVE-IMG-007 usr/sbin/sshd /usr/sbin/sshd @sha256:aa",
		"PAVE-IMG-008 usr/bin/bash /usr/bin/bash @sha256:aa",
		"PAVE-IMG-009 usr/bin/dpkg /usr/bin/dpkg @sha256:aa",
		"PAVE-IMG-010 usr/bin/curl /usr/bin/curl @sha256:aa",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestRegistry(t *testing.T) {
	c := NewWithOptions(Options{AllowedRegistries: []string{"docker.io/library", "ghcr.io/acme", "registry.example.com"}})
	for ref, want := range map[string]bool{
		"debian:12": false,
		"library/debian@sha256:" + strings.Repeat("a", 64): false,
		"someone/tool:1":             true,
		"ghcr.io/acme/app:1":         false,
		"ghcr.io/acmeevil/app:1":     true,
		"registry.example.com/x/y:2": false,
		"quay.io/x/y":                true,
		"":                           false,
	} {
		fs, err := c.Check(context.Background(), &check.Image{Ref: ref})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(fs) == 1 && fs[0].Rule.ID == RuleUntrustedRegistry; got != want {
			t.Errorf("%q: flagged = %v, want %v (%v)", ref, got, want, ids(fs))
		}
	}
	if fs, _ := New().Check(context.Background(), &check.Image{Ref: "quay.io/x/y"}); len(fs) != 0 {
		t.Errorf("empty allow-list reported %v", ids(fs))
	}
}

func TestEndOfLife(t *testing.T) {
	d := &inventory.Distro{ID: "debian", VersionID: "10", PrettyName: "Debian GNU/Linux 10 (buster)", EOL: "2022-09-10", EndOfLife: true, Source: "etc/os-release"}
	fs, err := New().Check(context.Background(), &check.Image{Distro: d})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{RuleEndOfLife}, ids(fs)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	d.EndOfLife = false
	if fs, _ := New().Check(context.Background(), &check.Image{Distro: d}); len(fs) != 0 {
		t.Errorf("supported distro reported %v", ids(fs))
	}
}

// openSample builds the check.Image for the committed sample image the way
// scan does: extract.Runner for the merged tree, the source's config.
func openSample(tb testing.TB) *check.Image {
	tb.Helper()
	ctx := context.Background()
	src, err := artifact.Open(ctx, "../../../testdata/images/sample-debian.tar", artifact.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	want := map[string]bool{}
	for _, p := range osrelease.Paths {
		want[p] = true
	}
	res, err := extract.NewRunner(extract.Config{Retain: func(p string) bool { return want[p] }}).Run(ctx, src)
	if err != nil {
		tb.Fatal(err)
	}
	img := &check.Image{FS: res.View, Layers: res.Layers, Ref: "sample-debian:latest",
		Origin: func(p string) (int, bool) { i := res.View.Origin(p); return i, i >= 0 }}
	if c, ok := src.(artifact.Configured); ok {
		img.Config = c.Config()
	}
	img.Distro, _ = osrelease.Detect(res.View, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	return img
}

func TestSampleImage(t *testing.T) {
	img := openSample(t)
	if img.Config == nil {
		t.Fatal("sample image has no config")
	}
	fs, err := New().Check(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Rule, Severity, Path, Layer, Evidence, Message string
	}
	var got []row
	for _, f := range fs {
		r := row{Rule: f.Rule.ID, Severity: f.Severity.String(), Path: f.Location.Path, Evidence: f.Evidence, Message: f.Message}
		if f.Location.Layer != nil {
			r.Layer = f.Location.Layer.DiffID
		}
		got = append(got, r)
	}
	b, _ := json.MarshalIndent(got, "", "  ")
	b = append(b, '\n')
	const golden = "testdata/sample-debian.golden.json"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if d := cmp.Diff(string(want), string(b)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func BenchmarkCheckSample(b *testing.B) {
	img := openSample(b)
	c := New()
	for b.Loop() {
		if _, err := c.Check(context.Background(), img); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBuiltImage runs the check over an image testimage builds from real
// Debian packages, with files and config that every rule family should see.
func TestBuiltImage(t *testing.T) {
	debs, err := testimage.FindDebs("/var/tmp/pave-test/debs", "base-files", "debianutils")
	if err != nil {
		t.Skipf("test debs not present (run scripts/setup.sh): %v", err)
	}
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb not installed")
	}
	ctx := context.Background()
	built, err := testimage.Build(ctx, testimage.Spec{
		Env: []string{"PATH=/usr/bin:/bin", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"},
		Layers: []testimage.Layer{
			{CreatedBy: "ADD rootfs.tar /", Debs: debs, After: []string{"ARG NPM_TOKEN=npm_0123456789abcdefABCDEF"}},
			{CreatedBy: "RUN /bin/sh -c install -m 4755 tool /usr/local/bin/tool # buildkit", Files: []testimage.File{
				{Path: "usr/local/bin/tool", Data: []byte("\x7fELF"), Mode: 0o4755},
				{Path: "usr/bin/curl", Data: []byte("\x7fELF"), Mode: 0o755},
				{Path: "srv/cache.db", Data: []byte("x"), Mode: 0o666},
			}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	file := t.TempDir() + "/img.tar"
	if err := testimage.WriteDockerArchive(file, built.Image, "built:1"); err != nil {
		t.Fatal(err)
	}
	src, err := artifact.Open(ctx, file, artifact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	res, err := extract.NewRunner(extract.Config{}).Run(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	img := &check.Image{FS: res.View, Layers: res.Layers, Origin: func(p string) (int, bool) { i := res.View.Origin(p); return i, i >= 0 }}
	img.Config = src.(artifact.Configured).Config()
	fs, err := New().Check(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		s := f.Rule.ID + " " + f.Location.Path
		if f.Location.Layer != nil {
			s += " @" + strconv.Itoa(f.Location.Layer.Index)
		}
		got = append(got, s)
	}
	want := []string{
		"PAVE-IMG-001 ",
		"PAVE-IMG-002 ",
		"PAVE-IMG-013 ",
		"PAVE-IMG-003 ", // ARG makes no layer
		// testimage keeps only permission bits (File.Mode.Perm()), so the
		// setuid tool is not setuid here; TestFS covers IMG-004.
		"PAVE-IMG-006 srv/cache.db @1",
		"PAVE-IMG-010 usr/bin/curl @1",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	b, _ := json.Marshal(fs)
	for _, s := range []string{"wJalrX", "npm_0123"} {
		if strings.Contains(string(b), s) {
			t.Errorf("output holds secret %q", s)
		}
	}
}
