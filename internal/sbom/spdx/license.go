package spdx

import (
	_ "embed" // the SPDX id list
	"encoding/json"
	"strings"
	"sync"
)

// idList is CycloneDX's copy of the SPDX license list: the license ids,
// sorted case-insensitively, then the exception ids, sorted again. See
// README.md.
//
//go:embed spdx.schema.json
var idList []byte

// ids is the parsed list, keyed by lower-case id. It is built once on
// first use and never changed after.
type ids struct {
	licenses   map[string]string
	exceptions map[string]string
}

var loadIDs = sync.OnceValue(func() *ids {
	var doc struct {
		Enum []string `json:"enum"`
	}
	if err := json.Unmarshal(idList, &doc); err != nil {
		panic("spdx: embedded id list: " + err.Error()) // a build defect, caught by every test
	}
	l := &ids{licenses: map[string]string{}, exceptions: map[string]string{}}
	m := l.licenses
	for i, id := range doc.Enum {
		// The exceptions start where the case-insensitive order restarts.
		if i > 0 && strings.ToLower(id) < strings.ToLower(doc.Enum[i-1]) {
			m = l.exceptions
		}
		m[strings.ToLower(id)] = id
	}
	return l
})

// LicenseID returns the canonical spelling of an SPDX license id, matched
// case-insensitively as the SPDX spec asks ("apache-2.0" → "Apache-2.0").
// Exception ids, NONE and NOASSERTION are not license ids.
func LicenseID(s string) (string, bool) {
	id, ok := loadIDs().licenses[strings.ToLower(strings.TrimSpace(s))]
	return id, ok
}

// ExceptionID returns the canonical spelling of an SPDX exception id.
func ExceptionID(s string) (string, bool) {
	id, ok := loadIDs().exceptions[strings.ToLower(strings.TrimSpace(s))]
	return id, ok
}

// Limits on expressions: licence fields are short, and these bound the
// work on hostile input.
const (
	maxExprLen   = 4096
	maxExprDepth = 32
)

// Expression reads an SPDX license expression (SPDX 2.3 Annex D): license
// ids (optionally with "+"), LicenseRef-… references, WITH an exception id, AND, OR and parentheses. Operators
// may be all upper or all lower case. It returns the expression in
// canonical form — canonical id spelling, upper-case operators, single
// spaces, only the parentheses precedence needs — and the LicenseRef
// references it names, sorted and without duplicates; ok is false when s
// is not a valid expression.
func Expression(s string) (canonical string, refs []string, ok bool) {
	if len(s) > maxExprLen {
		return "", nil, false
	}
	p := &parser{toks: tokenize(s)}
	if len(p.toks) == 0 {
		return "", nil, false
	}
	n, ok := p.or(0)
	if !ok || p.pos != len(p.toks) {
		return "", nil, false
	}
	var b strings.Builder
	n.write(&b, precOr)
	refs = n.refs(nil)
	return b.String(), sortedUnique(refs), true
}

func sortedUnique(s []string) []string {
	if len(s) < 2 {
		return s
	}
	m := make(map[string]bool, len(s))
	out := s[:0]
	for _, x := range s {
		if !m[x] {
			m[x] = true
			out = append(out, x)
		}
	}
	// Insertion sort: reference lists are tiny.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func tokenize(s string) []string {
	var toks []string
	start := -1
	flush := func(i int) {
		if start >= 0 {
			toks = append(toks, s[start:i])
			start = -1
		}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\r':
			flush(i)
		case '(', ')':
			flush(i)
			toks = append(toks, s[i:i+1])
		default:
			if start < 0 {
				start = i
			}
		}
	}
	flush(len(s))
	return toks
}

// Operator precedence, loosest first.
const (
	precOr = iota
	precAnd
	precWith
)

// node is a parsed expression: a leaf (op == "") holds a license or
// reference; otherwise op joins left and right.
type node struct {
	op          string // "", "OR", "AND", "WITH"
	leaf        string
	isRef       bool
	left, right *node
}

