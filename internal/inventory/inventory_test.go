package inventory

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPURL(t *testing.T) {
	tests := []struct {
		eco               Ecosystem
		ns, name, version string
		q                 map[string]string
		want              string
	}{
		{Deb, "debian", "libc6", "2.36-9+deb12u4", map[string]string{"arch": "amd64", "distro": "debian-12"}, "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"},
		{Deb, "debian", "bash", "", nil, "pkg:deb/debian/bash"},
		{NPM, "@types", "node", "20.1.0", nil, "pkg:npm/%40types/node@20.1.0"},
		{Maven, "org.apache.logging.log4j", "log4j-core", "2.14.1", nil, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
		{Golang, "github.com/google", "uuid", "v1.6.0", nil, "pkg:golang/github.com/google/uuid@v1.6.0"},
		{RPM, "redhat", "openssl", "1:3.0.7-24.el9", map[string]string{"epoch": "1", "empty": ""}, "pkg:rpm/redhat/openssl@1:3.0.7-24.el9?epoch=1"},
		{PyPI, "", "zope.interface", "6.0", nil, "pkg:pypi/zope.interface@6.0"},
		{Generic, "", "a b/c", "1 2", nil, "pkg:generic/a%20b%2Fc@1%202"},
	}
	for _, tt := range tests {
		if got := PURL(tt.eco, tt.ns, tt.name, tt.version, tt.q); got != tt.want {
			t.Errorf("PURL(%q,%q,%q,%q) = %q, want %q", tt.eco, tt.ns, tt.name, tt.version, got, tt.want)
		}
	}
}

func TestMerge(t *testing.T) {
	l0 := &Layer{Index: 0}
	l1 := &Layer{Index: 1}
	in := []Package{
		{Name: "b", Version: "1", Ecosystem: NPM, PURL: "pkg:npm/b@1", Locations: []Location{{Path: "y", Layer: l1}}, Licenses: []string{"MIT"}},
		{Name: "a", Version: "1", Ecosystem: NPM, PURL: "pkg:npm/a@1", Locations: []Location{{Path: "x"}}},
		{Name: "b", Version: "1", Ecosystem: NPM, PURL: "pkg:npm/b@1", Locations: []Location{{Path: "x", Layer: l0}, {Path: "y", Layer: l1}}, Licenses: []string{"MIT", "ISC"}, Dev: true},
		{Name: "b", Version: "2", Ecosystem: NPM, PURL: "pkg:npm/b@2"},
	}
	got := Merge(in)
	want := []Package{
		{Name: "a", Version: "1", Ecosystem: NPM, PURL: "pkg:npm/a@1", Locations: []Location{{Path: "x"}}},
		{Name: "b", Version: "1", Ecosystem: NPM, PURL: "pkg:npm/b@1", Locations: []Location{{Path: "x", Layer: l0}, {Path: "y", Layer: l1}}, Licenses: []string{"ISC", "MIT"}},
		{Name: "b", Version: "2", Ecosystem: NPM, PURL: "pkg:npm/b@2"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Merge (-want +got):\n%s", diff)
	}
	if len(in[0].Locations) != 1 {
		t.Errorf("Merge modified its input")
	}
}

func TestOSPURL(t *testing.T) {
	deb12 := &Distro{ID: "debian", VersionID: "12"}
	tests := []struct {
		p    Package
		d    *Distro
		want string
	}{
		{Package{Name: "libc6", Version: "2.36-9+deb12u4", Ecosystem: Deb, Arch: "amd64", Source: &SourcePackage{Name: "glibc"}}, deb12,
			"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc"},
		{Package{Name: "bash", Version: "5.2.15-2+b2", Ecosystem: Deb, Arch: "amd64", Source: &SourcePackage{Name: "bash"}}, nil,
			"pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64"},
		{Package{Name: "openssl", Version: "1:3.0.7-24.el9", Ecosystem: RPM, Arch: "x86_64"}, &Distro{ID: "almalinux", VersionID: "9.3"},
			"pkg:rpm/almalinux/openssl@3.0.7-24.el9?arch=x86_64&distro=almalinux-9.3&epoch=1"},
		{Package{Name: "musl", Version: "1.2.4-r2", Ecosystem: APK, Arch: "x86_64"}, &Distro{ID: "alpine", VersionID: "3.19.1"},
			"pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1"},
	}
	for _, tt := range tests {
		if got := OSPURL(&tt.p, tt.d); got != tt.want {
			t.Errorf("OSPURL(%s) = %q, want %q", tt.p.Name, got, tt.want)
		}
	}
}
