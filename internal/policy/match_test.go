package policy

import (
	"testing"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"usr/lib/app/*", "usr/lib/app/x.jar", true},
		{"usr/lib/app/*", "usr/lib/app/sub/x.jar", false},
		{"usr/lib/app/*", "usr/lib/app", false},
		{"/usr/lib/app/*", "usr/lib/app/x.jar", true},
		{"usr/lib/app/*", "/usr/lib/app/x.jar", true},
		{"./app/*.js", "app/main.js", true},
		{"**/Dockerfile", "Dockerfile", true},
		{"**/Dockerfile", "a/b/c/Dockerfile", true},
		{"**/Dockerfile", "a/Dockerfile.dev", false},
		{"usr/**/*.so", "usr/x.so", true},
		{"usr/**/*.so", "usr/lib/x86_64-linux-gnu/libc.so", true},
		{"usr/**/*.so", "opt/x.so", false},
		{"usr/**", "usr", true}, // "**" may match nothing
		{"usr/**", "usr/a/b", true},
		{"**", "anything/at/all", true},
		{"a/**/**/b", "a/b", true},
		{"a/**/b/**/c", "a/x/b/y/z/c", true},
		{"a/**/b/**/c", "a/x/c", false},
		{"*.jar", "a.jar", true},
		{"*.jar", "lib/a.jar", false}, // path.Match: * stays inside a segment
		{"app/[a-c]?.txt", "app/b1.txt", true},
		{"app/[a-c]?.txt", "app/d1.txt", false},
		{"opt/**", "", false},
	}
	for _, tt := range tests {
		g, err := compileGlob(tt.pattern)
		if err != nil {
			t.Fatalf("compileGlob(%q): %v", tt.pattern, err)
		}
		if got := g.match(tt.path); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
	for _, bad := range []string{"", "  ", "a/[b", `a\`} {
		if _, err := compileGlob(bad); err == nil {
			t.Errorf("compileGlob(%q): no error", bad)
		}
	}
}

// TestGlobManyStars: "**" runs stay linear (no exponential backtracking).
func TestGlobManyStars(t *testing.T) {
	pat := ""
	name := ""
	for range 200 {
		pat += "**/a/"
		name += "a/"
	}
	g, err := compileGlob(pat + "b")
	if err != nil {
		t.Fatal(err)
	}
	if g.match(name + "c") {
		t.Error("matched")
	}
}

func TestParsePURL(t *testing.T) {
	tests := []struct {
		in   string
		want purl
	}{
		{"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12", purl{typ: "deb", namespace: "debian", name: "libc6", version: "2.36-9+deb12u4"}},
		{"pkg:npm/%40types/node@20.1.0", purl{typ: "npm", namespace: "@types", name: "node", version: "20.1.0"}},
		{"pkg:npm/@types/node", purl{typ: "npm", namespace: "@types", name: "node"}},
		{"pkg:npm/@types/node@20.1.0", purl{typ: "npm", namespace: "@types", name: "node", version: "20.1.0"}},
		{"PKG:Maven/org.Apache.logging.log4j/log4j-core@2.14.1#sub/path", purl{typ: "maven", namespace: "org.apache.logging.log4j", name: "log4j-core", version: "2.14.1"}},
		{"pkg:golang/github.com/google/uuid@v1.6.0", purl{typ: "golang", namespace: "github.com/google", name: "uuid", version: "1.6.0"}},
		{"pkg:golang/stdlib@v1.20.5", purl{typ: "golang", name: "stdlib", version: "1.20.5"}},
		{"pkg:pypi/Zope_Interface@6.0", purl{typ: "pypi", name: "zope-interface", version: "6.0"}},
		{"pkg:rpm/redhat/openssl@3.0.7-24.el9?arch=x86_64&epoch=1", purl{typ: "rpm", namespace: "redhat", name: "openssl", version: "1:3.0.7-24.el9"}},
		{"pkg:rpm/redhat/openssl@1:3.0.7-24.el9?epoch=1", purl{typ: "rpm", namespace: "redhat", name: "openssl", version: "1:3.0.7-24.el9"}},
		{"pkg:rpm/suse/bash@0:5.2-1", purl{typ: "rpm", namespace: "suse", name: "bash", version: "5.2-1"}},
		{"pkg://deb/ubuntu/curl", purl{typ: "deb", namespace: "ubuntu", name: "curl"}},
		{"pkg:oci/debian@sha256%3Aabc?repository_url=docker.io/library/debian&tag=12", purl{typ: "oci", name: "debian", version: "sha256:abc", repositoryURL: "docker.io/library/debian", tag: "12"}},
	}
	for _, tt := range tests {
		got, err := parsePURL(tt.in)
		if err != nil {
			t.Errorf("parsePURL(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("parsePURL(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"", "npm/lodash", "pkg:", "pkg:npm", "pkg:npm/", "pkg:/lodash", "pkg:npm/%zz"} {
		if got, err := parsePURL(bad); err == nil {
			t.Errorf("parsePURL(%q) = %+v, no error", bad, got)
		}
	}
}

func TestPURLMatches(t *testing.T) {
	tests := []struct {
		pattern, pkg string
		want         bool
	}{
		{"pkg:deb/debian/libc6", "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12", true},
		{"pkg:deb/debian/libc6@2.36-9+deb12u4", "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64", true},
		{"pkg:deb/debian/libc6@2.36-9+deb12u4?arch=arm64", "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64", true}, // qualifiers ignored
		{"pkg:deb/debian/libc6@2.36-9+deb12u3", "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4", false},
		{"pkg:deb/ubuntu/libc6", "pkg:deb/debian/libc6@2.36", false},
		{"pkg:deb/debian/libc6-dev", "pkg:deb/debian/libc6@2.36", false},
		{"pkg:npm/lodash", "pkg:npm/lodash@4.17.20", true},
		{"pkg:npm/%40babel/core", "pkg:npm/@babel/core@7.0.0", true},
		{"pkg:npm/core", "pkg:npm/%40babel/core@7.0.0", false},
		{"pkg:golang/stdlib@v1.20.5", "pkg:golang/stdlib@1.20.5", true},
		{"pkg:pypi/zope.interface@6.0", "pkg:pypi/Zope-Interface@6.0", true},
		{"pkg:rpm/redhat/openssl@3.0.7-24.el9?epoch=1", "pkg:rpm/redhat/openssl@1:3.0.7-24.el9?arch=x86_64&epoch=1", true},
		{"pkg:rpm/redhat/openssl@3.0.7-24.el9", "pkg:rpm/redhat/openssl@1:3.0.7-24.el9", false},
	}
	for _, tt := range tests {
		p, err1 := parsePURL(tt.pattern)
		q, err2 := parsePURL(tt.pkg)
		if err1 != nil || err2 != nil {
			t.Fatalf("parse: %v %v", err1, err2)
		}
		if got := p.matches(q); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.pattern, tt.pkg, got, tt.want)
		}
	}
}

func TestParseImageRef(t *testing.T) {
	const dig = "sha256:4d2a5b4c5b33ab4b6c2ee2c6a0e5f4b3a4a2b0f3c0f6a2e2c6b5d8e9f0a1b2c3"
	tests := []struct {
		in   string
		want imageRef
		ok   bool
	}{
		{"alpine", imageRef{repo: "docker.io/library/alpine"}, true},
		{"alpine:3.19", imageRef{repo: "docker.io/library/alpine", tag: "3.19"}, true},
		{"docker.io/library/alpine:3.19", imageRef{repo: "docker.io/library/alpine", tag: "3.19"}, true},
		{"index.docker.io/rancher/shell:v0.1", imageRef{repo: "docker.io/rancher/shell", tag: "v0.1"}, true},
		{"rancher/shell", imageRef{repo: "docker.io/rancher/shell"}, true},
		{"ghcr.io/Org/App:1.2@" + dig, imageRef{repo: "ghcr.io/org/app", tag: "1.2", digest: dig}, true},
		{"localhost:5000/app", imageRef{repo: "localhost:5000/app"}, true},
		{"localhost/app:1", imageRef{repo: "localhost/app", tag: "1"}, true},
		{"https://example.com/x", imageRef{}, false},
		{"app@sha256:short", imageRef{}, false},
		{"", imageRef{}, false},
		{"a b", imageRef{}, false},
		{"app:", imageRef{}, false},
	}
	for _, tt := range tests {
		got, ok := parseImageRef(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseImageRef(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
