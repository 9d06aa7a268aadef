package extract

import (
	"path"
	"strings"
)

// InsideInstalledPackage reports whether the file at p (slash-separated,
// relative to the root) lies inside the directory of an installed package:
// below node_modules, in Debian's system Node module directories
// (usr/share/nodejs, usr/lib/nodejs, usr/lib/<triplet>/nodejs), in an
// installed gem (…/gems/<name>-<version>/), or below a Python
// site-packages or dist-packages directory.
//
// A lockfile found there was shipped with that package and describes its
// authors' development tree, not what is installed; lockfile extractors
// skip it. The installed packages themselves are read from their own
// metadata (package.json, gemspec, METADATA).
func InsideInstalledPackage(p string) bool {
	segs := strings.Split(path.Dir(p), "/")
	for i, s := range segs {
		switch s {
		case "node_modules", "site-packages", "dist-packages":
			return true
		case "nodejs":
			// usr/share/nodejs, usr/lib/nodejs, usr/lib/<triplet>/nodejs
			if segs[0] == "usr" && (i == 2 && (segs[1] == "share" || segs[1] == "lib") || i == 3 && segs[1] == "lib") && i+1 < len(segs) {
				return true
			}
		case "gems":
			if i+1 < len(segs) {
				name := segs[i+1]
				if j := strings.LastIndexByte(name, '-'); j > 0 && j+1 < len(name) && name[j+1] >= '0' && name[j+1] <= '9' {
					return true
				}
			}
		}
	}
	return false
}
