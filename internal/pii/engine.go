// Package pii finds personal data and organisation-defined patterns in
// text: e-mail addresses, phone numbers, IBANs, payment card numbers,
// national identifiers (Polish PESEL, NIP, REGON and identity card, US
// SSN, UK National Insurance number, German tax id, Spanish DNI and NIE),
// IP addresses, terms, regular
// expressions and domain names an organisation declares, and large pasted
// source code.
//
// It is built for inline use on every request the AI egress gateway
// forwards, so the built-in detectors run in one pass over the bytes with
// no regular expression: a byte-class loop finds candidate tokens (a
// digit run at a word boundary, an '@', a '+' before digits, two capitals
// and two digits), and each candidate must pass its format's checksum or
// validity rule (Luhn and issuer ranges, ISO 13616 mod-97 and the
// country's length, PESEL's weights and birth date...). Organisation
// terms and domain suffixes ride an Aho-Corasick automaton; organisation
// regular expressions (RE2) run only around their keywords when they
// declare some. See docs/pii.md.
//
// A Match never holds the value: only where it is in the caller's
// buffer, a masked form and its SHA-256 (secret.Hash).
package pii

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/secret"
)

// Categories of rules.
const (
	CategoryPII        = "pii"
	CategoryOrg        = "org"
	CategorySourceCode = "source-code"
)

// Rule is one kind of finding.
type Rule struct {
	ID       string // stable: PAVE-PII-NNN, or the id of a custom Pattern
	Name     string // short name used by Config.Disable ("email", "card")
	Title    string
	Category string // CategoryPII, CategoryOrg, CategorySourceCode or a custom one
	Severity finding.Severity
	// Checksum says the format carries a check digit the detector
	// verifies; such matches win overlaps.
	Checksum bool
	// Validation says in one line what a candidate must pass.
	Validation string
	// Priority breaks overlaps that Checksum does not: the higher wins.
	Priority int

	// valid re-checks a matched value (nil: no structural check beyond
	// the pattern). Tests use it to assert matches re-validate.
	valid func(v []byte) bool
}

// Match is one finding in the scanned buffer.
type Match struct {
	Rule       *Rule
	Category   string // Rule.Category
	Start, End int    // byte offsets of the value in the scanned buffer
	Line       int    // 1-based line of Start
	Column     int    // 1-based, in bytes
	// Masked shows the value's shape without the value: j***@e***.com,
	// **** **** **** 1234, PL** **** ... 1234. For source code it is a
	// summary ("42 lines of go").
	Masked string
	Hash   string // "sha256:" + hex of the exact bytes Start:End
	// Severity is the rule's severity, or lower for well-known test
	// values (the payment card numbers processors publish for testing).
	Severity finding.Severity
	// Lines and Language describe a source-code match: how many lines of
	// code the block holds and a guess at its language.
	Lines    int
	Language string
}

// Pattern is an organisation-defined pattern. Exactly one of Terms,
// Regex and Domains is set.
type Pattern struct {
	ID       string
	Title    string
	Category string           // default CategoryOrg
	Severity finding.Severity // default Medium
	// Terms are literal strings (internal host names, project code names)
	// matched case-insensitively (ASCII letters) at word boundaries.
	Terms []string
	// Regex is an RE2 expression (Go regexp syntax).
	Regex string
	// Keywords, optional with Regex, are literal strings one of which
	// occurs on every line the regex can match; the regex then runs only
	// on those lines. Without keywords it runs over the whole input.
	Keywords []string
	// Domains are domain suffixes: "corp.example" matches corp.example
	// and every name under it, "*.corp.example" only names under it.
	Domains []string
}

// Config configures an Engine. The zero value runs every built-in
// detector with the default source-code threshold.
type Config struct {
	// Disable lists built-in rules to turn off, by ID or Name.
	Disable []string
	// Custom adds organisation patterns.
	Custom []Pattern
	// SourceCodeMinLines is how many lines of source code a block needs
	// to be reported: 0 means DefaultSourceCodeMinLines, a negative value
	// turns the detector off.
	SourceCodeMinLines int
}

// DefaultSourceCodeMinLines is the source-code threshold when Config
// leaves it zero.
const DefaultSourceCodeMinLines = 20

// Engine scans text. It is immutable once built and safe for concurrent
// use.
type Engine struct {
	rules   []*Rule
	brule   [numBuiltin]*Rule // built-in detectors by index; nil when disabled
	org     *orgMatcher       // nil without custom patterns
	srcMin  int               // 0: source-code detector off
	srcRule *Rule
	cls     [256]uint8 // byte classes for the built-in scan
	lineCls [256]uint8 // byte flags for the source-code detector
	words   [numWordLists][]kwWord
}

