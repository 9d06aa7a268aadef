package rubysec

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// advisory is a RubySec advisory file as written, every scalar as its
// text.
type advisory struct {
	Gem, Engine, Framework, Platform, Library string
	CVE, GHSA, OSVDB                          string
	URL, Title, Date, Description, Notes      string
	CVSSv2, CVSSv3, CVSSv4                    string
	Patched, Unaffected                       []string
	Related                                   map[string][]string
}

// parseAdvisory reads an advisory from YAML. Only the syntax tree is used:
// aliases are refused, so a small file cannot expand. A panic inside the
// YAML parser becomes an error.
func parseAdvisory(data []byte) (adv *advisory, err error) {
	defer func() {
		if r := recover(); r != nil {
			adv, err = nil, fmt.Errorf("yaml parser failed: %v", r)
		}
	}()
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		msg, _, _ := strings.Cut(err.Error(), "\n")
		return nil, fmt.Errorf("yaml: %s", strings.TrimSpace(msg))
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
	m, ok := mapping(body)
	if !ok {
		return nil, errors.New("yaml: not a mapping")
	}
	adv = &advisory{}
	scalars := map[string]*string{
		"gem": &adv.Gem, "engine": &adv.Engine, "framework": &adv.Framework,
		"platform": &adv.Platform, "library": &adv.Library,
		"cve": &adv.CVE, "ghsa": &adv.GHSA, "osvdb": &adv.OSVDB,
		"url": &adv.URL, "title": &adv.Title, "date": &adv.Date,
		"description": &adv.Description, "notes": &adv.Notes,
		"cvss_v2": &adv.CVSSv2, "cvss_v3": &adv.CVSSv3, "cvss_v4": &adv.CVSSv4,
	}
	seen := map[string]bool{}
	for _, mv := range m {
		key, line, err := keyOf(mv)
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, fmt.Errorf("yaml: line %d: duplicate key %q", line, key)
		}
		seen[key] = true
		switch key {
		case "patched_versions", "unaffected_versions":
			list, err := strings1(mv.Value)
			if err != nil {
				return nil, fmt.Errorf("line %d: %s: %w", line, key, err)
			}
			if key == "patched_versions" {
				adv.Patched = list
			} else {
				adv.Unaffected = list
			}
		case "related":
			rel, ok := mapping(mv.Value)
			if !ok && !isNull(mv.Value) {
				return nil, fmt.Errorf("line %d: related: not a mapping", line)
			}
			adv.Related = map[string][]string{}
			for _, rv := range rel {
				k, l, err := keyOf(rv)
				if err != nil {
					return nil, err
				}
				list, err := strings1(rv.Value)
				if err != nil {
					return nil, fmt.Errorf("line %d: related.%s: %w", l, k, err)
				}
				adv.Related[k] = list
			}
		default:
			p, known := scalars[key]
			if !known {
				continue // fields added to the format later
			}
			s, ok := scalar(mv.Value)
			if !ok {
				return nil, fmt.Errorf("line %d: %s: not a scalar", line, key)
			}
			*p = s
		}
	}
	return adv, nil
}

// mapping returns the entries of a mapping node.
func mapping(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch n := unwrap(n).(type) {
	case *ast.MappingNode:
		return n.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{n}, true
	}
	return nil, false
}

// unwrap looks through tags and anchors.
func unwrap(n ast.Node) ast.Node {
	for range 8 {
		switch t := n.(type) {
		case *ast.TagNode:
			n = t.Value
		case *ast.AnchorNode:
			n = t.Value
		default:
			return n
		}
	}
	return n
}

func isNull(n ast.Node) bool {
	switch unwrap(n).(type) {
	case nil, *ast.NullNode:
		return true
	}
	return false
}

// scalar returns a scalar's text: a string's value, the literal text of
// a number, boolean or date; "" for null.
func scalar(n ast.Node) (string, bool) {
	switch n := unwrap(n).(type) {
	case nil, *ast.NullNode:
		return "", true
	case *ast.StringNode:
		return n.Value, true
	case *ast.LiteralNode:
		if n.Value == nil {
			return "", true
		}
		return n.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if t := n.GetToken(); t != nil {
			return t.Value, true
		}
	}
	return "", false
}

// strings1 reads a sequence of scalars; null is the empty list.
func strings1(n ast.Node) ([]string, error) {
	n = unwrap(n)
	if isNull(n) {
		return nil, nil
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		return nil, errors.New("not a list")
	}
	out := make([]string, 0, len(seq.Values))
	for _, e := range seq.Values {
		if _, alias := e.(*ast.AliasNode); alias {
			return nil, errors.New("aliases are not supported")
		}
		s, ok := scalar(e)
		if !ok {
			return nil, errors.New("not a list of strings")
		}
		out = append(out, s)
	}
	return out, nil
}

// keyOf returns a mapping entry's key and line.
func keyOf(mv *ast.MappingValueNode) (string, int, error) {
	if mv == nil || mv.Key == nil {
		return "", 0, errors.New("yaml: mapping entry without key")
	}
	var k ast.Node = mv.Key
	if mk, ok := k.(*ast.MappingKeyNode); ok {
		k = mk.Value
	}
	line := 0
	if t := k.GetToken(); t != nil && t.Position != nil {
		line = t.Position.Line
	}
	if _, ok := k.(*ast.MergeKeyNode); ok {
		return "", line, fmt.Errorf("yaml: line %d: merge keys are not supported", line)
	}
	s, ok := scalar(k)
	if !ok {
		return "", line, fmt.Errorf("yaml: line %d: key is not a scalar", line)
	}
	return s, line, nil
}
