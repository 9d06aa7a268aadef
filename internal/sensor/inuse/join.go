package inuse

import (
	"path"
	"slices"
	"strings"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
)

// JoinOptions tunes Join.
type JoinOptions struct {
	// Resolve follows symlinks inside the image, as layers.Tree.Resolve
	// does: paths are slash-separated, relative to the root, without a
	// leading slash. Nil means paths are compared as written (after the
	// /usr-merge aliases).
	Resolve func(string) (string, error)
}

// maxShown caps the evidence paths kept per package.
const maxShown = 8

// Result says, per package, whether it is in use and which evidence paths
// showed it.
type Result struct {
	used map[string][]string // package key → evidence paths, sorted
	// Packages and Used count the packages joined and those in use.
	Packages, Used int
}

// InUse reports whether p was seen in use.
func (r *Result) InUse(p *inventory.Package) bool {
	_, ok := r.used[p.Key()]
	return ok
}

// Files returns up to a few evidence paths that put p in use, sorted.
func (r *Result) Files(p *inventory.Package) []string { return r.used[p.Key()] }

// Mark sets Signals.InUse on every finding that names a package: true when
// the package is in use, false otherwise. Findings without a package keep
// InUse nil: the evidence says nothing about them.
func (r *Result) Mark(fs []finding.Finding) {
	for i := range fs {
		if fs[i].Package == nil {
			continue
		}
		v := r.InUse(fs[i].Package)
		fs[i].Signals.InUse = &v
	}
}

// usrMerged are the top-level directories that /usr-merge turns into
// symlinks to their /usr counterparts.
var usrMerged = []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"}

// canon turns a path (absolute or root-relative) into the form Join
// compares: relative, clean, with /bin, /sbin and /lib* spelled under usr/.
// Treating both spellings as one file is right on /usr-merged images and
// wrong only where an unmerged image has a different file of the same
// name in both places, which no distribution ships.
func canon(p string) string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	first, _, _ := strings.Cut(p, "/")
	if slices.Contains(usrMerged, first) {
		return "usr/" + p
	}
	return p
}

// index is what the packages claim, in canonical paths.
type index struct {
	exact  map[string][]int // a file
	prefix map[string][]int // every file under a directory
	// site maps a Python import name to packages: site dir ("" = any
	// site-packages or dist-packages directory).
	site map[string][]siteClaim
	gems map[string][]int // "name-version" under any gems/ directory
}

type siteClaim struct {
	dir string
	pkg int
}

// Join marks the packages of one image that img shows in use. An OS
// package is in use when one of its Files was executed, mapped or opened;
// a language package when a file it ships was: any file under its
// installed directory (node_modules/<name>/, site-packages/<module>/,
// gems/<name>-<version>/, a gem's extensions directory), or its own
// archive or binary (a jar, a Go or Rust binary). See
// docs/runtime-evidence.md.
func Join(pkgs []inventory.Package, img *Image, opts JoinOptions) *Result {
	idx := buildIndex(pkgs, opts)
	hits := make([][]string, len(pkgs))
	hit := func(i int, p string) {
		if len(hits[i]) < maxShown && !slices.Contains(hits[i], p) {
			hits[i] = append(hits[i], p)
		}
	}
	for _, f := range img.Files {
		for _, c := range evidencePaths(f.Path, opts.Resolve) {
			for _, i := range idx.exact[c] {
				hit(i, f.Path)
			}
			for d := path.Dir(c); d != "." && d != "/"; d = path.Dir(d) {
				for _, i := range idx.prefix[d] {
					hit(i, f.Path)
				}
			}
			idx.segments(c, func(i int) { hit(i, f.Path) })
		}
	}
	res := &Result{used: map[string][]string{}, Packages: len(pkgs)}
	for i := range pkgs {
		if len(hits[i]) == 0 {
			continue
		}
		k := pkgs[i].Key()
		res.used[k] = slices.Compact(slices.Sorted(slices.Values(append(res.used[k], hits[i]...))))
	}
	res.Used = len(res.used)
	return res
}

// evidencePaths are the canonical spellings of an evidence path: as
// written and, when a resolver is given, with every symlink followed.
func evidencePaths(p string, resolve func(string) (string, error)) []string {
	c := canon(p)
	out := []string{c}
	if resolve != nil {
		if r, err := resolve(strings.TrimPrefix(path.Clean("/"+p), "/")); err == nil {
			if r = canon(r); r != c {
				out = append(out, r)
			}
		}
	}
	return out
}

func buildIndex(pkgs []inventory.Package, opts JoinOptions) *index {
	idx := &index{exact: map[string][]int{}, prefix: map[string][]int{}, site: map[string][]siteClaim{}, gems: map[string][]int{}}
	dirs := map[string]string{}
	resolveDir := func(d string) string {
		if opts.Resolve == nil {
			return d
		}
		if r, ok := dirs[d]; ok {
			return r
		}
		r, err := opts.Resolve(d)
		if err != nil {
			r = d
		}
		r = canon(r)
		dirs[d] = r
		return r
	}
	for i := range pkgs {
		p := &pkgs[i]
		if p.Ecosystem.IsOS() {
			for _, f := range p.Files {
				c := canon(f)
				if c == "" || c == "." {
					continue
				}
				idx.exact[c] = append(idx.exact[c], i)
				// The file as reached through its resolved directory.
				if d, b := path.Split(c); d != "" {
					if r := resolveDir(strings.TrimSuffix(d, "/")); r+"/"+b != c {
						idx.exact[r+"/"+b] = append(idx.exact[r+"/"+b], i)
					}
				}
			}
			continue
		}
		for _, l := range p.Locations {
			idx.claim(i, p, l)
			// A location that is a symlink (commons-cli.jar →
			// commons-cli-1.5.0.jar) claims its target too.
			if opts.Resolve != nil {
				if r, err := opts.Resolve(canon(l.Path)); err == nil && canon(r) != canon(l.Path) {
					idx.claim(i, p, inventory.Location{Path: r, Inner: l.Inner})
				}
			}
		}
	}
	for k, v := range idx.exact {
		idx.exact[k] = slices.Compact(v)
	}
	return idx
}

