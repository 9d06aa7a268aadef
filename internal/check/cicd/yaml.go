package cicd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Limits against hostile input. Real workflows and pipelines are a few
// kilobytes; the largest seen in the wild are a few hundred.
const (
	maxSize     = 2 << 20 // bytes in one file
	maxDepth    = 100     // nesting of mappings and sequences
	maxFlowNest = 256     // nesting of [ and { before parsing
	maxNodes    = 200_000 // nodes in one file
)

// kind is the shape of a node.
type kind int

const (
	scalarKind kind = iota
	mapKind
	seqKind
	nullKind
)

// node is the part of a YAML node the checks need: its shape, its scalar
// text and where it is. Aliases are not expanded: what an alias points at
// is checked where the anchor is written, once.
type node struct {
	kind    kind
	line    int
	col     int
	value   string // scalar text
	literal bool   // a block scalar (| or >): its text starts on the next line
	pairs   []pair
	items   []*node
}

// pair is one key of a mapping.
type pair struct {
	key       string
	line, col int // of the key
	val       *node
}

// get returns the value of key in a mapping, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != mapKind {
		return nil
	}
	for i := range n.pairs {
		if n.pairs[i].key == key {
			return n.pairs[i].val
		}
	}
	return nil
}

// pairOf returns the pair for key, or nil.
func (n *node) pairOf(key string) *pair {
	if n == nil || n.kind != mapKind {
		return nil
	}
	for i := range n.pairs {
		if n.pairs[i].key == key {
			return &n.pairs[i]
		}
	}
	return nil
}

// str returns a scalar's text, or "" for anything else.
func (n *node) str() string {
	if n == nil || n.kind != scalarKind {
		return ""
	}
	return n.value
}

// lineCounter returns a function giving the file line of a byte offset
// inside a scalar's text: exact for block scalars, the scalar's first line
// otherwise. Offsets must not decrease between calls, which keeps a scan
// over a long script linear.
func (n *node) lineCounter() func(off int) int {
	last, count := 0, 0
	return func(off int) int {
		if !n.literal {
			return n.line
		}
		off = min(max(off, last), len(n.value))
		count += strings.Count(n.value[last:off], "\n")
		last = off
		return n.line + 1 + count
	}
}

// errTooDeep says the document nests deeper than maxDepth.
var errTooDeep = errors.New("nesting too deep")

// parseYAML parses every document in content into nodes.
func parseYAML(content []byte) (docs []*node, err error) {
	if len(content) > maxSize {
		return nil, fmt.Errorf("file of %d bytes is over the %d-byte limit", len(content), maxSize)
	}
	if d := flowDepth(content); d > maxFlowNest {
		return nil, fmt.Errorf("flow collections nest %d deep, over the limit of %d", d, maxFlowNest)
	}
	defer func() {
		// The YAML parser is third-party code fed hostile bytes: a panic
		// in it becomes a file error rather than a crashed scan.
		if r := recover(); r != nil {
			docs, err = nil, fmt.Errorf("yaml: parser failed: %v", r)
		}
	}()
	f, err := parser.ParseBytes(content, 0)
	if err != nil {
		return nil, fmt.Errorf("yaml: %s", firstLine(err.Error()))
	}
	c := converter{}
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		n, err := c.convert(d.Body, 0)
		if err != nil {
			return nil, err
		}
		if n != nil {
			docs = append(docs, n)
		}
	}
	return docs, nil
}

type converter struct{ nodes int }

func (c *converter) convert(an ast.Node, depth int) (*node, error) {
	if an == nil {
		return nil, nil
	}
	if depth > maxDepth {
		return nil, fmt.Errorf("yaml: %w (over %d levels)", errTooDeep, maxDepth)
	}
	c.nodes++
	if c.nodes > maxNodes {
		return nil, fmt.Errorf("yaml: over %d nodes", maxNodes)
	}
	n := &node{}
	if tk := an.GetToken(); tk != nil && tk.Position != nil {
		n.line, n.col = tk.Position.Line, tk.Position.Column
	}
	switch v := an.(type) {
	case *ast.MappingNode:
		n.kind = mapKind
		for _, mv := range v.Values {
			p, err := c.pair(mv, depth)
			if err != nil {
				return nil, err
			}
			if p != nil {
				n.pairs = append(n.pairs, *p)
			}
		}
	case *ast.MappingValueNode:
		n.kind = mapKind
		p, err := c.pair(v, depth)
		if err != nil {
			return nil, err
		}
		if p != nil {
			n.pairs = append(n.pairs, *p)
		}
	case *ast.SequenceNode:
		n.kind = seqKind
		for _, it := range v.Values {
			cn, err := c.convert(it, depth+1)
			if err != nil {
				return nil, err
			}
			if cn != nil {
				n.items = append(n.items, cn)
			}
		}
	case *ast.AnchorNode:
		return c.convert(v.Value, depth+1)
	case *ast.TagNode:
		return c.convert(v.Value, depth+1)
	case *ast.AliasNode, *ast.NullNode:
		n.kind = nullKind
	case *ast.StringNode:
		n.value = v.Value
	case *ast.LiteralNode:
		n.literal = true
		if v.Value != nil {
			n.value = v.Value.Value
		}
	default:
		if tk := an.GetToken(); tk != nil {
			n.value = tk.Value
		}
	}
	return n, nil
}

func (c *converter) pair(mv *ast.MappingValueNode, depth int) (*pair, error) {
	if mv == nil || mv.Key == nil {
		return nil, nil
	}
	p := &pair{}
	if tk := mv.Key.GetToken(); tk != nil {
		p.key = tk.Value
		if tk.Position != nil {
			p.line, p.col = tk.Position.Line, tk.Position.Column
		}
	}
	if mk, ok := mv.Key.(*ast.MappingKeyNode); ok && mk.Value != nil {
		if tk := mk.Value.GetToken(); tk != nil {
			p.key = tk.Value
		}
	}
	val, err := c.convert(mv.Value, depth+1)
	if err != nil {
		return nil, err
	}
	if val == nil {
		val = &node{kind: nullKind, line: p.line, col: p.col}
	}
	p.val = val
	return p, nil
}

// flowDepth returns the deepest nesting of [ and { in content, a cheap
// guard run before the parser (which recurses on them).
func flowDepth(b []byte) int {
	depth, most := 0, 0
	for _, c := range b {
		switch c {
		case '[', '{':
			depth++
			most = max(most, depth)
		case ']', '}':
			if depth > 0 {
				depth--
			}
		case '\n':
			// Flow collections across lines are rare in CI files; a
			// newline does not reset the count, so this over-estimates.
		}
	}
	return most
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// lineIndex finds the text of a line of a file in constant time.
type lineIndex struct {
	content []byte
	starts  []int // offset of each line's first byte; built on first use
}

// text returns line n (1-based), without its newline.
func (x *lineIndex) text(n int) string {
	if x.starts == nil {
		x.starts = []int{0}
		for i, c := range x.content {
			if c == '\n' {
				x.starts = append(x.starts, i+1)
			}
		}
	}
	if n < 1 || n > len(x.starts) {
		return ""
	}
	end := len(x.content)
	if n < len(x.starts) {
		end = x.starts[n] - 1
	}
	return strings.TrimRight(string(x.content[x.starts[n-1]:end]), "\r")
}

// firstColumn returns the column of the first non-blank character of
// line n (1-based), or 1.
func (x *lineIndex) firstColumn(n int) int {
	t := x.text(n)
	return 1 + len(t) - len(strings.TrimLeft(t, " \t"))
}
