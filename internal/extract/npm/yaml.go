package npm

import (
	"errors"
	"fmt"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// errNotMapping: a YAML document whose top level is not a mapping.
var errNotMapping = errors.New("not a YAML mapping")

// parseYAML parses a one-document YAML file into its top-level mapping.
// Only the syntax tree is used: values are read node by node and aliases
// are never expanded, so a hostile file cannot blow up through anchors.
// A panic inside the parser becomes an error.
func parseYAML(data []byte) (m []*ast.MappingValueNode, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("yaml parser failed: %v", r)
		}
	}()
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, err
	}
	if len(f.Docs) == 0 || f.Docs[0] == nil || f.Docs[0].Body == nil {
		return nil, nil
	}
	m, ok := mapping(f.Docs[0].Body)
	if !ok {
		return nil, errNotMapping
	}
	return m, nil
}

// mapping returns the entries of a mapping node.
func mapping(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch n := n.(type) {
	case *ast.MappingNode:
		return n.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{n}, true
	}
	return nil, false
}

// scalar returns the text of a scalar node: a string's value, or the
// literal text of a number, boolean or null.
func scalar(n ast.Node) (string, bool) {
	switch n := n.(type) {
	case nil:
		return "", false
	case *ast.StringNode:
		return n.Value, true
	case *ast.LiteralNode:
		if n.Value != nil {
			return n.Value.Value, true
		}
		return "", false
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NullNode, *ast.InfinityNode, *ast.NanNode:
		if t := n.GetToken(); t != nil {
			return t.Value, true
		}
	}
	return "", false
}

// keyOf returns a mapping entry's key text and line.
func keyOf(mv *ast.MappingValueNode) (string, int) {
	if mv == nil || mv.Key == nil {
		return "", 0
	}
	var k ast.Node = mv.Key
	if mk, ok := k.(*ast.MappingKeyNode); ok {
		k = mk.Value
	}
	s, _ := scalar(k)
	line := 0
	if t := k.GetToken(); t != nil && t.Position != nil {
		line = t.Position.Line
	}
	return s, line
}

// fields reads the scalar fields of a mapping node, by key.
func fields(n ast.Node) map[string]string {
	m, ok := mapping(n)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(m))
	for _, mv := range m {
		k, _ := keyOf(mv)
		if v, ok := scalar(mv.Value); ok {
			out[k] = v
		}
	}
	return out
}

// child returns the value under key in a mapping node.
func child(n ast.Node, key string) ast.Node {
	m, _ := mapping(n)
	for _, mv := range m {
		if k, _ := keyOf(mv); k == key {
			return mv.Value
		}
	}
	return nil
}