// archiveExts are files that are themselves the package's code.
var archiveExts = []string{".jar", ".war", ".ear", ".jpi", ".hpi", ".whl", ".egg", ".dll", ".exe", ".so"}

// lockfiles are manifests whose packages live in a node_modules directory
// beside them.
var lockfiles = []string{"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock"}

// sourceFiles are Go and Rust manifests: the code they name is compiled
// into binaries elsewhere, so they claim nothing but themselves.
var sourceFiles = []string{"go.mod", "go.sum", "Cargo.lock", "Cargo.toml"}

// claim records what location l of language package p covers.
func (idx *index) claim(i int, p *inventory.Package, l inventory.Location) {
	c := canon(l.Path)
	dir, base := path.Dir(c), path.Base(c)
	switch {
	case l.Inner != "" || hasAnySuffix(base, archiveExts):
		idx.exact[c] = append(idx.exact[c], i) // the archive itself
		return
	case (p.Ecosystem == inventory.Golang || p.Ecosystem == inventory.Cargo) && !slices.Contains(sourceFiles, base):
		idx.exact[c] = append(idx.exact[c], i) // the binary that embeds it
		return
	}
	switch p.Ecosystem {
	case inventory.NPM:
		switch {
		case base == "package.json":
			idx.prefix[dir] = append(idx.prefix[dir], i)
		case slices.Contains(lockfiles, base):
			d := path.Join(dir, "node_modules", p.Name)
			idx.prefix[d] = append(idx.prefix[d], i)
		}
	case inventory.PyPI:
		site := ""
		parts := strings.Split(c, "/")
		for j, part := range parts {
			if strings.HasSuffix(part, ".dist-info") || strings.HasSuffix(part, ".egg-info") {
				site = strings.Join(parts[:j], "/")
				d := strings.Join(parts[:j+1], "/")
				idx.prefix[d] = append(idx.prefix[d], i)
				break
			}
		}
		mod := pythonModule(p.Name)
		idx.site[mod] = append(idx.site[mod], siteClaim{dir: site, pkg: i})
	case inventory.Gem:
		k := p.Name + "-" + p.Version
		idx.gems[k] = append(idx.gems[k], i)
	case inventory.Maven:
		if strings.HasSuffix(base, ".pom") && (strings.Contains(c, "/maven-repo/") || strings.Contains(c, "/.m2/repository/")) {
			idx.prefix[dir] = append(idx.prefix[dir], i)
		}
	case inventory.Composer:
		switch base {
		case "installed.json": // vendor/composer/installed.json
			d := path.Join(path.Dir(dir), p.Name)
			idx.prefix[d] = append(idx.prefix[d], i)
		case "composer.lock":
			d := path.Join(dir, "vendor", p.Name)
			idx.prefix[d] = append(idx.prefix[d], i)
		}
	case inventory.NuGet:
		f := path.Join(dir, p.Name+".dll")
		idx.exact[f] = append(idx.exact[f], i)
	}
	idx.exact[c] = append(idx.exact[c], i)
}

// segments finds the Python modules and gems a canonical path lies in:
// <site>/{site,dist}-packages/<module>[/….|.py|.<abi>.so],
// <site>/{site,dist}-packages/__pycache__/<module>.<tag>.pyc,
// …/gems/<name>-<version>[-<platform>]/… and
// …/extensions/<platform>/<abi>/<name>-<version>/….
func (idx *index) segments(c string, hit func(int)) {
	parts := strings.Split(c, "/")
	for j := 0; j+1 < len(parts); j++ {
		switch parts[j] {
		case "site-packages", "dist-packages":
			name := parts[j+1]
			if name == "__pycache__" && j+2 < len(parts) {
				name = parts[j+2] // a single-file module's bytecode
			}
			mod, _, _ := strings.Cut(name, ".")
			site := strings.Join(parts[:j+1], "/")
			for _, sc := range idx.site[mod] {
				if sc.dir == "" || sc.dir == site {
					hit(sc.pkg)
				}
			}
		case "gems", "extensions":
			name := parts[j+1]
			if parts[j] == "extensions" { // extensions/<platform>/<abi>/<name>-<version>/
				if j+3 >= len(parts) {
					continue
				}
				name = parts[j+3]
			}
			for {
				for _, i := range idx.gems[name] {
					hit(i)
				}
				k := strings.LastIndexByte(name, '-')
				if k < 0 {
					break
				}
				name = name[:k] // drop a platform suffix
			}
		}
	}
}

// pythonModule guesses the import name of a distribution: PEP 503
// normalised, with "-" and "." as "_".
func pythonModule(name string) string {
	return strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToLower(name))
}

func hasAnySuffix(s string, suffixes []string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}
