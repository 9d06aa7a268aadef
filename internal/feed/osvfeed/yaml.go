package osvfeed

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// maxDepth bounds the nesting of a YAML record.
const maxDepth = 64

// YAMLToJSON converts an OSV record written in YAML to JSON.
//
// Every field of the OSV schema outside database_specific and
// ecosystem_specific is a string, so a plain scalar there keeps its text
// as written: versions: [1.10] is the version "1.10", not the float 1.1,
// and an unquoted timestamp stays the RFC 3339 text the schema wants.
// Inside database_specific and ecosystem_specific, numbers, booleans and
// nulls keep their YAML types. Null is null everywhere. Aliases and merge
// keys are refused (so a small file cannot expand into a huge one), as
// are duplicate keys and more than one document.
func YAMLToJSON(data []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("yaml parser failed: %v", r)
		}
	}()
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("yaml: %s", firstLine(err.Error()))
	}
	var body ast.Node
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		if body != nil {
			return nil, errors.New("yaml: more than one document")
		}
		body = d.Body
	}
	if body == nil {
		return nil, errors.New("yaml: empty document")
	}
	v, err := yamlValue(body, false, 0)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func yamlValue(n ast.Node, typed bool, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("yaml: nested deeper than %d%s", maxDepth, at(n))
	}
	switch n := n.(type) {
	case nil:
		return nil, nil
	case *ast.NullNode:
		return nil, nil
	case *ast.TagNode:
		return yamlValue(n.Value, typed, depth+1)
	case *ast.AnchorNode:
		return yamlValue(n.Value, typed, depth+1)
	case *ast.AliasNode:
		return nil, fmt.Errorf("yaml: aliases are not supported%s", at(n))
	case *ast.MergeKeyNode:
		return nil, fmt.Errorf("yaml: merge keys are not supported%s", at(n))
	case *ast.CommentGroupNode, *ast.CommentNode:
		return nil, nil
	case *ast.MappingNode:
		return yamlMapping(n.Values, typed, depth)
	case *ast.MappingValueNode:
		return yamlMapping([]*ast.MappingValueNode{n}, typed, depth)
	case *ast.SequenceNode:
		out := make([]any, 0, len(n.Values))
		for _, e := range n.Values {
			v, err := yamlValue(e, typed, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case *ast.StringNode:
		return n.Value, nil
	case *ast.LiteralNode:
		if n.Value == nil {
			return "", nil
		}
		return n.Value.Value, nil
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		text := ""
		if t := n.GetToken(); t != nil {
			text = t.Value
		}
		if !typed {
			return text, nil
		}
		switch n := n.(type) {
		case *ast.BoolNode:
			return n.Value, nil
		case *ast.IntegerNode, *ast.FloatNode:
			if json.Valid([]byte(text)) {
				if _, err := strconv.ParseFloat(text, 64); err == nil {
					return json.Number(text), nil
				}
			}
		}
		return text, nil
	}
	return nil, fmt.Errorf("yaml: unsupported %s node%s", n.Type(), at(n))
}

func yamlMapping(values []*ast.MappingValueNode, typed bool, depth int) (any, error) {
	out := make(map[string]any, len(values))
	for _, mv := range values {
		var k ast.Node = mv.Key
		if mk, ok := k.(*ast.MappingKeyNode); ok {
			k = mk.Value
		}
		if _, ok := k.(*ast.MergeKeyNode); ok {
			return nil, fmt.Errorf("yaml: merge keys are not supported%s", at(k))
		}
		kv, err := yamlValue(k, false, depth+1)
		if err != nil {
			return nil, err
		}
		key, ok := kv.(string)
		if !ok {
			return nil, fmt.Errorf("yaml: a key is not a scalar%s", at(mv))
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("yaml: duplicate key %q%s", key, at(mv))
		}
		v, err := yamlValue(mv.Value, typed || key == "database_specific" || key == "ecosystem_specific", depth+1)
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
	return out, nil
}

// at names a node's line, for messages.
func at(n ast.Node) string {
	if n == nil {
		return ""
	}
	if t := n.GetToken(); t != nil && t.Position != nil {
		return fmt.Sprintf(" (line %d)", t.Position.Line)
	}
	return ""
}

// firstLine returns the first line of a message: the YAML parser's errors
// go on with an excerpt of the source.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}
