// Package policy decides which findings count against the gate: the
// .pave.yaml configuration (gate threshold, exceptions that expire, VEX
// documents to apply), the OpenVEX and CycloneDX VEX readers, Apply, which
// marks findings suppressed and says why, and Gate, which counts what is
// left. docs/policy.md is the user-facing description; this package is
// its reference implementation.
//
// Nothing here does I/O except LoadConfig, New and ReadVEX, which read the
// files a user named, bounded in size.
package policy

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/yamlfile"
)

// Limits on what pave reads.
const (
	// MaxConfigSize bounds a .pave.yaml file.
	MaxConfigSize = 1 << 20
	// MaxVEXSize bounds one VEX document.
	MaxVEXSize = 64 << 20
	// maxErrors bounds the configuration errors listed in one message.
	maxErrors = 20
)

// ConfigVersion is the .pave.yaml format version this package reads.
const ConfigVersion = 1

// dateLayout is how exception expiry dates are written.
const dateLayout = "2006-01-02"

// Config is a parsed .pave.yaml.
type Config struct {
	// File is the name the configuration was read from; exception sources
	// are "File:line" and VEX paths are relative to its directory.
	File    string
	Version int
	// FailOn is the default gate threshold; nil when the file sets none.
	FailOn        *finding.Severity
	IgnoreUnfixed bool
	// Exceptions in file order.
	Exceptions []Exception
	// VEX lists the VEX documents to apply, as written in the file.
	VEX        []string
	Registries Registries
}

// Registries is the registries section: which registries images may come
// from. It is parsed and exposed for the registry check; policy gives it no
// behaviour.
type Registries struct {
	// Allow lists registry hosts or repository prefixes
	// ("registry.example.com", "docker.io/library").
	Allow []string
}

// Exception takes matching findings out of the gate until it expires.
// At least one of ID, Package and Path is set; a finding matches when it
// matches every field that is set (docs/policy.md, "Matching").
type Exception struct {
	// ID is a vulnerability id or alias (CVE-…, GHSA-…, GO-…) or a rule
	// id (PAVE-DF-001), compared case-insensitively.
	ID string
	// Package is a package name (binary or source package), or a package
	// URL: without a version it matches every version, with one only that
	// version; qualifiers are ignored.
	Package string
	// Path is a glob over the finding's paths ("**" spans directories).
	Path string
	// Reason says why the finding is accepted; it is required.
	Reason string
	// Expires is the last day the exception holds, YYYY-MM-DD.
	Expires string
	// Source is where the exception was written, "file:line".
	Source string
	// Line is the line of the exception in the file, 0 when built in code.
	Line int
}

// Describe names the exception for messages: its id, package and path.
func (e *Exception) Describe() string {
	var parts []string
	if e.ID != "" {
		parts = append(parts, e.ID)
	}
	if e.Package != "" {
		parts = append(parts, "package "+e.Package)
	}
	if e.Path != "" {
		parts = append(parts, "path "+e.Path)
	}
	return strings.Join(parts, " ")
}

// ParseThreshold reads a gate threshold: a severity name (critical, high,
// medium, low, info, unknown) or "any", which is the same as "unknown":
// every unsuppressed finding counts.
func ParseThreshold(s string) (finding.Severity, error) {
	if strings.EqualFold(strings.TrimSpace(s), "any") {
		return finding.Unknown, nil
	}
	sev, err := finding.ParseSeverity(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("unknown threshold %q (want critical, high, medium, low, info or any)", s)
	}
	return sev, nil
}

// LoadConfig reads and parses a .pave.yaml file of at most MaxConfigSize
// bytes.
func LoadConfig(name string) (*Config, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("policy: read %s: %w", name, err)
	}
	return ParseConfig(data, name)
}

