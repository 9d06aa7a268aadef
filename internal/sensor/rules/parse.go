package rules

import (
	"errors"
	"fmt"
	"strings"
)

// The condition grammar, after libsinsp's filter parser:
//
//	expr   = and { "or" and }
//	and    = not { "and" not }
//	not    = "not" not | atom
//	atom   = "(" expr ")" | field unop | field binop value | field listop list | macro
//	list   = "(" [ value { "," value } ] ")"
//	value  = quoted string | bare string
//
// A field is a dotted name with an optional [argument]; a macro is a name
// without a dot. Keywords and word operators need a word boundary.

// node is a parsed condition.
type node interface{ isNode() }

type andNode struct{ kids []node }
type orNode struct{ kids []node }
type notNode struct{ kid node }

// macroRef names a macro, expanded at compile time.
type macroRef struct {
	name string
}

// cmpNode is one comparison: field op value(s).
type cmpNode struct {
	field  string // "proc.aname"
	arg    string // "2" in proc.aname[2]
	hasArg bool
	op     string
	values []value // one for binary operators, any number for list operators
}

// value is one operand; a bare value may name a list.
type value struct {
	text   string
	quoted bool
}

func (andNode) isNode()  {}
func (orNode) isNode()   {}
func (notNode) isNode()  {}
func (macroRef) isNode() {}
func (cmpNode) isNode()  {}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

// errSyntax marks condition syntax errors.
var errSyntax = errors.New("syntax error")

type condParser struct {
	s     string
	pos   int
	depth int
}

// parseCondition parses a condition string.
func parseCondition(s string) (node, error) {
	p := &condParser{s: s}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.s) {
		return nil, p.errf("unexpected %q", p.rest(12))
	}
	return n, nil
}

func (p *condParser) errf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", errSyntax, p.pos, fmt.Sprintf(format, args...))
}

func (p *condParser) rest(n int) string {
	r := p.s[p.pos:]
	if len(r) > n {
		r = r[:n] + "…"
	}
	return r
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *condParser) space() {
	for p.pos < len(p.s) && isSpace(p.s[p.pos]) {
		p.pos++
	}
}

// word reports whether the keyword kw starts at the current position and
// ends at a word boundary; it consumes it when it does.
func (p *condParser) word(kw string) bool {
	p.space()
	if !strings.HasPrefix(p.s[p.pos:], kw) {
		return false
	}
	end := p.pos + len(kw)
	if end < len(p.s) && (isIdent(p.s[end]) || p.s[end] == '.') {
		return false
	}
	p.pos = end
	return true
}

func (p *condParser) expr() (node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, p.errf("nesting deeper than %d", maxDepth)
	}
	first, err := p.and()
	if err != nil {
		return nil, err
	}
	kids := []node{first}
	for p.word("or") {
		n, err := p.and()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return orNode{kids}, nil
}

func (p *condParser) and() (node, error) {
	first, err := p.not()
	if err != nil {
		return nil, err
	}
	kids := []node{first}
	for p.word("and") {
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return andNode{kids}, nil
}

func (p *condParser) not() (node, error) {
	if p.word("not") {
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, p.errf("nesting deeper than %d", maxDepth)
		}
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	}
	return p.atom()
}

// Operators, longest first where one is a prefix of another.
var symbolOps = []string{"==", "!=", "<=", ">=", "=", "<", ">"}

var wordOps = []string{
	"bstartswith", "startswith", "endswith", "icontains", "bcontains", "contains",
	"intersects", "iglob", "glob", "pmatch", "exists", "regex", "in",
}

// listOps take a parenthesised list.
var listOps = map[string]bool{"in": true, "intersects": true, "pmatch": true}

