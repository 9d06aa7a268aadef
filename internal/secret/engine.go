// Package secret finds credentials in text: API tokens, private keys,
// connection strings with passwords, and generic high-entropy secrets
// assigned to names such as password or api_key.
//
// One Engine serves every caller: file and image scans (through
// FileCheck), and callers that see request bodies or editor buffers. It is
// built once (Default) and is safe for concurrent use.
//
// Scanning is in three stages. An Aho-Corasick automaton over lower-cased
// bytes finds every rule keyword in one pass. Only around keyword hits does
// a rule's regular expression (RE2, linear time) run, on the hit's line or
// a bounded window. A candidate then has to pass the rule's checksum where
// the format has one (GitHub and npm tokens carry a CRC32, JWTs a JSON
// header, AWS key ids a base32 body), an entropy floor, and the allowlist
// of placeholders, template variables, documentation examples, hashes and
// UUIDs. See docs/secrets.md.
//
// A Match never holds the secret: only where it is, a masked form that
// keeps at most four leading characters, and its SHA-256.
package secret

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/pavesec/pave/internal/ahocorasick"
	"github.com/pavesec/pave/internal/finding"
)

// Rule is one kind of credential.
type Rule struct {
	ID       string // stable, PAVE-SEC-NNN
	Title    string
	Severity finding.Severity
	// Family groups rules by vendor or kind ("github", "aws", "private-key").
	Family string
	// Revoke is where the credential is revoked or rotated.
	Revoke string
	// Keywords are lower-case strings one of which appears in or next to
	// every match; they drive the prefilter.
	Keywords []string
	// Pattern finds the credential. The secret is the first group named
	// "secret" that matched, else the first capture group that matched,
	// else the whole match. A group named "key" is the name the secret is
	// assigned to, for KeyFilter.
	Pattern *regexp.Regexp
	// KeyFilter, when set, must accept the name the secret is assigned to.
	KeyFilter func(key string) bool
	// Lines is how many lines around a keyword hit the pattern may see
	// (0: the hit's own line); Span is how many bytes past the hit a
	// multi-line block may run.
	Lines, Span int
	// Checksum, when set, must accept the secret: the format carries one.
	Checksum func(secret string) bool
	// Validate, when set, must accept the secret (structure, not checksum).
	Validate func(secret string) bool
	// MinEntropy is the Shannon entropy (bits per byte) the secret needs.
	MinEntropy float64
	// Generic marks rules keyed on names rather than formats; they yield
	// to specific rules and get the stricter decoy filters.
	Generic bool
	// Priority breaks overlaps between rules: the higher wins.
	Priority int
	// K8s marks credentials that OWASP Kubernetes Top 10 K08 covers.
	K8s bool
	// Paths, when set, scopes the rule to files whose base name matches
	// one of these path.Match globs (".npmrc", "*.npmrc"). ScanPath skips
	// the rule for other files; Scan, which knows no file name (a request
	// body, a buffer), still runs it, so a path-scoped rule's pattern must
	// be unambiguous on its own (anchored to the line, the exact syntax of
	// the file it is scoped to).
	Paths []string
}

// appliesTo reports whether the rule may run on the file at p ("" for
// content of unknown origin).
func (r *Rule) appliesTo(p string) bool {
	if len(r.Paths) == 0 || p == "" {
		return true
	}
	base := path.Base(p)
	for _, g := range r.Paths {
		if ok, _ := path.Match(g, base); ok {
			return true
		}
	}
	return false
}

// Match is one secret found.
type Match struct {
	Rule       *Rule
	Start, End int // byte offsets of the secret in the content
	Line       int // 1-based
	Column     int // 1-based, in bytes
	Masked     string
	Hash       string // "sha256:" + hex of the secret
	// Severity is the rule's severity, or lower when the match is less
	// certain or less exposed: FileCheck lowers private keys shipped as
	// documentation examples (see docs/secrets.md).
	Severity finding.Severity
}