// New builds an engine. A bad configuration (unknown rule to disable,
// pattern without id or with a bad regex) is a one-line error naming it.
func New(cfg Config) (*Engine, error) {
	e := &Engine{cls: byteClasses(), lineCls: lineClasses(), words: wordLists()}
	builtin := builtinRules()
	off := map[string]bool{}
	for _, d := range cfg.Disable {
		found := false
		for _, r := range builtin {
			if strings.EqualFold(d, r.ID) || strings.EqualFold(d, r.Name) {
				off[r.ID] = true
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("pii: disable: unknown rule %q", d)
		}
	}
	for i, r := range builtin {
		if off[r.ID] {
			continue
		}
		e.rules = append(e.rules, r)
		if i < numBuiltin {
			e.brule[i] = r
		} else if r.Name == "source-code" {
			e.srcRule = r
		}
	}
	if e.srcRule != nil {
		switch {
		case cfg.SourceCodeMinLines == 0:
			e.srcMin = DefaultSourceCodeMinLines
		case cfg.SourceCodeMinLines > 0:
			e.srcMin = cfg.SourceCodeMinLines
		}
	}
	if len(cfg.Custom) > 0 {
		ids := map[string]bool{}
		for _, r := range e.rules {
			ids[r.ID] = true
		}
		for _, r := range builtin {
			ids[r.ID] = true
		}
		org, rules, err := newOrgMatcher(cfg.Custom, ids)
		if err != nil {
			return nil, err
		}
		e.org = org
		e.rules = append(e.rules, rules...)
	}
	return e, nil
}

// Rules returns the engine's enabled rules, built-in ones first.
func (e *Engine) Rules() []*Rule { return e.rules }

// BuiltinRules returns every built-in rule, for documentation.
func BuiltinRules() []*Rule { return builtinRules() }

// Scan returns what it finds in b, in order of position. Overlapping
// values resolve to one: a checksum-validated match wins, then the rule
// with the higher priority, then the longer value. Source-code matches
// describe a block of lines and may contain other matches.
func (e *Engine) Scan(b []byte) []Match {
	if len(b) == 0 {
		return nil
	}
	var cands []cand
	e.scanBuiltin(b, &cands)
	if e.org != nil {
		e.org.scan(b, &cands)
	}
	values := resolve(cands)
	var code []Match
	if e.srcMin > 0 && bytes.Count(b, []byte{'\n'})+1 >= e.srcMin { // fewer lines hold no block
		code = scanSource(b, e.srcMin, e.srcRule, &e.lineCls)
	}
	if len(values)+len(code) == 0 {
		return nil
	}
	kept := make([]Match, 0, len(values)+len(code))
	for _, c := range values {
		kept = append(kept, Match{Rule: c.rule, Start: c.start, End: c.end, Severity: c.sev})
	}
	if len(code) > 0 {
		kept = append(kept, code...)
		sort.SliceStable(kept, func(i, j int) bool { return kept[i].Start < kept[j].Start })
	}
	finish(b, kept)
	return kept
}

// cand is a value found before overlaps are resolved: the few words a
// candidate needs, so that inputs dense with values move less memory.
type cand struct {
	rule       *Rule
	start, end int
	sev        finding.Severity // zero: the rule's
}

// resolve drops overlapping candidates, keeping checksum-validated ones
// first, then higher priority, then longer, then earlier. The result is
// sorted by Start. Candidates are sorted by position and split into
// clusters of mutually reachable overlaps, each resolved on its own, so
// the cost stays O(n log n) however many values the input holds.
func resolve(cands []cand) []cand {
	if len(cands) == 0 {
		return nil
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].start != cands[j].start {
			return cands[i].start < cands[j].start
		}
		return cands[i].end < cands[j].end
	})
	kept := make([]cand, 0, len(cands))
	for lo := 0; lo < len(cands); {
		hi, end := lo+1, cands[lo].end
		for hi < len(cands) && cands[hi].start < end {
			end = max(end, cands[hi].end)
			hi++
		}
		if hi-lo == 1 {
			kept = append(kept, cands[lo])
		} else {
			kept = append(kept, resolveCluster(cands[lo:hi])...)
		}
		lo = hi
	}
	return kept
}

// resolveCluster resolves one cluster of overlapping candidates
// greedily in order of preference; the result is sorted by Start.
func resolveCluster(cands []cand) []cand {
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.rule.Checksum != b.rule.Checksum {
			return a.rule.Checksum
		}
		if a.rule.Priority != b.rule.Priority {
			return a.rule.Priority > b.rule.Priority
		}
		if a.end-a.start != b.end-b.start {
			return a.end-a.start > b.end-b.start
		}
		if a.start != b.start {
			return a.start < b.start
		}
		return a.rule.ID < b.rule.ID
	})
	// kept is sorted by Start and its spans do not overlap, so only the
	// neighbours of an insertion point can overlap a candidate.
	var kept []cand
	for _, c := range cands {
		i := sort.Search(len(kept), func(i int) bool { return kept[i].start >= c.start })
		if i > 0 && kept[i-1].end > c.start || i < len(kept) && kept[i].start < c.end {
			continue
		}
		kept = slices.Insert(kept, i, c)
	}
	return kept
}

// finish fills in position, category, mask, hash and severity.
func finish(b []byte, ms []Match) {
	line, lineStart, pos := 1, 0, 0
	for i := range ms {
		m := &ms[i]
		if m.Start < pos { // source-code blocks contain other matches
			line, lineStart, pos = 1, 0, 0
		}
		if k := bytes.Count(b[pos:m.Start], []byte{'\n'}); k > 0 {
			line += k
			lineStart = pos + bytes.LastIndexByte(b[pos:m.Start], '\n') + 1
		}
		pos = m.Start
		m.Line, m.Column = line, m.Start-lineStart+1
		m.Category = m.Rule.Category
		v := b[m.Start:m.End]
		m.Hash = secret.Hash(v)
		if m.Severity == finding.Unknown {
			m.Severity = m.Rule.Severity
		}
		if m.Masked == "" {
			m.Masked = maskFor(m.Rule, v)
		}
	}
}
