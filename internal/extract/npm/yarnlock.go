package npm

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// YarnLock reads yarn.lock, both yarn classic (v1, yarn's own line format)
// and Berry (v2 and later, YAML with a __metadata entry).
//
// Entries that resolve to the project's own code are skipped: Berry's
// workspace:, link: and portal: resolutions and classic's file:/link:
// ranges. Berry's patch: entries are skipped too, since the unpatched
// npm: entry they patch is always in the lockfile as well. Git and tarball
// dependencies are reported with the version their package.json declares.
// yarn.lock records no dev flags.
type YarnLock struct{}

var _ extract.Extractor = (*YarnLock)(nil)

// NewYarnLock returns the yarn.lock extractor.
func NewYarnLock() *YarnLock { return &YarnLock{} }

// Name implements extract.Extractor.
func (*YarnLock) Name() string { return "javascript/yarnlock" }

// Version implements extract.Extractor.
func (*YarnLock) Version() int { return 1 }

// Match implements extract.Extractor.
func (*YarnLock) Match(p string, _ fs.FileInfo) bool {
	return path.Base(p) == "yarn.lock" && !extract.InsideInstalledPackage(p)
}

// Extract implements extract.Extractor.
func (*YarnLock) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	data, err := extract.ReadAll(in, maxLockfileSize)
	if err != nil {
		return nil, fmt.Errorf("yarnlock: read %s: %w", in.Path, err)
	}
	if isBerry(data) {
		return parseBerry(ctx, in.Path, data)
	}
	return parseClassic(ctx, in.Path, data)
}

// isBerry reports whether a top-level __metadata key appears.
func isBerry(data []byte) bool {
	return bytes.HasPrefix(data, []byte("__metadata:")) || bytes.Contains(data, []byte("\n__metadata:"))
}

// localRange reports ranges and resolutions that point at the project's
// own code rather than at a package.
func localRange(r string) bool {
	for _, p := range []string{"workspace:", "link:", "portal:", "file:", "patch:", "exec:"} {
		if strings.HasPrefix(r, p) {
			return true
		}
	}
	return false
}

// parseClassic reads the yarn v1 format: an unindented header of one or
// more descriptors ending in ':' and two-space-indented "key value" fields.
func parseClassic(ctx context.Context, file string, data []byte) ([]inventory.Package, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var (
		out     []inventory.Package
		errs    []string
		desc    string // first descriptor of the current entry
		version string
		start   int
		lineNo  int
	)
	flush := func() {
		if desc == "" {
			return
		}
		defer func() { desc, version = "", "" }()
		name, rng, ok := splitNameAt(desc)
		if !ok {
			errs = append(errs, fmt.Sprintf("line %d: bad descriptor %q", start, trunc(desc)))
			return
		}
		if real, ok := strings.CutPrefix(rng, "npm:"); ok {
			if n, _, ok := splitNameAt(real); ok {
				name = n
			} else if !strings.HasPrefix(real, "@") {
				name = real // "alias@npm:pkg" without a range
			}
		}
		if localRange(rng) {
			return
		}
		p, ok := newPackage(name, version, start)
		if !ok {
			errs = append(errs, fmt.Sprintf("line %d: invalid name %q or version %q", start, trunc(name), trunc(version)))
			return
		}
		out = append(out, p)
	}
	for sc.Scan() {
		lineNo++
		if lineNo%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return out, err
			}
		}
		line := strings.TrimRight(sc.Text(), " \t\r")
		if line == "" || strings.HasPrefix(strings.TrimLeft(line, " "), "#") {
			continue
		}
		switch {
		case line[0] != ' ':
			flush()
			if !strings.HasSuffix(line, ":") {
				errs = append(errs, fmt.Sprintf("line %d: expected an entry header", lineNo))
				continue
			}
			first, _, _ := strings.Cut(strings.TrimSuffix(line, ":"), ",")
			desc, start = unquote(strings.TrimSpace(first)), lineNo
		case strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") && desc != "":
			k, v, _ := strings.Cut(strings.TrimSpace(line), " ")
			if unquote(k) == "version" {
				version = unquote(strings.TrimSpace(v))
			}
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("yarnlock: read %s line %d: %w", file, lineNo+1, err)
	}
	return out, extract.JoinErrors("yarnlock", file, errs)
}

// parseBerry reads the YAML lockfile of yarn 2 and later.
func parseBerry(ctx context.Context, file string, data []byte) ([]inventory.Package, error) {
	top, err := parseYAML(data)
	if err != nil {
		return nil, fmt.Errorf("yarnlock: parse %s: %w", file, err)
	}
	var out []inventory.Package
	var errs []string
	for i, mv := range top {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return out, err
			}
		}
		key, line := keyOf(mv)
		if key == "__metadata" {
			continue
		}
		f := fields(mv.Value)
		res := f["resolution"]
		name, ref, ok := splitNameAt(res)
		if !ok {
			errs = append(errs, fmt.Sprintf("line %d: entry %q has no resolution", line, trunc(key)))
			continue
		}
		if localRange(ref) {
			continue
		}
		version := f["version"]
		if v, ok := strings.CutPrefix(ref, "npm:"); ok {
			version = v
		}
		p, ok := newPackage(name, version, line)
		if !ok {
			errs = append(errs, fmt.Sprintf("line %d: invalid name %q or version %q", line, trunc(name), trunc(version)))
			continue
		}
		out = append(out, p)
	}
	return out, extract.JoinErrors("yarnlock", file, errs)
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}
