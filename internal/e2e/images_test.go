package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
	"github.com/pavesec/pave/internal/testimage"
)

// sampleLock is a real package-lock.json (written by npm) for the app
// layer.
const sampleLock = repoRoot + "/internal/testimage/cmd/mksample/testdata/app/web/package-lock.json"

// builtImage is the e2e image written in every form, shared by the tests
// of one test binary.
type builtImage struct {
	dir          string
	dockerTar    string
	ociDir       string
	ociTar       string
	tag          string
	expected     testimage.Expected
	img          *testimage.Image
	lockPackages []string // name@version in the lockfile
}

var (
	buildOnce sync.Once
	built     *builtImage
	buildErr  error
)

// e2eImage builds (once) a three-layer image from the .deb files
// setup.sh downloaded:
//
//	0: a minimal base, with mawk;
//	1: OS-owned language packages, a package-lock.json, and a
//	   requirements.txt under srv/old;
//	2: purges mawk, deletes etc/issue.net and node-ms's @types/ms
//	   directory, makes srv/old opaque.
func e2eImage(t *testing.T, env testEnv) *builtImage {
	t.Helper()
	buildOnce.Do(func() { built, buildErr = buildE2EImage(env) })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

func buildE2EImage(env testEnv) (*builtImage, error) {
	base, err := testimage.FindDebs(env.Debs, "base-files", "gcc-12-base", "libgcc-s1", "zlib1g", "debianutils", "netbase", "mawk")
	if err != nil {
		return nil, err
	}
	lang, err := testimage.FindDebs(env.Debs, "python3-six", "node-ms", "ruby-sdbm", "libcommons-cli-java")
	if err != nil {
		return nil, err
	}
	lock, err := os.ReadFile(sampleLock)
	if err != nil {
		return nil, err
	}
	spec := testimage.Spec{
		Env:  []string{"PATH=/usr/bin:/bin"},
		User: "1000",
		Layers: []testimage.Layer{
			{CreatedBy: "ADD rootfs.tar /", Debs: base, After: []string{"ENV PATH=/usr/bin:/bin"}},
			{CreatedBy: "RUN apt-get install -y python3-six node-ms ruby-sdbm libcommons-cli-java", Debs: lang,
				Files: []testimage.File{
					{Path: "srv/web/package-lock.json", Data: lock},
					{Path: "srv/old/requirements.txt", Data: []byte("six==1.15.0\nidna==2.10\n")},
				}},
			{CreatedBy: "RUN dpkg --purge mawk && rm -r /etc/issue.net /usr/share/nodejs/@types/ms",
				Purge:  []string{"mawk"},
				Delete: []string{"etc/issue.net", "usr/share/nodejs/@types/ms"},
				Opaque: []string{"srv/old"},
				Files:  []testimage.File{{Path: "srv/old/README", Data: []byte("moved to srv/web\n")}},
				After:  []string{"USER 1000"}},
		},
	}
	im, err := testimage.Build(context.Background(), spec)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pave-e2e-image-")
	if err != nil {
		return nil, err
	}
	b := &builtImage{dir: dir, dockerTar: filepath.Join(dir, "image.tar"), ociDir: filepath.Join(dir, "oci"),
		ociTar: filepath.Join(dir, "oci.tar"), tag: "pave-e2e/sample:1", expected: im.Expected, img: im}
	if err := testimage.WriteDockerArchive(b.dockerTar, im.Image, b.tag); err != nil {
		return nil, err
	}
	if err := testimage.WriteOCILayout(b.ociDir, im.Image, b.tag); err != nil {
		return nil, err
	}
	if err := testimage.WriteOCIArchive(b.ociTar, im.Image, b.tag); err != nil {
		return nil, err
	}
	var l struct {
		Packages map[string]struct{ Version string } `json:"packages"`
	}
	if err := json.Unmarshal(lock, &l); err != nil {
		return nil, err
	}
	for k, v := range l.Packages {
		if name, ok := strings.CutPrefix(k, "node_modules/"); ok {
			b.lockPackages = append(b.lockPackages, name+"@"+v.Version)
		}
	}
	slices.Sort(b.lockPackages)
	return b, nil
}

// pkgLine is a package as compared across forms: identity plus the layer
// that introduced it (by index and diff ID, which every form shares).
func pkgLines(scan *report.Scan) []string {
	var out []string
	for _, p := range scan.Packages {
		l := firstLayer(p)
		layer := "-"
		if l != nil {
			layer = fmt.Sprintf("%d %s", l.Index, l.DiffID)
		}
		out = append(out, fmt.Sprintf("%s %s %s %s | %s", p.Ecosystem, p.Name, p.Version, p.PURL, layer))
	}
	slices.Sort(out)
	return out
}

// firstLayer is the lowest layer among p's locations.
func firstLayer(p inventory.Package) *inventory.Layer {
	var best *inventory.Layer
	for _, loc := range p.Locations {
		if loc.Layer != nil && (best == nil || loc.Layer.Index < best.Index) {
			best = loc.Layer
		}
	}
	return best
}

func findPackage(scan *report.Scan, eco inventory.Ecosystem, name string) []inventory.Package {
	var out []inventory.Package
	for _, p := range scan.Packages {
		if p.Ecosystem == eco && p.Name == name {
			out = append(out, p)
		}
	}
	return out
}

// checkExpected compares a scan with what the image was built from.
// withDigest also checks compressed layer digests, which only the archive
// forms keep (the Docker engine re-exports layers uncompressed).
func checkExpected(t *testing.T, scan *report.Scan, exp testimage.Expected, withDigest bool) {
	t.Helper()
	for _, want := range exp.Packages {
		got := findPackage(scan, inventory.Deb, want.Name)
		if len(got) != 1 {
			t.Errorf("deb %s: found %d times, want once", want.Name, len(got))
			continue
		}
		p := got[0]
		srcName, srcVer := p.Name, p.Version
		if p.Source != nil {
			srcName = p.Source.Name
			if p.Source.Version != "" {
				srcVer = p.Source.Version
			}
		}
		gotID := []string{p.Version, p.Arch, srcName, srcVer}
		wantID := []string{want.Version, want.Arch, want.SourceName, want.SourceVersion}
		if diff := cmp.Diff(wantID, gotID); diff != "" {
			t.Errorf("deb %s: version, arch, source (-want +got):\n%s", want.Name, diff)
		}
		l := firstLayer(p)
		if l == nil {
			t.Errorf("deb %s: no layer in locations %+v", want.Name, p.Locations)
			continue
		}
		wl := exp.Layers[want.Layer]
		if l.Index != want.Layer || l.DiffID != wl.DiffID || (withDigest && l.Digest != wl.Digest) {
			t.Errorf("deb %s: introduced by layer %d %s (digest %s), want layer %d %s (digest %s)",
				want.Name, l.Index, l.DiffID, l.Digest, want.Layer, wl.DiffID, wl.Digest)
		}
	}
	for _, gone := range exp.Removed {
		if got := findPackage(scan, inventory.Deb, gone.Name); len(got) != 0 {
			t.Errorf("deb %s was purged in layer %d but is reported: %+v", gone.Name, gone.RemovedIn, got[0].Locations)
		}
	}
	whited := map[string]bool{}
	for _, d := range exp.WhitedOut {
		whited[d.Path] = true
	}
	for _, p := range scan.Packages {
		for _, loc := range p.Locations {
			if whited[loc.Path] {
				t.Errorf("%s %s@%s located at whited-out %s", p.Ecosystem, p.Name, p.Version, loc.Path)
			}
		}
	}
	if got := len(scan.Layers); got != len(exp.Layers) {
		t.Errorf("header lists %d layers, image has %d", got, len(exp.Layers))
	}
}

func TestImageForms(t *testing.T) {
	env := loadEnv(t)
	im := e2eImage(t, env)

	forms := []struct{ name, target string }{
		{"docker-archive", im.dockerTar},
		{"oci-layout", im.ociDir},
		{"oci-archive", im.ociTar},
		{"docker-archive prefixed", "docker-archive:" + im.dockerTar},
		{"oci-layout prefixed", "oci:" + im.ociDir},
	}
	var first []string
	for i, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			scan := sbom(t, nil, f.target, "--offline")
			checkExpected(t, scan, im.expected, true)
			if scan.Target.ImageID != im.expected.ImageID {
				t.Errorf("target image ID %s, want %s", scan.Target.ImageID, im.expected.ImageID)
			}
			lines := pkgLines(scan)
			if i == 0 {
				first = lines
				return
			}
			if diff := cmp.Diff(first, lines); diff != "" {
				t.Errorf("packages differ from the docker-archive's (-docker-archive +%s):\n%s", f.name, diff)
			}
		})
	}
}

