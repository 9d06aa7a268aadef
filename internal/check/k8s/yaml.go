package k8s

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Limits against hostile input.
const (
	maxFileSize  = 10 << 20 // bytes
	maxDocuments = 10_000   // per file
	maxNodes     = 1 << 20  // converted nodes per file, merge-key copies included
	maxFlowDepth = 512      // nesting of [ and {, which the parser follows by recursion
)

// nodeKind is the shape of a YAML node.
type nodeKind uint8

const (
	scalarNode nodeKind = iota
	mapNode
	seqNode
	nullNode
)

// node is a YAML node reduced to what the checks read, with the line and
// column (1-based, in the whole file) where it starts. Aliases share the
// anchored node, so expanding them costs nothing.
type node struct {
	kind    nodeKind
	line    int
	col     int
	str     string // a scalar's value
	quoted  bool   // a scalar written in quotes: a string, never a bool or number
	entries []entry
	items   []*node
}

// entry is one key of a mapping.
type entry struct {
	key     string
	line    int
	col     int
	value   *node
	isMerge bool
}

// get returns the value of key in a mapping, or nil.
func (n *node) get(key string) *node {
	if e := n.entry(key); e != nil {
		return e.value
	}
	return nil
}

// entry returns the entry of key in a mapping, or nil.
func (n *node) entry(key string) *entry {
	if n == nil || n.kind != mapNode {
		return nil
	}
	for i := range n.entries {
		if n.entries[i].key == key {
			return &n.entries[i]
		}
	}
	return nil
}

// path follows keys through nested mappings.
func (n *node) path(keys ...string) *node {
	for _, k := range keys {
		n = n.get(k)
	}
	return n
}

// text returns a scalar's value, or "" for anything else.
func (n *node) text() string {
	if n == nil || n.kind != scalarNode {
		return ""
	}
	return n.str
}

// isTrue reports whether n is a YAML boolean true as Kubernetes reads it
// (sigs.k8s.io/yaml follows YAML 1.1: yes and on are true as well).
func (n *node) isTrue() bool {
	if n == nil || n.kind != scalarNode || n.quoted {
		return false
	}
	switch n.str {
	case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y":
		return true
	}
	return false
}

// isFalse reports whether n is a YAML boolean false.
func (n *node) isFalse() bool {
	if n == nil || n.kind != scalarNode || n.quoted {
		return false
	}
	switch n.str {
	case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N":
		return true
	}
	return false
}

// seq returns a sequence's items, or nil.
func (n *node) seq() []*node {
	if n == nil || n.kind != seqNode {
		return nil
	}
	return n.items
}

// doc is one YAML document of a file.
type doc struct {
	root *node
	line int // where the document starts
}

// splitDocuments cuts a stream at its "---" lines, returning each
// document's bytes and the 0-based line it starts on. A document that is
// a "---" line followed by content keeps that line. Cutting before parsing
// lets one broken document fail alone, and bounds the document count
// before any parsing.
func splitDocuments(src []byte) (parts [][]byte, lines []int, err error) {
	start, startLine, line := 0, 0, 0
	for i := 0; i < len(src); {
		end := bytes.IndexByte(src[i:], '\n')
		next := len(src)
		if end >= 0 {
			next = i + end + 1
		}
		l := src[i:next]
		if bytes.HasPrefix(l, []byte("---")) && (len(l) == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\n' || l[3] == '\r') {
			if i > start {
				parts, lines = append(parts, src[start:i]), append(lines, startLine)
			}
			start, startLine = i, line
			if len(parts) >= maxDocuments {
				return nil, nil, fmt.Errorf("more than %d YAML documents", maxDocuments)
			}
		}
		i = next
		line++
	}
	if start < len(src) {
		parts, lines = append(parts, src[start:]), append(lines, startLine)
	}
	if len(parts) > maxDocuments {
		return nil, nil, fmt.Errorf("more than %d YAML documents", maxDocuments)
	}
	return parts, lines, nil
}

// flowDepth returns how deeply [ and { nest in src, ignoring quoting: an
// upper bound, which is what the guard needs.
func flowDepth(src []byte) int {
	depth, most := 0, 0
	for _, c := range src {
		switch c {
		case '[', '{':
			depth++
			most = max(most, depth)
		case ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return most
}

// converter turns goccy/go-yaml's AST into nodes.
type converter struct {
	lineOffset int
	anchors    map[string]*node
	budget     *int
}

var errTooManyNodes = errors.New("too many YAML nodes (alias or merge-key expansion?)")

// parseDocument parses one document; lineOffset is added to every line.
func parseDocument(src []byte, lineOffset int, budget *int) (root *node, err error) {
	if d := flowDepth(src); d > maxFlowDepth {
		return nil, fmt.Errorf("line %d: flow collections nested %d deep (limit %d)", lineOffset+1, d, maxFlowDepth)
	}
	defer func() {
		// The parser is third-party code fed hostile bytes: a panic in it
		// is a bad file, not a crashed scan.
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("line %d: YAML parser failed: %v", lineOffset+1, r)
		}
	}()
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return nil, fmt.Errorf("%s", yamlError(err, lineOffset))
	}
	c := &converter{lineOffset: lineOffset, anchors: map[string]*node{}, budget: budget}
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		n, err := c.convert(d.Body)
		if err != nil {
			return nil, err
		}
		if n != nil && n.kind != nullNode {
			if root != nil {
				return nil, fmt.Errorf("line %d: more than one document between --- markers", lineOffset+1)
			}
			root = n
		}
	}
	return root, nil
}

