package pii

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/pavesec/pave/internal/ahocorasick"
	"github.com/pavesec/pave/internal/finding"
)

// Kinds of automaton entries.
const (
	kTerm = iota
	kDomain
	kKeyword
)

type orgEntry struct {
	rule     *Rule
	kind     int
	regex    int  // kKeyword: index into orgMatcher.regexes
	wildcard bool // kDomain: "*.corp.example", names under it only
	word     [2]bool
}

type orgRegex struct {
	rule  *Rule
	re    *regexp.Regexp
	keyed bool
}

// orgMatcher finds organisation patterns: terms and domain suffixes (and
// regex keywords) in one Aho-Corasick pass, then the regexes.
type orgMatcher struct {
	ac      *ahocorasick.Matcher // nil when no pattern has a literal
	entries [][]orgEntry
	regexes []orgRegex
}

// newOrgMatcher checks and compiles the custom patterns; taken holds
// the ids already in use.
func newOrgMatcher(ps []Pattern, taken map[string]bool) (*orgMatcher, []*Rule, error) {
	m := &orgMatcher{}
	var kws []string
	index := map[string]int{}
	addKw := func(k string, en orgEntry) {
		k = asciiLower(k) // the automaton folds ASCII letters only
		ki, ok := index[k]
		if !ok {
			ki = len(kws)
			index[k] = ki
			kws = append(kws, k)
			m.entries = append(m.entries, nil)
		}
		m.entries[ki] = append(m.entries[ki], en)
	}
	var rules []*Rule
	for i, p := range ps {
		if p.ID == "" {
			return nil, nil, fmt.Errorf("pii: pattern %d has no id", i+1)
		}
		if taken[p.ID] {
			return nil, nil, fmt.Errorf("pii: pattern %s: id already in use", p.ID)
		}
		if strings.HasPrefix(strings.ToUpper(p.ID), "PAVE-") {
			return nil, nil, fmt.Errorf("pii: pattern %s: ids starting PAVE- are pave's own", p.ID)
		}
		taken[p.ID] = true
		kinds := 0
		for _, set := range []bool{len(p.Terms) > 0, p.Regex != "", len(p.Domains) > 0} {
			if set {
				kinds++
			}
		}
		if kinds != 1 {
			return nil, nil, fmt.Errorf("pii: pattern %s: set exactly one of terms, regex and domains", p.ID)
		}
		if len(p.Keywords) > 0 && p.Regex == "" {
			return nil, nil, fmt.Errorf("pii: pattern %s: keywords need a regex", p.ID)
		}
		r := &Rule{ID: p.ID, Name: p.ID, Title: p.Title, Category: p.Category, Severity: p.Severity}
		if r.Title == "" {
			r.Title = p.ID
		}
		if r.Category == "" {
			r.Category = CategoryOrg
		}
		if r.Severity == finding.Unknown {
			r.Severity = finding.Medium
		}
		switch {
		case len(p.Terms) > 0:
			r.Validation = "one of the configured terms, case-insensitive, at word boundaries"
			for _, t := range p.Terms {
				if strings.TrimSpace(t) == "" || strings.ContainsAny(t, "\n\r") {
					return nil, nil, fmt.Errorf("pii: pattern %s: empty or multi-line term", p.ID)
				}
				addKw(t, orgEntry{rule: r, kind: kTerm, word: [2]bool{wordByte(t[0]), wordByte(t[len(t)-1])}})
			}
		case p.Regex != "":
			re, err := regexp.Compile(p.Regex)
			if err != nil {
				return nil, nil, fmt.Errorf("pii: pattern %s: regex: %w", p.ID, err)
			}
			r.Validation = "the configured regular expression"
			kws := p.Keywords
			if len(kws) == 0 {
				if lit := leadingLiteral(p.Regex); lit != "" {
					kws = []string{lit}
				}
			}
			ri := len(m.regexes)
			m.regexes = append(m.regexes, orgRegex{rule: r, re: re, keyed: len(kws) > 0})
			for _, k := range kws {
				if k == "" || strings.ContainsAny(k, "\n\r") {
					return nil, nil, fmt.Errorf("pii: pattern %s: empty or multi-line keyword", p.ID)
				}
				addKw(k, orgEntry{rule: r, kind: kKeyword, regex: ri})
			}
		default:
			r.Validation = "a host name ending in one of the configured domains"
			for _, d := range p.Domains {
				wild := strings.HasPrefix(d, "*.")
				s := strings.TrimPrefix(strings.TrimPrefix(d, "*."), ".")
				if !domainSuffix(s) {
					return nil, nil, fmt.Errorf("pii: pattern %s: bad domain %q", p.ID, d)
				}
				addKw(s, orgEntry{rule: r, kind: kDomain, wildcard: wild})
			}
		}
		rules = append(rules, r)
	}
	if len(kws) > 0 {
		m.ac = ahocorasick.New(kws)
	}
	return m, rules, nil
}

func wordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c >= 0x80
}

// domainSuffix checks a domain written without wildcard: labels of
// letters, digits and inner hyphens.
func domainSuffix(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !hostByte(l[i]) {
				return false
			}
		}
	}
	return true
}