// TestLanguagePackagesAndWhiteouts checks what the language extractors see
// through the layers: the lockfile's packages in the layer that added it,
// nothing from the requirements.txt hidden by an opaque directory, and
// nothing from node-ms's whited-out @types/ms.
func TestLanguagePackagesAndWhiteouts(t *testing.T) {
	env := loadEnv(t)
	im := e2eImage(t, env)
	scan := sbom(t, nil, im.dockerTar, "--offline")
	for _, nv := range im.lockPackages {
		name, version, _ := strings.Cut(nv, "@")
		got := findPackage(scan, inventory.NPM, name)
		i := slices.IndexFunc(got, func(p inventory.Package) bool { return p.Version == version })
		if i < 0 {
			t.Errorf("npm %s from srv/web/package-lock.json not reported (found %d other versions)", nv, len(got))
			continue
		}
		if l := firstLayer(got[i]); l == nil || l.Index != 1 {
			t.Errorf("npm %s: layer %+v, want 1", nv, l)
		}
	}
	for _, p := range scan.Packages {
		for _, loc := range p.Locations {
			if strings.HasPrefix(loc.Path, "srv/old/") {
				t.Errorf("%s %s found under opaque srv/old: %s", p.Ecosystem, p.Name, loc.Path)
			}
		}
	}
	if got := findPackage(scan, inventory.NPM, "@types/ms"); len(got) != 0 {
		t.Errorf("npm @types/ms was whited out but is reported at %+v", got[0].Locations)
	}
}