// ParseConfig parses a .pave.yaml document; file names it in messages
// and in exception sources. Every problem found is reported, each as
// "file:line: what is wrong".
func ParseConfig(data []byte, file string) (*Config, error) {
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("%s: configuration is larger than %d bytes", file, MaxConfigSize)
	}
	p := &configParser{file: file, cfg: &Config{File: file}}
	body, err := parseYAMLDoc(data)
	if err != nil {
		p.add(err)
		return nil, p.err()
	}
	if body == nil {
		return nil, fmt.Errorf("%s: empty configuration: want at least \"version: %d\"", file, ConfigVersion)
	}
	p.top(body)
	if err := p.err(); err != nil {
		return nil, err
	}
	return p.cfg, nil
}

// configParser collects every error it finds so that one run shows them all.
type configParser struct {
	file string
	cfg  *Config
	errs []error
}

func (p *configParser) add(err error) {
	var le *lineError
	if errors.As(err, &le) {
		err = fmt.Errorf("%s:%d: %s", p.file, le.line, le.msg)
	} else {
		err = fmt.Errorf("%s: %w", p.file, err)
	}
	p.errs = append(p.errs, err)
}

func (p *configParser) errorf(line int, format string, args ...any) {
	p.add(&lineError{line: line, msg: fmt.Sprintf(format, args...)})
}

func (p *configParser) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	if len(p.errs) > maxErrors {
		more := len(p.errs) - maxErrors
		p.errs = append(p.errs[:maxErrors:maxErrors], fmt.Errorf("%s: and %d more errors", p.file, more))
	}
	return errors.Join(p.errs...)
}

var topKeys = []string{"version", "failOn", "ignoreUnfixed", "exceptions", "vex", "registries"}

func (p *configParser) top(body ast.Node) {
	entries, err := mappingEntries(body, "the configuration")
	if err != nil {
		p.add(err)
		return
	}
	sawVersion := false
	for _, e := range entries {
		if e.value == nil && e.key != "exceptions" && e.key != "vex" {
			p.errorf(e.line, "%s has no value", e.key)
			continue
		}
		switch e.key {
		case "version":
			sawVersion = true
			v, err := intValue(e.value, "version")
			if err != nil {
				p.add(err)
				continue
			}
			if v != ConfigVersion {
				p.errorf(e.line, "unsupported version %d (this pave reads version %d)", v, ConfigVersion)
			}
			p.cfg.Version = v
		case "failOn":
			s, err := stringValue(e.value, "failOn")
			if err != nil {
				p.add(err)
				continue
			}
			sev, err := ParseThreshold(s)
			if err != nil {
				p.errorf(e.line, "failOn: %v", err)
				continue
			}
			p.cfg.FailOn = &sev
		case "ignoreUnfixed":
			b, err := boolValue(e.value, "ignoreUnfixed")
			if err != nil {
				p.add(err)
				continue
			}
			p.cfg.IgnoreUnfixed = b
		case "exceptions":
			p.exceptions(e)
		case "vex":
			p.vex(e)
		case "registries":
			p.registries(e)
		default:
			p.add(unknownKey(e, "the configuration", topKeys))
		}
	}
	if !sawVersion {
		p.errorf(yamlfile.Line(body), "version is required (version: %d)", ConfigVersion)
	}
}

var exceptionKeys = []string{"id", "package", "path", "reason", "expires"}

func (p *configParser) exceptions(e entry) {
	if e.value == nil {
		return
	}
	items, err := sequenceValues(e.value, "exceptions")
	if err != nil {
		p.add(err)
		return
	}
	for i, item := range items {
		what := fmt.Sprintf("exceptions[%d]", i)
		line := yamlfile.Line(item)
		fields, err := mappingEntries(item, what)
		if err != nil {
			p.add(err)
			continue
		}
		ex := Exception{Line: line, Source: fmt.Sprintf("%s:%d", p.file, line)}
		ok := true
		for _, f := range fields {
			var dst *string
			switch f.key {
			case "id":
				dst = &ex.ID
			case "package":
				dst = &ex.Package
			case "path":
				dst = &ex.Path
			case "reason":
				dst = &ex.Reason
			case "expires":
				dst = &ex.Expires
			default:
				p.add(unknownKey(f, what, exceptionKeys))
				ok = false
				continue
			}
			if f.value == nil {
				continue // reported as missing below
			}
			s, err := stringValue(f.value, what+"."+f.key)
			if err != nil {
				p.add(err)
				ok = false
				continue
			}
			*dst = strings.TrimSpace(s)
		}
		if !ok {
			continue
		}
		if _, err := compileException(&ex); err != nil {
			p.errorf(line, "%s: %v", what, err)
			continue
		}
		p.cfg.Exceptions = append(p.cfg.Exceptions, ex)
	}
}