// scan appends the organisation matches in b.
func (m *orgMatcher) scan(b []byte, out *[]cand) {
	var windows [][]group // per regex: line windows around keyword hits
	if m.ac != nil {
		m.ac.Scan(b, func(kw, end int) {
			start := end - m.ac.KeywordLen(kw)
			for _, en := range m.entries[kw] {
				switch en.kind {
				case kTerm:
					if en.word[0] && start > 0 && wordByte(b[start-1]) || en.word[1] && end < len(b) && wordByte(b[end]) {
						continue
					}
					*out = append(*out, cand{rule: en.rule, start: start, end: end})
				case kDomain:
					if s := domainStart(b, start, end, en.wildcard); s >= 0 {
						*out = append(*out, cand{rule: en.rule, start: s, end: end})
					}
				case kKeyword:
					if windows == nil {
						windows = make([][]group, len(m.regexes))
					}
					w := windows[en.regex]
					if k := len(w); k > 0 && start <= w[k-1].e {
						// On the current window's line: extend it from where
						// it ends, so every byte is looked at once however
						// many hits the line holds.
						t, limit := w[k-1].e, min(len(b), end+maxLine)
						for t < limit && b[t] != '\n' {
							t++
						}
						w[k-1].e = max(w[k-1].e, t)
						continue
					}
					ws, we := lineAround(b, start, end)
					windows[en.regex] = append(w, group{ws, we})
				}
			}
		})
	}
	for ri, r := range m.regexes {
		if !r.keyed {
			for _, loc := range r.re.FindAllIndex(b, -1) {
				if loc[0] < loc[1] {
					*out = append(*out, cand{rule: r.rule, start: loc[0], end: loc[1]})
				}
			}
			continue
		}
		if windows == nil {
			continue
		}
		for _, w := range windows[ri] {
			for _, loc := range r.re.FindAllIndex(b[w.s:w.e], -1) {
				if loc[0] < loc[1] {
					*out = append(*out, cand{rule: r.rule, start: w.s + loc[0], end: w.s + loc[1]})
				}
			}
		}
	}
}

// domainStart returns where the host name ending in the domain suffix
// at b[start:end] begins, or -1 when the hit is not a whole-label suffix
// of a host name ending at end.
func domainStart(b []byte, start, end int, wildcard bool) int {
	if end < len(b) && (hostByte(b[end]) && b[end] != '.' || b[end] == '_') {
		return -1
	}
	if end+1 < len(b) && b[end] == '.' && wordByte(b[end+1]) {
		return -1 // corp.example.com
	}
	s := start
	if s > 0 && b[s-1] == '.' {
		s--
		for s > 0 && hostByte(b[s-1]) {
			s--
		}
		for s < start && (b[s] == '.' || b[s] == '-') {
			s++
		}
	} else if s > 0 && (hostByte(b[s-1]) || b[s-1] == '_') {
		return -1 // mycorp.example
	}
	if wildcard && s == start {
		return -1
	}
	return s
}

// maxLine bounds a regex window on either side of a keyword hit.
const maxLine = 4096

// lineAround returns the line holding b[start:end], at most maxLine
// bytes either side.
func lineAround(b []byte, start, end int) (int, int) {
	s := start
	for s > 0 && start-s < maxLine && b[s-1] != '\n' {
		s--
	}
	t := end
	for t < len(b) && t-end < maxLine && b[t] != '\n' {
		t++
	}
	return s, t
}

// leadingLiteral returns the literal of three or more characters every
// match of the expression starts with (after anchors and word
// boundaries), when no match can hold a line break; "" otherwise. Such
// a literal serves as the pattern's keyword: the expression then runs
// only on the lines holding it, with the same matches.
func leadingLiteral(expr string) string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return ""
	}
	re = re.Simplify()
	if canMatchNewline(re) {
		return ""
	}
	for re.Op == syntax.OpCapture && len(re.Sub) == 1 {
		re = re.Sub[0]
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	for _, sub := range subs {
		for sub.Op == syntax.OpCapture && len(sub.Sub) == 1 {
			sub = sub.Sub[0]
		}
		switch sub.Op {
		case syntax.OpWordBoundary, syntax.OpBeginLine, syntax.OpBeginText, syntax.OpEmptyMatch:
			continue
		case syntax.OpLiteral:
			lit := string(sub.Rune)
			if sub.Flags&syntax.FoldCase != 0 && strings.IndexFunc(lit, func(r rune) bool { return r >= 0x80 }) >= 0 {
				return "" // the automaton folds ASCII letters only
			}
			if len(lit) >= 3 && !strings.ContainsAny(lit, "\n\r") {
				return lit
			}
		}
		return ""
	}
	return ""
}

// canMatchNewline reports whether any part of the expression can match
// a line feed.
func canMatchNewline(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpAnyChar:
		return true
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r == '\n' {
				return true
			}
		}
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= '\n' && '\n' <= re.Rune[i+1] {
				return true
			}
		}
	}
	for _, sub := range re.Sub {
		if canMatchNewline(sub) {
			return true
		}
	}
	return false
}

// asciiLower lower-cases the ASCII letters of s and leaves other bytes.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