// TestSBOMFormats checks that the standard formats come out and list the
// same packages; schema validation lives in internal/sbom.
func TestSBOMFormats(t *testing.T) {
	env := loadEnv(t)
	im := e2eImage(t, env)
	scan := sbom(t, nil, im.dockerTar, "--offline")
	var debs []string
	for _, p := range scan.Packages {
		if p.Ecosystem == inventory.Deb {
			debs = append(debs, p.Name)
		}
	}
	for _, tc := range []struct {
		format string
		names  func(b []byte) ([]string, error)
	}{
		{"cyclonedx-json", func(b []byte) ([]string, error) {
			var doc struct {
				BOMFormat  string `json:"bomFormat"`
				Components []struct {
					Name string `json:"name"`
					PURL string `json:"purl"`
				} `json:"components"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				return nil, err
			}
			if doc.BOMFormat != "CycloneDX" {
				return nil, fmt.Errorf("bomFormat %q", doc.BOMFormat)
			}
			var out []string
			for _, c := range doc.Components {
				if strings.HasPrefix(c.PURL, "pkg:deb/") {
					out = append(out, c.Name)
				}
			}
			return out, nil
		}},
		{"spdx-json", func(b []byte) ([]string, error) {
			var doc struct {
				SPDXVersion string `json:"spdxVersion"`
				Packages    []struct {
					Name         string `json:"name"`
					ExternalRefs []struct {
						Type    string `json:"referenceType"`
						Locator string `json:"referenceLocator"`
					} `json:"externalRefs"`
				} `json:"packages"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				return nil, err
			}
			if !strings.HasPrefix(doc.SPDXVersion, "SPDX-") {
				return nil, fmt.Errorf("spdxVersion %q", doc.SPDXVersion)
			}
			var out []string
			for _, p := range doc.Packages {
				for _, r := range p.ExternalRefs {
					if r.Type == "purl" && strings.HasPrefix(r.Locator, "pkg:deb/") {
						out = append(out, p.Name)
					}
				}
			}
			return out, nil
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "sbom.json")
			r := pave(t, nil, "sbom", "--offline", "--format", tc.format, "--output", out, im.dockerTar)
			if r.code != 0 {
				t.Fatalf("%v", r)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			names, err := tc.names(b)
			if err != nil {
				t.Fatalf("%s output: %v", tc.format, err)
			}
			slices.Sort(names)
			if diff := cmp.Diff(debs, names); diff != "" {
				t.Errorf("deb packages in %s vs pave JSON (-json +%s):\n%s", tc.format, tc.format, diff)
			}
		})
	}
}

// TestQuickStartSample scans the committed sample image the README's
// quick start uses, offline, and compares with the inventory mksample
// recorded when it built the image.
func TestQuickStartSample(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	const sample = repoRoot + "/testdata/images/sample-debian.tar"
	b, err := os.ReadFile(repoRoot + "/testdata/images/sample-debian.expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var exp testimage.Expected
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	scan := sbom(t, nil, sample, "--offline")
	checkExpected(t, scan, exp, true)
	// OS-owned language packages: Debian's python3-six is PyPI six, owned
	// by the deb.
	six := findPackage(scan, inventory.PyPI, "six")
	if len(six) == 0 || six[0].OwnedBy != "deb:python3-six" {
		t.Errorf("pypi six owned by deb:python3-six: got %+v", six)
	}
	// The application binary's modules.
	if got := findPackage(scan, inventory.Golang, "golang.org/x/text"); len(got) == 0 {
		t.Errorf("golang.org/x/text from usr/local/bin/hello not reported")
	}

	r := pave(t, nil, "scan", sample)
	if r.code != 0 && r.code != 1 {
		t.Errorf("%v\nwant exit 0 or 1 (policy)", r)
	}
	if r.stdout == "" {
		t.Errorf("pave scan %s printed nothing", sample)
	}
}
