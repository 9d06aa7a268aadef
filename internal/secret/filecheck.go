package secret

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
)

var defaultEngine = sync.OnceValue(func() *Engine {
	e, err := New(defaultRules()...)
	if err != nil {
		panic(err) // the built-in catalogue is checked by tests
	}
	return e
})

// Default returns the engine with the built-in rules. It is built once and
// shared; an Engine is safe for concurrent use.
func Default() *Engine { return defaultEngine() }

// DefaultMaxSize is the largest file FileCheck reads.
const DefaultMaxSize = 10 << 20

// binaryExts are extensions of files that hold no text worth scanning.
var binaryExts = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".bmp": true, ".ico": true, ".webp": true, ".tiff": true,
	".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true, ".zst": true, ".7z": true, ".rar": true, ".tar": true,
	".so": true, ".a": true, ".o": true, ".dll": true, ".exe": true, ".dylib": true, ".class": true, ".pyc": true, ".wasm": true,
	".pdf": true, ".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".eot": true,
	".mp3": true, ".mp4": true, ".mov": true, ".avi": true, ".ogg": true, ".wav": true, ".flac": true,
	".jar": true, ".war": true, ".whl": true, ".deb": true, ".rpm": true, ".apk": true, ".db": true, ".sqlite": true,
}

// FileCheck runs an Engine over files, as a check.FileCheck.
type FileCheck struct {
	Engine  *Engine // Default() when nil
	MaxSize int64   // DefaultMaxSize when 0
}

var _ check.FileCheck = (*FileCheck)(nil)

// Name is "secret".
func (c *FileCheck) Name() string { return "secret" }

func (c *FileCheck) engine() *Engine {
	if c.Engine != nil {
		return c.Engine
	}
	return Default()
}

// Rules lists every rule of the engine as finding rules.
func (c *FileCheck) Rules() []finding.Rule {
	rs := c.engine().Rules()
	out := make([]finding.Rule, len(rs))
	for i, r := range rs {
		out[i] = r.FindingRule()
	}
	return out
}

// Match takes regular files up to the size bound that are not of an
// obviously binary type.
func (c *FileCheck) Match(p string, info fs.FileInfo) bool {
	if info == nil || !info.Mode().IsRegular() {
		return false
	}
	maxSize := c.MaxSize
	if maxSize == 0 {
		maxSize = DefaultMaxSize
	}
	if info.Size() > maxSize {
		return false
	}
	return !binaryExts[strings.ToLower(path.Ext(p))]
}

// IsBinary reports content with a NUL byte in its first 8 KiB.
func IsBinary(content []byte) bool {
	return bytes.IndexByte(content[:min(len(content), 8<<10)], 0) >= 0
}

// Check returns one finding per secret, with the masked secret as
// evidence. Binary content yields nothing.
func (c *FileCheck) Check(ctx context.Context, p string, content []byte) ([]finding.Finding, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if IsBinary(content) {
		return nil, nil
	}
	var out []finding.Finding
	for _, m := range c.engine().ScanPath(p, content) {
		end := m.Line + bytes.Count(content[m.Start:m.End], []byte{'\n'})
		out = append(out, finding.Finding{
			Rule:     m.Rule.FindingRule(),
			Severity: severityAt(m, p),
			Location: finding.Location{Path: p, StartLine: m.Line, EndLine: end, Column: m.Column},
			Evidence: m.Masked,
			Message:  fmt.Sprintf("%s (%s)", m.Rule.Title, m.Hash),
		})
	}
	return out, nil
}

// FindingRule returns the rule's catalogue entry, with its controls:
// NIST SP 800-190 4.1.4 (embedded clear-text secrets), CIS Docker 4.10
// (no secrets in Dockerfiles), CWE-798 (hard-coded credentials), and
// OWASP Kubernetes Top 10 K08 (secrets management) where relevant.
func (r *Rule) FindingRule() finding.Rule {
	ctl := []finding.Control{
		{Framework: check.NIST800190, ID: "4.1.4"},
		{Framework: check.CISDocker, ID: "4.10"},
		{Framework: check.CWE, ID: "798"},
	}
	if r.K8s {
		ctl = append(ctl, finding.Control{Framework: check.OWASPK8s, ID: "K08"})
	}
	return finding.Rule{
		ID:       r.ID,
		Kind:     finding.Secret,
		Title:    r.Title,
		Severity: r.Severity,
		Remediation: "Revoke or rotate the credential at " + r.Revoke +
			", then remove it from the file and from history (rewrite git history, rebuild image layers that contain it) and inject it at run time from a secret store.",
		Controls: ctl,
	}
}

// exampleDirs mark paths of documentation, examples and tests.
var exampleDirs = []string{"/examples/", "/example/", "/test/", "/tests/", "/testdata/"}

// severityAt is the severity of a match in the file at p. A private key
// under usr/share/doc/ or in an examples, test or testdata directory is a
// key shipped as an example (Debian's libnet-ssleay-perl and
// libio-socket-ssl-perl ship some): still a private key in the image, so
// still reported, but at low severity.
func severityAt(m Match, p string) finding.Severity {
	if m.Rule.Family != "private-key" {
		return m.Severity
	}
	q := "/" + strings.TrimPrefix(path.Clean("/"+p), "/")
	if strings.HasPrefix(q, "/usr/share/doc/") {
		return low
	}
	for _, d := range exampleDirs {
		if strings.Contains(q, d) {
			return low
		}
	}
	return m.Severity
}