// yamlError turns the parser's multi-line, source-quoting error into one
// line with the file's line number.
func yamlError(err error, lineOffset int) string {
	var se interface{ GetToken() *token.Token }
	msg := err.Error()
	if errors.As(err, &se) && se.GetToken() != nil && se.GetToken().Position != nil {
		p := se.GetToken().Position
		if i := strings.Index(msg, "]"); strings.HasPrefix(msg, "[") && i > 0 {
			msg = strings.TrimSpace(msg[i+1:])
		}
		msg = fmt.Sprintf("line %d column %d: %s", p.Line+lineOffset, p.Column, msg)
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return "invalid YAML: " + msg
}

func (c *converter) pos(t *token.Token) (int, int) {
	if t == nil || t.Position == nil {
		return 0, 0
	}
	return t.Position.Line + c.lineOffset, t.Position.Column
}

func (c *converter) spend(n int) error {
	*c.budget -= n
	if *c.budget < 0 {
		return errTooManyNodes
	}
	return nil
}

func (c *converter) convert(a ast.Node) (*node, error) {
	if a == nil {
		return &node{kind: nullNode}, nil
	}
	if err := c.spend(1); err != nil {
		return nil, err
	}
	switch v := a.(type) {
	case *ast.MappingNode:
		n := &node{kind: mapNode}
		n.line, n.col = c.pos(v.Start)
		if len(v.Values) > 0 {
			n.line, n.col = c.pos(v.Values[0].Key.GetToken())
		}
		for _, mv := range v.Values {
			if err := c.addEntry(n, mv); err != nil {
				return nil, err
			}
		}
		return c.merge(n)
	case *ast.MappingValueNode:
		n := &node{kind: mapNode}
		n.line, n.col = c.pos(v.Key.GetToken())
		if err := c.addEntry(n, v); err != nil {
			return nil, err
		}
		return c.merge(n)
	case *ast.SequenceNode:
		n := &node{kind: seqNode}
		n.line, n.col = c.pos(v.Start)
		for _, it := range v.Values {
			cn, err := c.convert(it)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, cn)
		}
		return n, nil
	case *ast.AnchorNode:
		n, err := c.convert(v.Value)
		if err != nil {
			return nil, err
		}
		if v.Name != nil {
			c.anchors[v.Name.String()] = n
		}
		return n, nil
	case *ast.AliasNode:
		name := ""
		if v.Value != nil {
			name = v.Value.String()
		}
		if n, ok := c.anchors[name]; ok {
			return n, nil
		}
		l, col := c.pos(v.Start)
		return nil, fmt.Errorf("line %d column %d: unknown alias *%s", l, col, name)
	case *ast.TagNode:
		return c.convert(v.Value)
	case *ast.MappingKeyNode:
		return c.convert(v.Value)
	case *ast.NullNode:
		n := &node{kind: nullNode}
		n.line, n.col = c.pos(v.GetToken())
		return n, nil
	case *ast.StringNode:
		n := &node{kind: scalarNode, str: v.Value}
		n.line, n.col = c.pos(v.Token)
		if v.Token != nil {
			n.quoted = v.Token.Type == token.SingleQuoteType || v.Token.Type == token.DoubleQuoteType
		}
		return n, nil
	case *ast.LiteralNode:
		n := &node{kind: scalarNode, quoted: true}
		n.line, n.col = c.pos(v.Start)
		if v.Value != nil {
			n.str = v.Value.Value
		}
		return n, nil
	case *ast.CommentGroupNode, *ast.CommentNode, *ast.DirectiveNode:
		return &node{kind: nullNode}, nil
	default:
		t := a.GetToken()
		n := &node{kind: scalarNode}
		n.line, n.col = c.pos(t)
		if t != nil {
			n.str = t.Value
		}
		return n, nil
	}
}

func (c *converter) addEntry(n *node, mv *ast.MappingValueNode) error {
	if mv == nil || mv.Key == nil {
		return nil
	}
	e := entry{}
	e.line, e.col = c.pos(mv.Key.GetToken())
	if mv.Key.IsMergeKey() {
		e.isMerge = true
	} else {
		k, err := c.convert(mv.Key)
		if err != nil {
			return err
		}
		e.key = k.str
	}
	v, err := c.convert(mv.Value)
	if err != nil {
		return err
	}
	e.value = v
	n.entries = append(n.entries, e)
	return nil
}

// merge applies "<<" merge keys: the merged mappings' entries are added
// where the mapping does not set the key itself.
func (c *converter) merge(n *node) (*node, error) {
	var merged []*node
	kept := n.entries[:0]
	for _, e := range n.entries {
		if !e.isMerge {
			kept = append(kept, e)
			continue
		}
		switch e.value.kind {
		case mapNode:
			merged = append(merged, e.value)
		case seqNode:
			merged = append(merged, e.value.items...)
		}
	}
	n.entries = kept
	for _, m := range merged {
		if m.kind != mapNode {
			continue
		}
		if err := c.spend(len(m.entries)); err != nil {
			return nil, err
		}
		for _, e := range m.entries {
			if n.entry(e.key) == nil {
				n.entries = append(n.entries, e)
			}
		}
	}
	return n, nil
}
