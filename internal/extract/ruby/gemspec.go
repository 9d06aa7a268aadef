package ruby

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// maxSpecSize bounds an installed gem specification.
const maxSpecSize = 1 << 20

// GemspecExtractor reads the specifications RubyGems writes for installed
// gems (GEM_HOME/specifications/NAME-VERSION.gemspec), Debian's
// usr/share/rubygems-integration/*/specifications included. The files are
// Ruby; they are matched with regular expressions and never evaluated.
type GemspecExtractor struct{}

var _ extract.Extractor = (*GemspecExtractor)(nil)

// NewGemspecExtractor returns the ruby/gemspec extractor.
func NewGemspecExtractor() *GemspecExtractor { return &GemspecExtractor{} }

// Name implements extract.Extractor.
func (*GemspecExtractor) Name() string { return "ruby/gemspec" }

// Version implements extract.Extractor.
func (*GemspecExtractor) Version() int { return 1 }

// Match claims *.gemspec files directly in a "specifications" directory.
// A gemspec elsewhere (a gem's source tree) is code that computes its
// values and is not read.
func (*GemspecExtractor) Match(p string, info fs.FileInfo) bool {
	if !strings.HasSuffix(p, ".gemspec") || (info != nil && info.Size() > maxSpecSize) {
		return false
	}
	// Installed gems, and the default gems Ruby ships with
	// (specifications/default/, e.g. abbrev, json, openssl).
	dir := path.Dir(p)
	if path.Base(dir) == "default" {
		dir = path.Dir(dir)
	}
	return path.Base(dir) == "specifications"
}

// The assignments RubyGems' Specification#to_ruby writes, one per line:
//
//	s.name = "rake".freeze
//	s.version = "13.0.6"
//	s.licenses = ["MIT".freeze, "Ruby".freeze]
//	s.platform = "x86_64-linux".freeze
var (
	assignRe = regexp.MustCompile(`^\s*s\.(name|version|license|licenses|platform)\s*=\s*(.*?)\s*$`)
	stringRe = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'`)
	stubRe   = regexp.MustCompile(`^# stub: (\S+) (\S+) (\S+)`)
)

// Extract reports the gem the specification describes, with its licences.
func (*GemspecExtractor) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if in.Size > maxSpecSize {
		return nil, fmt.Errorf("ruby/gemspec: %s: over the %d-byte limit", in.Path, maxSpecSize)
	}
	return parseGemspec(io.LimitReader(in.Reader, maxSpecSize))
}

func parseGemspec(r io.Reader) ([]inventory.Package, error) {
	var name, version, platform, stubName, stubVersion string
	var licenses []string
	line := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxSpecSize)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if m := stubRe.FindStringSubmatch(text); m != nil && n <= 3 {
			stubName, stubVersion = m[1], m[2]
			continue
		}
		m := assignRe.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		vals := rubyStrings(m[2])
		switch m[1] {
		case "name":
			if name == "" && len(vals) > 0 {
				name, line = vals[0], n
			}
		case "version":
			if version == "" && len(vals) > 0 {
				version = vals[0]
			}
		case "platform":
			if platform == "" && len(vals) > 0 {
				platform = vals[0]
			}
		case "license", "licenses":
			licenses = append(licenses, vals...)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("ruby/gemspec: read: %w", err)
	}
	if name == "" {
		name = stubName
	}
	if version == "" {
		version = stubVersion
	}
	if name == "" || version == "" {
		return nil, fmt.Errorf("ruby/gemspec: no gem name and version found")
	}
	if platform == "ruby" {
		platform = ""
	}
	pkg := newPackage(name, version, platform)
	pkg.Licenses = licenses
	if line > 0 {
		pkg.Locations = []inventory.Location{{Line: line}}
	}
	return []inventory.Package{pkg}, nil
}

// rubyStrings returns the string literals in a Ruby expression, unescaped
// only for \" \' and \\.
func rubyStrings(expr string) []string {
	var out []string
	for _, m := range stringRe.FindAllStringSubmatch(expr, 64) {
		s := m[1]
		if s == "" {
			s = m[2]
		}
		s = strings.NewReplacer(`\"`, `"`, `\'`, `'`, `\\`, `\`).Replace(s)
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
