package inuse

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/scan"
)

// sample scans the repository's sample image once (real Debian packages
// with their dpkg file lists, Go, npm, Python, Ruby and Java packages).
var sample = sync.OnceValues(func() (*scan.Result, error) {
	return scan.Run(context.Background(), "../../../testdata/images/sample-debian.tar", scan.Config{})
})

func sampleInventory(t testing.TB) *scan.Result {
	t.Helper()
	res, err := sample()
	if err != nil {
		t.Fatalf("scan sample image: %v", err)
	}
	return res
}

func inUse(pkgs []inventory.Package, r *Result) []string {
	var out []string
	for i := range pkgs {
		if r.InUse(&pkgs[i]) {
			out = append(out, string(pkgs[i].Ecosystem)+":"+pkgs[i].Name)
		}
	}
	return out
}

func TestJoinSample(t *testing.T) {
	res := sampleInventory(t)
	pkgs := res.Scan.Packages
	resolve := res.View.Resolve
	tests := []struct {
		name  string
		files []string
		want  []string
	}{
		{"nothing", nil, nil},
		// The Go binary: its main module, the standard library and the
		// modules compiled in.
		{"go binary", []string{"/usr/local/bin/hello"},
			[]string{"golang:example.com/sample/hello", "golang:github.com/google/uuid", "golang:golang.org/x/text", "golang:stdlib"}},
		// libc as the kernel names it on a /usr-merged system; dpkg lists
		// it under /lib.
		{"usr-merge alias", []string{"/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libz.so.1"},
			[]string{"deb:libc6", "deb:zlib1g"}},
		// A Python module file: the Debian package and the distribution
		// it installed.
		{"python module", []string{"/usr/lib/python3/dist-packages/idna/core.py"},
			[]string{"deb:python3-idna", "pypi:idna"}},
		{"python single-file module", []string{"/usr/lib/python3/dist-packages/six.py"},
			[]string{"deb:python3-six", "pypi:six"}},
		// Python reads only the cached bytecode of a single-file module
		// once it is compiled; py3compile's caches are in no dpkg list.
		{"python single-file module bytecode", []string{"/usr/lib/python3/dist-packages/__pycache__/six.cpython-311.pyc"},
			[]string{"pypi:six"}},
		// Packages known from requirements.txt are found in any
		// site-packages directory.
		{"python from requirements", []string{"/usr/local/lib/python3.11/site-packages/requests/api.py", "/usr/local/lib/python3.11/site-packages/urllib3/_version.py"},
			[]string{"pypi:requests", "pypi:urllib3"}},
		// npm: a lockfile's package under node_modules beside it; a
		// Debian node module through its OS package.
		{"npm", []string{"/srv/web/node_modules/lodash/lodash.js", "/usr/share/nodejs/ms/index.js"},
			[]string{"deb:node-ms", "npm:lodash", "npm:ms"}},
		// Not minimist: another project's node_modules.
		{"npm elsewhere", []string{"/opt/other/node_modules/minimist/index.js"}, nil},
		// The jar through its symlink name, as a classpath names it.
		{"jar", []string{"/usr/share/java/commons-cli.jar"},
			[]string{"deb:libcommons-cli-java", "maven:commons-cli:commons-cli"}},
		// A gem with a native extension mapped.
		{"gem extension", []string{"/usr/lib/x86_64-linux-gnu/rubygems-integration/3.1.0/extensions/x86_64-linux/3.1.0/sdbm-1.0.0/sdbm.so"},
			[]string{"deb:ruby-sdbm", "gem:sdbm"}},
		{"gem source", []string{"/usr/share/rubygems-integration/all/gems/rainbow-3.1.1/lib/rainbow.rb"},
			[]string{"deb:ruby-rainbow", "gem:rainbow"}},
		// Documentation is a file of the package, but nothing opens it
		// at run time unless someone reads it: then it is in use.
		{"unrelated path", []string{"/etc/hostname", "/tmp/x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := &Image{ID: idA}
			for _, f := range tt.files {
				img.Files = append(img.Files, File{Path: f, Exec: 1})
			}
			r := Join(pkgs, img, JoinOptions{Resolve: resolve})
			got := inUse(pkgs, r)
			slices.Sort(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("in use (-want +got):\n%s", diff)
			}
			if r.Packages != len(pkgs) || r.Used != len(got) {
				t.Errorf("counts %d/%d, want %d/%d", r.Used, r.Packages, len(got), len(pkgs))
			}
		})
	}
}

// TestJoinEvidencePaths: the evidence kept per package names the files
// seen, and the alias table works without a resolver.
func TestJoinEvidencePaths(t *testing.T) {
	pkgs := []inventory.Package{
		{Name: "libc6", Ecosystem: inventory.Deb, PURL: "pkg:deb/debian/libc6", Files: []string{"lib/x86_64-linux-gnu/libc.so.6", "usr/bin/ldd"}},
		{Name: "bash", Ecosystem: inventory.Deb, PURL: "pkg:deb/debian/bash", Files: []string{"bin/bash"}},
	}
	img := &Image{Files: []File{{Path: "/usr/bin/bash", Exec: 3}, {Path: "/usr/bin/ldd", Exec: 1}, {Path: "/usr/lib/x86_64-linux-gnu/libc.so.6", Mmap: 4}}}
	r := Join(pkgs, img, JoinOptions{})
	if diff := cmp.Diff([]string{"/usr/bin/ldd", "/usr/lib/x86_64-linux-gnu/libc.so.6"}, r.Files(&pkgs[0])); diff != "" {
		t.Errorf("libc6 evidence (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/usr/bin/bash"}, r.Files(&pkgs[1])); diff != "" {
		t.Errorf("bash evidence (-want +got):\n%s", diff)
	}
}

// TestMark: findings with a package get true or false, the others nil.
func TestMark(t *testing.T) {
	used := inventory.Package{Name: "a", Ecosystem: inventory.Deb, PURL: "pkg:deb/debian/a", Files: []string{"usr/bin/a"}}
	idle := inventory.Package{Name: "b", Ecosystem: inventory.Deb, PURL: "pkg:deb/debian/b", Files: []string{"usr/bin/b"}}
	r := Join([]inventory.Package{used, idle}, &Image{Files: []File{{Path: "/usr/bin/a", Exec: 1}}}, JoinOptions{})
	fs := []finding.Finding{{Package: &used}, {Package: &idle}, {}}
	r.Mark(fs)
	var got []*bool
	for _, f := range fs {
		got = append(got, f.Signals.InUse)
	}
	yes, no := true, false
	if diff := cmp.Diff([]*bool{&yes, &no, nil}, got); diff != "" {
		t.Errorf("InUse (-want +got):\n%s", diff)
	}
}

func BenchmarkJoin(b *testing.B) {
	res := sampleInventory(b)
	img := &Image{ID: idA}
	for _, p := range []string{"/usr/local/bin/hello", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/python3/dist-packages/idna/core.py",
		"/srv/web/node_modules/lodash/lodash.js", "/usr/share/java/commons-cli.jar", "/usr/bin/which", "/etc/passwd"} {
		img.Files = append(img.Files, File{Path: p, Exec: 1})
	}
	opts := JoinOptions{Resolve: res.View.Resolve}
	b.ReportAllocs()
	for b.Loop() {
		Join(res.Scan.Packages, img, opts)
	}
}
