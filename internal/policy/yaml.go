package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/pavesec/pave/internal/yamlfile"
)

// The configuration is read from the YAML syntax tree, node by node, so
// that every value keeps its line, unknown and duplicate keys are caught,
// and aliases are never expanded (no "billion laughs").

// parseYAMLDoc parses one YAML document and returns its body, nil for an
// empty document.
func parseYAMLDoc(data []byte) (ast.Node, error) {
	f, err := yamlfile.Parse(data)
	if err != nil {
		var ye *yamlfile.Error
		if errors.As(err, &ye) && ye.Line > 0 {
			return nil, &lineError{line: ye.Line, msg: "invalid YAML: " + ye.Msg}
		}
		return nil, err
	}
	var docs []ast.Node
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d.Body)
		}
	}
	switch len(docs) {
	case 0:
		return nil, nil
	case 1:
		return docs[0], nil
	}
	return nil, &lineError{line: yamlfile.Line(docs[1]), msg: "more than one YAML document"}
}

// lineError is an error at a line of the file being read.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// unwrap strips anchors (harmless: an anchor is only a name) and reports
// aliases, tags and merge keys, which a configuration file has no use for.
func unwrap(n ast.Node) (ast.Node, error) {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			return nil, &lineError{line: yamlfile.Line(v), msg: "YAML aliases (*name) are not supported"}
		case *ast.TagNode:
			return nil, &lineError{line: yamlfile.Line(v), msg: fmt.Sprintf("YAML tags (%s) are not supported", v.Start.Value)}
		case *ast.MergeKeyNode:
			return nil, &lineError{line: yamlfile.Line(v), msg: "YAML merge keys (<<) are not supported"}
		default:
			return n, nil
		}
	}
}

// entry is one key of a mapping with its value.
type entry struct {
	key   string
	line  int
	value ast.Node // nil for "key:" with nothing after it
}

// mappingEntries returns the entries of a mapping node in order, rejecting
// duplicate keys and keys that are not plain scalars. what names the
// mapping in messages.
func mappingEntries(n ast.Node, what string) ([]entry, error) {
	n, err := unwrap(n)
	if err != nil {
		return nil, err
	}
	var values []*ast.MappingValueNode
	switch v := n.(type) {
	case *ast.MappingNode:
		values = v.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{v}
	default:
		return nil, &lineError{line: yamlfile.Line(n), msg: fmt.Sprintf("%s must be a mapping, not %s", what, kindOf(n))}
	}
	out := make([]entry, 0, len(values))
	seen := make(map[string]int, len(values))
	for _, mv := range values {
		if mv == nil || mv.Key == nil {
			continue
		}
		var k ast.Node = mv.Key
		if mk, ok := k.(*ast.MappingKeyNode); ok {
			k = mk.Value
		}
		k, err := unwrap(k)
		if err != nil {
			return nil, err
		}
		key, ok := scalarText(k)
		if !ok {
			return nil, &lineError{line: yamlfile.Line(mv), msg: fmt.Sprintf("%s: keys must be plain strings", what)}
		}
		line := yamlfile.Line(k)
		if prev, dup := seen[key]; dup {
			return nil, &lineError{line: line, msg: fmt.Sprintf("%s: key %q repeats the one on line %d", what, key, prev)}
		}
		seen[key] = line
		var val ast.Node = mv.Value
		if _, null := val.(*ast.NullNode); null {
			val = nil
		}
		out = append(out, entry{key: key, line: line, value: val})
	}
	return out, nil
}

// scalarText returns the text of a scalar node as written.
func scalarText(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value != nil {
			return v.Value.Value, true
		}
		return "", true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if t := n.GetToken(); t != nil {
			return t.Value, true
		}
	}
	return "", false
}

// kindOf names a node's kind for messages.
func kindOf(n ast.Node) string {
	switch n.(type) {
	case nil, *ast.NullNode:
		return "empty"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	}
	return "a string"
}

// stringValue reads a string scalar. Numbers are accepted as their text,
// since an id or a path may look like one; booleans, lists and mappings
// are not.
func stringValue(n ast.Node, key string) (string, error) {
	n, err := unwrap(n)
	if err != nil {
		return "", err
	}
	switch n.(type) {
	case *ast.StringNode, *ast.LiteralNode, *ast.IntegerNode, *ast.FloatNode:
		s, _ := scalarText(n)
		return s, nil
	}
	return "", &lineError{line: yamlfile.Line(n), msg: fmt.Sprintf("%s must be a string, not %s", key, kindOf(n))}
}

// boolValue reads true or false.
func boolValue(n ast.Node, key string) (bool, error) {
	n, err := unwrap(n)
	if err != nil {
		return false, err
	}
	if b, ok := n.(*ast.BoolNode); ok {
		return b.Value, nil
	}
	return false, &lineError{line: yamlfile.Line(n), msg: fmt.Sprintf("%s must be true or false, not %s", key, kindOf(n))}
}

// intValue reads an integer.
func intValue(n ast.Node, key string) (int, error) {
	n, err := unwrap(n)
	if err != nil {
		return 0, err
	}
	if i, ok := n.(*ast.IntegerNode); ok {
		switch v := i.Value.(type) {
		case int64:
			return int(v), nil
		case uint64:
			if v < 1<<31 {
				return int(v), nil
			}
		}
	}
	return 0, &lineError{line: yamlfile.Line(n), msg: fmt.Sprintf("%s must be an integer, not %s", key, kindOf(n))}
}

// sequenceValues returns the items of a list.
func sequenceValues(n ast.Node, key string) ([]ast.Node, error) {
	n, err := unwrap(n)
	if err != nil {
		return nil, err
	}
	s, ok := n.(*ast.SequenceNode)
	if !ok {
		return nil, &lineError{line: yamlfile.Line(n), msg: fmt.Sprintf("%s must be a list, not %s", key, kindOf(n))}
	}
	return s.Values, nil
}

// unknownKey builds the error for a key the schema does not have,
// suggesting the known key it differs from only by case.
func unknownKey(e entry, where string, known []string) error {
	msg := fmt.Sprintf("unknown key %q in %s", e.key, where)
	for _, k := range known {
		if strings.EqualFold(k, e.key) || strings.EqualFold(strings.ReplaceAll(k, "_", ""), strings.NewReplacer("_", "", "-", "").Replace(e.key)) {
			msg += fmt.Sprintf(" (did you mean %q?)", k)
			break
		}
	}
	return &lineError{line: e.line, msg: msg + " (known: " + strings.Join(known, ", ") + ")"}
}
