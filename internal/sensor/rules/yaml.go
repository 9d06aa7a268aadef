package rules

import (
	"errors"
	"fmt"

	"github.com/goccy/go-yaml/ast"

	"github.com/pavesec/pave/internal/yamlfile"
)

// A rules file is read from the YAML syntax tree so that every value keeps
// its line and aliases are never expanded (no "billion laughs").

// yval is a YAML value: a scalar, a sequence or a mapping (keys in order).
type yval struct {
	line   int
	kind   ykind
	s      string // scalar text
	quoted bool   // the scalar was a string node (not a number, bool or null)
	seq    []*yval
	keys   []string
	vals   []*yval
}

type ykind uint8

const (
	yNull ykind = iota
	yScalar
	ySeq
	yMap
)

func (v *yval) get(key string) *yval {
	for i, k := range v.keys {
		if k == key {
			return v.vals[i]
		}
	}
	return nil
}

// maxYAMLNodes bounds the values one file may hold.
const maxYAMLNodes = 1 << 20

// parseYAML parses every document of a rules file. A panic while reading
// the tree becomes an error, as one inside the parser does.
func parseYAML(data []byte) (docs []*yval, err error) {
	defer func() {
		if r := recover(); r != nil {
			docs, err = nil, fmt.Errorf("YAML parser failed: %v", r)
		}
	}()
	f, err := yamlfile.Parse(data)
	if err != nil {
		return nil, err
	}
	budget := maxYAMLNodes
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		v, err := convert(d.Body, &budget, 0)
		if err != nil {
			return nil, err
		}
		docs = append(docs, v)
	}
	return docs, nil
}

func convert(n ast.Node, budget *int, depth int) (*yval, error) {
	*budget--
	if *budget < 0 {
		return nil, errors.New("too many YAML values")
	}
	if depth > 64 {
		return nil, fmt.Errorf("line %d: YAML nested too deep", yamlfile.Line(n))
	}
	line := yamlfile.Line(n)
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return &yval{line: line}, nil
	case *ast.AnchorNode:
		return convert(v.Value, budget, depth+1)
	case *ast.AliasNode:
		return nil, fmt.Errorf("line %d: YAML aliases are not supported", line)
	case *ast.TagNode:
		return nil, fmt.Errorf("line %d: YAML tags are not supported", line)
	case *ast.MergeKeyNode:
		return nil, fmt.Errorf("line %d: YAML merge keys are not supported", line)
	case *ast.StringNode:
		return &yval{line: line, kind: yScalar, s: v.Value, quoted: true}, nil
	case *ast.LiteralNode:
		s := ""
		if v.Value != nil {
			s = v.Value.Value
		}
		return &yval{line: line, kind: yScalar, s: s, quoted: true}, nil
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return &yval{line: line, kind: yScalar, s: n.GetToken().Value}, nil
	case *ast.SequenceNode:
		out := &yval{line: line, kind: ySeq}
		for _, e := range v.Values {
			c, err := convert(e, budget, depth+1)
			if err != nil {
				return nil, err
			}
			out.seq = append(out.seq, c)
		}
		return out, nil
	case *ast.MappingNode:
		return convertMap(line, v.Values, budget, depth)
	case *ast.MappingValueNode:
		return convertMap(line, []*ast.MappingValueNode{v}, budget, depth)
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node %s", line, n.Type())
}

func convertMap(line int, mvs []*ast.MappingValueNode, budget *int, depth int) (*yval, error) {
	out := &yval{line: line, kind: yMap}
	for _, mv := range mvs {
		if mv == nil || mv.Key == nil {
			continue
		}
		var k ast.Node = mv.Key
		if mk, ok := k.(*ast.MappingKeyNode); ok {
			k = mk.Value
		}
		kv, err := convert(k, budget, depth+1)
		if err != nil {
			return nil, err
		}
		if kv.kind != yScalar {
			return nil, fmt.Errorf("line %d: a mapping key must be a plain value", yamlfile.Line(mv))
		}
		if out.get(kv.s) != nil {
			return nil, fmt.Errorf("line %d: duplicate key %q", yamlfile.Line(mv), kv.s)
		}
		val, err := convert(mv.Value, budget, depth+1)
		if err != nil {
			return nil, err
		}
		if val.line == 0 {
			val.line = yamlfile.Line(mv)
		}
		out.keys = append(out.keys, kv.s)
		out.vals = append(out.vals, val)
	}
	return out, nil
}
