package python

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

// Requirements reads pip requirements files: requirements*.txt anywhere
// and any *.txt inside a directory named requirements.
//
// Only pinned lines are packages: "name==1.2" or "name===1.2", with
// optional extras ("name[extra]==1.2"), environment markers after ';',
// trailing options (--hash=...) and comments. Ranges, URLs, paths and
// editable installs pin nothing and are skipped. Options lines (-r, -c,
// -e, --index-url, ...) are skipped too: included files (-r other.txt)
// are not followed here, since each requirements file in the tree is
// matched and read on its own. Continuation lines ending in '\' are
// joined; a package's line is the first line of its logical line.
// Requirements files record no dev flag.
type Requirements struct{}

var _ extract.Extractor = (*Requirements)(nil)

// NewRequirements returns the requirements-file extractor.
func NewRequirements() *Requirements { return &Requirements{} }

// Name implements extract.Extractor.
func (*Requirements) Name() string { return "python/requirements" }

// Version implements extract.Extractor.
func (*Requirements) Version() int { return 1 }

// Match implements extract.Extractor.
func (*Requirements) Match(p string, _ fs.FileInfo) bool {
	dir, base := path.Split(p)
	if !strings.HasSuffix(base, ".txt") {
		return false
	}
	if extract.InsideInstalledPackage(p) {
		return false // shipped with an installed package: its authors' pins
	}
	return strings.HasPrefix(base, "requirements") || path.Base(strings.TrimSuffix(dir, "/")) == "requirements"
}

// Extract implements extract.Extractor.
func (*Requirements) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	data, err := extract.ReadAll(in, maxReqSize)
	if err != nil {
		return nil, fmt.Errorf("requirements: read %s: %w", in.Path, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var (
		out     []inventory.Package
		errs    []string
		logical strings.Builder
		start   int
		n       int
	)
	handle := func() {
		line := logical.String()
		logical.Reset()
		name, version, pinned, err := parseRequirement(line)
		switch {
		case err != nil:
			errs = append(errs, fmt.Sprintf("line %d: %v", start, err))
		case pinned:
			p, ok := newPackage(name, version, start)
			if !ok {
				errs = append(errs, fmt.Sprintf("line %d: invalid name %q or version %q", start, trunc(name), trunc(version)))
				return
			}
			out = append(out, p)
		}
	}
	for sc.Scan() {
		n++
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return out, err
			}
		}
		line := strings.TrimSuffix(sc.Text(), "\r")
		if logical.Len() == 0 {
			start = n
		}
		if logical.Len()+len(line) > 1<<20 {
			return out, fmt.Errorf("requirements: %s line %d: logical line too long", in.Path, start)
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok && !strings.HasPrefix(strings.TrimSpace(line), "#") {
			logical.WriteString(cont)
			logical.WriteByte(' ')
			continue
		}
		logical.WriteString(line)
		handle()
	}
	if logical.Len() > 0 {
		handle()
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("requirements: read %s line %d: %w", in.Path, n+1, err)
	}
	return out, extract.JoinErrors("requirements", in.Path, errs)
}

// parseRequirement reads one logical line. pinned is true for an exact
// "==" or "===" pin; err is set only for a line that tries to pin and
// fails.
func parseRequirement(line string) (name, version string, pinned bool, err error) {
	// A comment starts at '#' at the line start or after whitespace.
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	if i := strings.Index(line, "\t#"); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' || line[0] == '-' {
		return "", "", false, nil // blank, comment, or an option line (-r, -c, -e, --hash, ...)
	}
	// Trailing per-requirement options: " --hash=...", " --global-option ...".
	if i := strings.Index(line, " -"); i >= 0 {
		line = strings.TrimSpace(line[:i])
	}
	if i := strings.IndexByte(line, ';'); i >= 0 {
		line = strings.TrimSpace(line[:i])
	}
	if strings.Contains(line, "://") || strings.Contains(line, " @ ") || strings.HasPrefix(line, ".") || strings.HasPrefix(line, "/") {
		return "", "", false, nil // URL, direct reference or local path
	}
	i := strings.Index(line, "==")
	if i < 0 {
		return "", "", false, nil // a range or a bare name pins nothing
	}
	name, rest := strings.TrimSpace(line[:i]), line[i+2:]
	rest = strings.TrimPrefix(rest, "=") // "===" arbitrary equality
	if j := strings.IndexByte(name, '['); j >= 0 {
		if !strings.HasSuffix(name, "]") {
			return "", "", false, fmt.Errorf("unterminated extras in %q", trunc(line))
		}
		name = strings.TrimSpace(name[:j])
	}
	version = strings.TrimSpace(rest)
	if strings.ContainsAny(version, ",") || strings.HasSuffix(version, ".*") {
		return "", "", false, nil // more than one specifier, or a prefix match: not a pin
	}
	if strings.ContainsAny(name, "<>!~=") {
		return "", "", false, nil // "a>=1,==2"-like combinations
	}
	if !validName(name) || !validVersion(version) {
		return "", "", false, fmt.Errorf("bad pin %q", trunc(line))
	}
	return name, version, true, nil
}