func (n *node) prec() int {
	switch n.op {
	case "OR":
		return precOr
	case "AND":
		return precAnd
	}
	return precWith
}

func (n *node) write(b *strings.Builder, outer int) {
	if n.op == "" {
		b.WriteString(n.leaf)
		return
	}
	paren := n.prec() < outer
	if paren {
		b.WriteByte('(')
	}
	// AND and OR are associative, so a chain needs no parentheses on the
	// left; the right operand of a chain is parenthesised only when it
	// binds looser.
	n.left.write(b, n.prec())
	b.WriteByte(' ')
	b.WriteString(n.op)
	b.WriteByte(' ')
	n.right.write(b, n.prec())
	if paren {
		b.WriteByte(')')
	}
}

func (n *node) refs(acc []string) []string {
	if n.op == "" {
		if n.isRef {
			acc = append(acc, n.leaf)
		}
		return acc
	}
	return n.right.refs(n.left.refs(acc))
}

type parser struct {
	toks []string
	pos  int
}

func (p *parser) peekOp(op string) bool {
	if p.pos >= len(p.toks) {
		return false
	}
	t := p.toks[p.pos]
	return t == op || t == strings.ToLower(op)
}

func (p *parser) binary(depth int, op string, next func(int) (*node, bool)) (*node, bool) {
	left, ok := next(depth)
	if !ok {
		return nil, false
	}
	for p.peekOp(op) {
		p.pos++
		right, ok := next(depth)
		if !ok {
			return nil, false
		}
		left = &node{op: op, left: left, right: right}
	}
	return left, true
}

func (p *parser) or(depth int) (*node, bool) { return p.binary(depth, "OR", p.and) }

func (p *parser) and(depth int) (*node, bool) { return p.binary(depth, "AND", p.with) }

func (p *parser) with(depth int) (*node, bool) {
	left, ok := p.primary(depth)
	if !ok {
		return nil, false
	}
	if !p.peekOp("WITH") {
		return left, true
	}
	if left.op != "" {
		return nil, false // WITH applies to one license, not a compound
	}
	p.pos++
	if p.pos >= len(p.toks) {
		return nil, false
	}
	exc, ok := ExceptionID(p.toks[p.pos])
	if !ok {
		return nil, false
	}
	p.pos++
	return &node{op: "WITH", left: left, right: &node{leaf: exc}}, true
}

func (p *parser) primary(depth int) (*node, bool) {
	if p.pos >= len(p.toks) || depth > maxExprDepth {
		return nil, false
	}
	t := p.toks[p.pos]
	p.pos++
	if t == "(" {
		n, ok := p.or(depth + 1)
		if !ok || p.pos >= len(p.toks) || p.toks[p.pos] != ")" {
			return nil, false
		}
		p.pos++
		return n, true
	}
	return leaf(t)
}

func leaf(t string) (*node, bool) {
	switch strings.ToUpper(t) {
	case ")", "AND", "OR", "WITH":
		return nil, false
	}
	if id, ok := LicenseID(t); ok {
		return &node{leaf: id}, true
	}
	if base, ok := strings.CutSuffix(t, "+"); ok {
		if id, ok := LicenseID(base); ok {
			return &node{leaf: id + "+"}, true
		}
	}
	if IsLicenseRef(t) {
		return &node{leaf: t, isRef: true}, true
	}
	return nil, false
}

// IsLicenseRef reports whether s is "LicenseRef-<idstring>".
// "DocumentRef-…:LicenseRef-…" is not accepted: it needs an external
// document reference that a package's licence field cannot supply.
func IsLicenseRef(s string) bool {
	r, ok := strings.CutPrefix(s, "LicenseRef-")
	return ok && isIDString(r)
}

// isIDString reports whether s is a non-empty SPDX idstring:
// [A-Za-z0-9.-]+.
func isIDString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// IDString turns s into an SPDX idstring by replacing every run of other
// characters with one '-', trimming '-' at the ends. It returns "" when
// nothing is left.
func IDString(s string) string {
	var b strings.Builder
	dash := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteByte(c)
			continue
		}
		dash = true
	}
	return b.String()
}
