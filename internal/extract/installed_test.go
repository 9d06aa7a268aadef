package extract

import "testing"

func TestInsideInstalledPackage(t *testing.T) {
	for p, want := range map[string]bool{
		"srv/app/package-lock.json":                                             false,
		"srv/app/node_modules/x/package-lock.json":                              true,
		"usr/share/nodejs/terser/package-lock.json":                             true,
		"usr/lib/nodejs/acorn/yarn.lock":                                        true,
		"usr/lib/x86_64-linux-gnu/nodejs/bufferutil/package-lock.json":          true,
		"usr/share/nodejs/package-lock.json":                                    false,
		"usr/lib/ruby/gems/3.1.0/gems/typeprof-0.21.2/vscode/package-lock.json": true,
		"srv/app/vendor/bundle/ruby/3.1.0/gems/rbs-2.1.0/steep/Gemfile.lock":    true,
		"srv/gems/Gemfile.lock":                                                 false,
		"srv/gems/tools/Gemfile.lock":                                           false,
		"usr/lib/python3/dist-packages/pkg/requirements.txt":                    true,
		"opt/venv/lib/python3.11/site-packages/x-1.0.dist-info/METADATA":        true,
		"home/nodejs/app/package-lock.json":                                     false,
		"package-lock.json":                                                     false,
	} {
		if got := InsideInstalledPackage(p); got != want {
			t.Errorf("InsideInstalledPackage(%q) = %v, want %v", p, got, want)
		}
	}
}