func (p *configParser) vex(e entry) {
	if e.value == nil {
		return
	}
	items, err := sequenceValues(e.value, "vex")
	if err != nil {
		p.add(err)
		return
	}
	for i, item := range items {
		s, err := stringValue(item, fmt.Sprintf("vex[%d]", i))
		if err != nil {
			p.add(err)
			continue
		}
		if strings.TrimSpace(s) == "" {
			p.errorf(yamlfile.Line(item), "vex[%d]: empty path", i)
			continue
		}
		p.cfg.VEX = append(p.cfg.VEX, strings.TrimSpace(s))
	}
}

func (p *configParser) registries(e entry) {
	fields, err := mappingEntries(e.value, "registries")
	if err != nil {
		p.add(err)
		return
	}
	for _, f := range fields {
		if f.key != "allow" {
			p.add(unknownKey(f, "registries", []string{"allow"}))
			continue
		}
		if f.value == nil {
			continue
		}
		items, err := sequenceValues(f.value, "registries.allow")
		if err != nil {
			p.add(err)
			continue
		}
		for i, item := range items {
			s, err := stringValue(item, fmt.Sprintf("registries.allow[%d]", i))
			if err != nil {
				p.add(err)
				continue
			}
			s = strings.TrimSpace(s)
			if s == "" || strings.ContainsAny(s, " \t") || strings.Contains(s, "://") {
				p.errorf(yamlfile.Line(item), "registries.allow[%d]: %q is not a registry host or repository prefix", i, s)
				continue
			}
			p.cfg.Registries.Allow = append(p.cfg.Registries.Allow, s)
		}
	}
}

// exceptionMatcher is an exception made ready to match.
type exceptionMatcher struct {
	ex        *Exception
	index     int
	id        string // lower case
	pkgName   string // plain name, when Package is not a PURL
	pkgURL    *purl
	path      *glob
	expires   time.Time // the last valid day, at midnight UTC
	isExpired bool
	pathSeen  map[string]bool // path → matches, for one Apply
}

// compileException checks an exception and prepares it for matching.
func compileException(ex *Exception) (*exceptionMatcher, error) {
	m := &exceptionMatcher{ex: ex}
	if ex.ID == "" && ex.Package == "" && ex.Path == "" {
		return nil, errors.New("an exception must name at least one of id, package or path")
	}
	if ex.Reason == "" {
		return nil, errors.New("reason is required: say why this finding is accepted")
	}
	if ex.Expires == "" {
		return nil, errors.New("expires is required (YYYY-MM-DD)")
	}
	t, err := time.Parse(dateLayout, ex.Expires)
	if err != nil {
		return nil, fmt.Errorf("expires %q is not a date (YYYY-MM-DD)", ex.Expires)
	}
	m.expires = t
	if ex.ID != "" {
		if strings.ContainsAny(ex.ID, " \t") {
			return nil, fmt.Errorf("id %q contains spaces", ex.ID)
		}
		m.id = strings.ToLower(ex.ID)
	}
	if ex.Package != "" {
		if _, isURL := cutPrefixFold(ex.Package, "pkg:"); isURL {
			u, err := parsePURL(ex.Package)
			if err != nil {
				return nil, fmt.Errorf("package %q: %v", ex.Package, err)
			}
			m.pkgURL = &u
		} else {
			m.pkgName = ex.Package
		}
	}
	if ex.Path != "" {
		g, err := compileGlob(ex.Path)
		if err != nil {
			return nil, fmt.Errorf("path: %v", err)
		}
		m.path = &g
	}
	return m, nil
}

// expired reports whether the exception no longer holds on day today: the
// expiry date itself is still valid.
func (m *exceptionMatcher) expired(today time.Time) bool {
	y, mo, d := today.Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC).After(m.expires)
}