// Engine scans content with a set of rules.
type Engine struct {
	rules   []*Rule
	ac      *ahocorasick.Matcher
	kwRules [][]int // keyword index -> rule indexes
}

// MaxWindow bounds the bytes a rule's pattern sees on either side of a
// keyword hit, so that a megabyte-long minified line costs no more than a
// short one.
const maxWindow = 2048

// New builds an engine from rules. Every rule needs an id, a pattern and
// at least one keyword.
func New(rules ...*Rule) (*Engine, error) {
	e := &Engine{rules: rules}
	kwIndex := map[string]int{}
	var kws []string
	seen := map[string]bool{}
	for ri, r := range rules {
		switch {
		case r == nil || r.ID == "":
			return nil, fmt.Errorf("secret: rule %d has no id", ri)
		case seen[r.ID]:
			return nil, fmt.Errorf("secret: rule %s declared twice", r.ID)
		case r.Pattern == nil:
			return nil, fmt.Errorf("secret: rule %s has no pattern", r.ID)
		case len(r.Keywords) == 0:
			return nil, fmt.Errorf("secret: rule %s has no keyword", r.ID)
		}
		seen[r.ID] = true
		for _, k := range r.Keywords {
			k = strings.ToLower(k)
			if k == "" {
				return nil, fmt.Errorf("secret: rule %s has an empty keyword", r.ID)
			}
			ki, ok := kwIndex[k]
			if !ok {
				ki = len(kws)
				kwIndex[k] = ki
				kws = append(kws, k)
				e.kwRules = append(e.kwRules, nil)
			}
			if !slices.Contains(e.kwRules[ki], ri) {
				e.kwRules[ki] = append(e.kwRules[ki], ri)
			}
		}
	}
	e.ac = ahocorasick.New(kws)
	return e, nil
}

// Rules returns the engine's rules.
func (e *Engine) Rules() []*Rule { return e.rules }

type span struct{ start, end int }

// Scan returns the secrets in content, in order of position. Overlapping
// candidates from different rules resolve to the most specific rule.
// Content of unknown origin runs every rule, path-scoped ones included,
// and the generic rule takes unquoted values.
func (e *Engine) Scan(content []byte) []Match { return e.ScanPath("", content) }

// ScanPath is Scan for the content of the file at p. The name scopes
// rules: rules with Paths run only on files they name, and in source code
// (by extension: .js, .py, .c, .go...) the generic rule takes only quoted
// values, since an unquoted right-hand side there is an expression.
func (e *Engine) ScanPath(p string, content []byte) []Match {
	if len(content) == 0 {
		return nil
	}
	var skip []bool
	if p != "" {
		for ri, r := range e.rules {
			if !r.appliesTo(p) {
				if skip == nil {
					skip = make([]bool, len(e.rules))
				}
				skip[ri] = true
			}
		}
	}
	code := p != "" && sourceFile(p)
	wins := make(map[int][]span)
	e.ac.Scan(content, func(kw, end int) {
		start := end - e.ac.KeywordLen(kw)
		for _, ri := range e.kwRules[kw] {
			if skip != nil && skip[ri] {
				continue
			}
			r := e.rules[ri]
			ws := e.lineStart(content, start, r.Lines)
			we := e.lineEnd(content, end+r.Span, r.Lines)
			w := wins[ri]
			if n := len(w); n > 0 && ws <= w[n-1].end {
				if we > w[n-1].end {
					w[n-1].end = we
				}
				continue
			}
			wins[ri] = append(w, span{ws, we})
		}
	})
	var cands []Match
	for ri, ws := range wins {
		r := e.rules[ri]
		seen := map[int]bool{}
		for _, w := range ws {
			for _, loc := range r.Pattern.FindAllSubmatchIndex(content[w.start:w.end], -1) {
				s, t := secretSpan(r.Pattern, loc)
				if r.KeyFilter != nil {
					if k := r.Pattern.SubexpIndex("key"); k > 0 && loc[2*k] >= 0 &&
						!r.KeyFilter(string(content[w.start+loc[2*k]:w.start+loc[2*k+1]])) {
						continue
					}
				}
				s, t = s+w.start, t+w.start
				if seen[s] || s == t {
					continue
				}
				seen[s] = true
				if r.Generic && code && !quoted(content, s) {
					continue
				}
				if !accept(r, string(content[s:t])) {
					continue
				}
				cands = append(cands, Match{Rule: r, Start: s, End: t})
			}
		}
	}
	return finish(content, cands)
}