func (p *condParser) atom() (node, error) {
	p.space()
	if p.pos >= len(p.s) {
		return nil, p.errf("unexpected end of condition")
	}
	if p.s[p.pos] == '(' {
		p.pos++
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.pos >= len(p.s) || p.s[p.pos] != ')' {
			return nil, p.errf("missing )")
		}
		p.pos++
		return n, nil
	}
	start := p.pos
	for p.pos < len(p.s) && (isIdent(p.s[p.pos]) || p.s[p.pos] == '.') {
		p.pos++
	}
	name := p.s[start:p.pos]
	if name == "" || !isLetter(name[0]) {
		p.pos = start
		return nil, p.errf("expected a field or macro, found %q", p.rest(12))
	}
	if !strings.Contains(name, ".") {
		switch name {
		case "and", "or", "not":
			p.pos = start
			return nil, p.errf("unexpected %q", name)
		}
		return macroRef{name: name}, nil
	}
	c := cmpNode{field: name}
	if p.pos < len(p.s) && p.s[p.pos] == '[' {
		end := strings.IndexByte(p.s[p.pos:], ']')
		if end < 0 {
			return nil, p.errf("missing ] after field argument")
		}
		c.arg, c.hasArg = p.s[p.pos+1:p.pos+end], true
		p.pos += end + 1
	}
	op, err := p.operator()
	if err != nil {
		return nil, err
	}
	c.op = op
	switch {
	case op == "exists":
	case listOps[op]:
		vs, err := p.list()
		if err != nil {
			return nil, err
		}
		c.values = vs
	default:
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		c.values = []value{v}
	}
	return c, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

func (p *condParser) operator() (string, error) {
	p.space()
	for _, op := range symbolOps {
		if strings.HasPrefix(p.s[p.pos:], op) {
			p.pos += len(op)
			return op, nil
		}
	}
	for _, op := range wordOps {
		if p.word(op) {
			return op, nil
		}
	}
	return "", p.errf("expected an operator, found %q", p.rest(12))
}

func (p *condParser) list() ([]value, error) {
	p.space()
	if p.pos >= len(p.s) || p.s[p.pos] != '(' {
		return nil, p.errf("expected ( to open a list")
	}
	p.pos++
	var vs []value
	for {
		p.space()
		if p.pos < len(p.s) && p.s[p.pos] == ')' {
			p.pos++
			return vs, nil
		}
		if len(vs) > 0 {
			if p.pos >= len(p.s) || p.s[p.pos] != ',' {
				return nil, p.errf("expected , or ) in list")
			}
			p.pos++
			p.space()
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
}

// value reads a quoted or bare string.
func (p *condParser) value() (value, error) {
	p.space()
	if p.pos >= len(p.s) {
		return value{}, p.errf("expected a value, found the end")
	}
	if q := p.s[p.pos]; q == '"' || q == '\'' {
		s, n, err := unquote(p.s[p.pos:])
		if err != nil {
			return value{}, p.errf("%v", err)
		}
		p.pos += n
		return value{text: s, quoted: true}, nil
	}
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if isSpace(c) || c == '(' || c == ')' || c == ',' || c == '"' || c == '\'' {
			break
		}
		p.pos++
	}
	if p.pos == start {
		return value{}, p.errf("expected a value, found %q", p.rest(12))
	}
	if p.pos < len(p.s) && p.s[p.pos] == '(' {
		return value{}, p.errf("field transformers and val() are not supported: %q", p.s[start:p.pos+1])
	}
	return value{text: p.s[start:p.pos]}, nil
}

// unquote reads a string quoted with ' or " at the start of s, with
// backslash escapes, and returns it and the bytes consumed.
func unquote(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(s[i])
			}
		case c == q:
			return b.String(), i + 1, nil
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, errors.New("unterminated string")
}

// listItem turns one item of a YAML list into a value: Falco substitutes
// list items into the condition text, so an item written with its own
// quotes ('"sh -c whoami"') is a quoted string.
func listItem(s string) value {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') {
		if u, n, err := unquote(s); err == nil && n == len(s) {
			return value{text: u, quoted: true}
		}
	}
	return value{text: s}
}
