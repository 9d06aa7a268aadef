// Package ruby finds Ruby gems: those locked by Gemfile.lock files
// (ruby/gemfilelock) and those installed, whose specifications RubyGems
// and Debian write as Ruby source (ruby/gemspec).
package ruby

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// maxLockSize bounds a Gemfile.lock.
const maxLockSize = 16 << 20

// LockExtractor reads Bundler's Gemfile.lock.
type LockExtractor struct{}

var _ extract.Extractor = (*LockExtractor)(nil)

// NewLockExtractor returns the ruby/gemfilelock extractor.
func NewLockExtractor() *LockExtractor { return &LockExtractor{} }

// Name implements extract.Extractor.
func (*LockExtractor) Name() string { return "ruby/gemfilelock" }

// Version implements extract.Extractor.
func (*LockExtractor) Version() int { return 1 }

// Match claims files named Gemfile.lock (and gems.locked, Bundler's
// other name for it).
func (*LockExtractor) Match(p string, info fs.FileInfo) bool {
	b := path.Base(p)
	return (b == "Gemfile.lock" || b == "gems.locked") && (info == nil || info.Size() <= maxLockSize) &&
		!extract.InsideInstalledPackage(p)
}

// Extract reports the gems of the GEM and GIT sections. Gems of a PATH
// section are local code (most often the project itself) with no
// published version, and are left out.
func (*LockExtractor) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if in.Size > maxLockSize {
		return nil, fmt.Errorf("ruby/gemfilelock: %s: over the %d-byte limit", in.Path, maxLockSize)
	}
	return parseLock(io.LimitReader(in.Reader, maxLockSize))
}

func parseLock(r io.Reader) ([]inventory.Package, error) {
	var (
		out     []inventory.Package
		section string
		inSpecs bool
		bad     []string
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case indent == 0:
			section, inSpecs = line, false
		case indent == 2:
			inSpecs = strings.TrimSpace(line) == "specs:"
		case indent == 4 && inSpecs && (section == "GEM" || section == "GIT"):
			name, version, platform, ok := parseSpecLine(strings.TrimSpace(line))
			if !ok {
				if len(bad) < 10 {
					bad = append(bad, fmt.Sprintf("line %d: malformed spec %q", n, strings.TrimSpace(line)))
				}
				continue
			}
			pkg := newPackage(name, version, platform)
			pkg.Locations = []inventory.Location{{Line: n}}
			out = append(out, pkg)
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("ruby/gemfilelock: read: %w", err)
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("ruby/gemfilelock: %s", strings.Join(bad, "; "))
	}
	return out, nil
}

// parseSpecLine splits "nokogiri (1.15.4-x86_64-linux)" into the name, the
// version and the platform. Gem versions hold no "-": the first one starts
// the platform.
func parseSpecLine(s string) (name, version, platform string, ok bool) {
	name, rest, found := strings.Cut(s, " (")
	if !found || name == "" || strings.ContainsAny(name, " ()") || !strings.HasSuffix(rest, ")") {
		return "", "", "", false
	}
	version = strings.TrimSuffix(rest, ")")
	version, platform, _ = strings.Cut(version, "-")
	if version == "" || strings.ContainsAny(version, " ()") {
		return "", "", "", false
	}
	return name, version, platform, true
}

func newPackage(name, version, platform string) inventory.Package {
	return inventory.Package{
		Name:      name,
		Version:   version,
		Ecosystem: inventory.Gem,
		PURL:      inventory.PURL(inventory.Gem, "", name, version, map[string]string{"platform": platform}),
		Arch:      platform,
	}
}