// secretSpan picks the secret out of a match: the first "secret" group
// that matched, else the first group that matched, else the whole match.
func secretSpan(re *regexp.Regexp, loc []int) (int, int) {
	names := re.SubexpNames()
	named := slices.Contains(names, "secret")
	for g := 1; 2*g+1 < len(loc); g++ {
		if loc[2*g] >= 0 && (!named || names[g] == "secret") {
			return loc[2*g], loc[2*g+1]
		}
	}
	return loc[0], loc[1]
}

// finish resolves overlaps, sorts, and fills in position, mask and hash.
func finish(content []byte, cands []Match) []Match {
	if len(cands) == 0 {
		return nil
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.Rule.Priority != b.Rule.Priority {
			return a.Rule.Priority > b.Rule.Priority
		}
		if a.End-a.Start != b.End-b.Start {
			return a.End-a.Start > b.End-b.Start
		}
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		return a.Rule.ID < b.Rule.ID
	})
	// kept is sorted by Start and its spans do not overlap, so only the
	// neighbours of an insertion point can overlap a candidate.
	var kept []Match
	for _, c := range cands {
		i := sort.Search(len(kept), func(i int) bool { return kept[i].Start >= c.Start })
		if i > 0 && kept[i-1].End > c.Start || i < len(kept) && kept[i].Start < c.End {
			continue
		}
		kept = slices.Insert(kept, i, c)
	}
	line, lineStart, pos := 1, 0, 0
	for i := range kept {
		m := &kept[i]
		for ; pos < m.Start; pos++ {
			if content[pos] == '\n' {
				line++
				lineStart = pos + 1
			}
		}
		m.Line, m.Column = line, m.Start-lineStart+1
		secret := content[m.Start:m.End]
		m.Masked = Mask(string(secret))
		m.Hash = Hash(secret)
		m.Severity = m.Rule.Severity
	}
	return kept
}

// lineStart returns the start of the line holding off, n lines further
// back, no more than maxWindow bytes before off.
func (e *Engine) lineStart(b []byte, off, n int) int {
	limit := max(0, off-maxWindow*(n+1))
	i := off
	for ; i > limit; i-- {
		if b[i-1] == '\n' {
			if n == 0 {
				return i
			}
			n--
		}
	}
	return i
}

// lineEnd returns the end of the line holding off (clamped to len(b)),
// n lines further on, no more than maxWindow bytes past off.
func (e *Engine) lineEnd(b []byte, off, n int) int {
	if off > len(b) {
		off = len(b)
	}
	limit := min(len(b), off+maxWindow*(n+1))
	i := off
	for ; i < limit; i++ {
		if b[i] == '\n' {
			if n == 0 {
				return i
			}
			n--
		}
	}
	return i
}

// Hash is the form a detected value is stored and compared in: "sha256:"
// and the hex SHA-256 of its exact bytes. The personal-data detectors use
// it too, so one audit log holds one kind of hash.
func Hash(v []byte) string {
	sum := sha256.Sum256(v)
	var h [len("sha256:") + 2*sha256.Size]byte
	copy(h[:], "sha256:")
	hex.Encode(h[len("sha256:"):], sum[:])
	return string(h[:])
}

// Mask hides a secret: at most its first four characters stay (fewer for
// short secrets, none for very short ones), then asterisks and the length.
func Mask(secret string) string {
	keep := min(4, len(secret)/4)
	for i := 0; i < keep; i++ {
		if c := secret[i]; c < 0x21 || c > 0x7e {
			keep = i
			break
		}
	}
	return fmt.Sprintf("%s****(%d chars)", secret[:keep], len(secret))
}
