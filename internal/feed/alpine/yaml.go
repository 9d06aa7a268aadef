package alpine

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// parseYAML reads the legacy YAML form into db. Only the syntax tree is
// used, so keys keep their literal text ("1.10" stays "1.10", not the
// float 1.1) and aliases are never expanded. A panic inside the YAML
// parser becomes an error.
func parseYAML(data []byte, db *secdb) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml parser failed: %v", r)
		}
	}()
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return err
	}
	if len(f.Docs) == 0 || f.Docs[0] == nil || f.Docs[0].Body == nil {
		return fmt.Errorf("empty document")
	}
	top, ok := mapping(f.Docs[0].Body)
	if !ok {
		return fmt.Errorf("line %d: top level is not a mapping", line(f.Docs[0].Body))
	}
	for _, mv := range top {
		switch key(mv) {
		case "distroversion":
			db.DistroVersion, _ = scalar(mv.Value)
		case "reponame":
			db.RepoName, _ = scalar(mv.Value)
		case "packages":
			if isNull(mv.Value) {
				continue
			}
			seq, ok := unwrap(mv.Value).(*ast.SequenceNode)
			if !ok {
				return fmt.Errorf("line %d: packages is not a list", line(mv.Value))
			}
			if len(seq.Values) > maxPackages {
				return fmt.Errorf("more than %d packages", maxPackages)
			}
			for _, item := range seq.Values {
				p, err := yamlPackage(item)
				if err != nil {
					return err
				}
				db.Packages = append(db.Packages, p)
			}
		}
	}
	return nil
}

// yamlPackage reads "- pkg: {name: …, secfixes: {release: [ids]}}".
func yamlPackage(item ast.Node) (secPackage, error) {
	var p secPackage
	p.line = line(item)
	m, ok := mapping(item)
	if !ok {
		return p, fmt.Errorf("line %d: package is not a mapping", p.line)
	}
	var pkg ast.Node
	for _, mv := range m {
		if key(mv) == "pkg" {
			pkg = mv.Value
		}
	}
	pm, ok := mapping(pkg)
	if !ok {
		return p, fmt.Errorf("line %d: package has no pkg mapping", p.line)
	}
	for _, mv := range pm {
		switch key(mv) {
		case "name":
			p.Pkg.Name, _ = scalar(mv.Value)
		case "secfixes":
			if isNull(mv.Value) {
				continue
			}
			fixes, ok := mapping(mv.Value)
			if !ok {
				return p, fmt.Errorf("line %d: secfixes is not a mapping", line(mv.Value))
			}
			if len(fixes) > maxFixes {
				return p, fmt.Errorf("line %d: more than %d releases", line(mv.Value), maxFixes)
			}
			for _, fv := range fixes {
				version := key(fv)
				var entries []string
				if !isNull(fv.Value) {
					seq, ok := unwrap(fv.Value).(*ast.SequenceNode)
					if !ok {
						return p, fmt.Errorf("line %d: release %q: not a list", line(fv.Value), version)
					}
					if len(seq.Values) > maxEntries {
						return p, fmt.Errorf("line %d: more than %d entries", line(fv.Value), maxEntries)
					}
					for _, v := range seq.Values {
						s, ok := scalar(v)
						if !ok {
							return p, fmt.Errorf("line %d: release %q: entry is not a string", line(v), version)
						}
						entries = append(entries, s)
					}
				}
				p.Pkg.Secfixes = append(p.Pkg.Secfixes, fix{version, entries})
			}
		}
	}
	return p, nil
}

// unwrap returns the node under tags and anchors.
func unwrap(n ast.Node) ast.Node {
	for i := 0; i < 8; i++ {
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
	if n == nil {
		return true
	}
	_, ok := unwrap(n).(*ast.NullNode)
	return ok
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

// scalar returns the literal text of a scalar node.
func scalar(n ast.Node) (string, bool) {
	switch n := unwrap(n).(type) {
	case nil:
		return "", false
	case *ast.StringNode:
		return n.Value, true
	case *ast.LiteralNode:
		if n.Value != nil {
			return n.Value.Value, true
		}
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if t := n.GetToken(); t != nil {
			return t.Value, true
		}
	}
	return "", false
}

// key returns a mapping entry's key text.
func key(mv *ast.MappingValueNode) string {
	if mv == nil || mv.Key == nil {
		return ""
	}
	var k ast.Node = mv.Key
	if mk, ok := k.(*ast.MappingKeyNode); ok {
		k = mk.Value
	}
	s, _ := scalar(k)
	return s
}

// line returns the line a node starts on, 0 if unknown.
func line(n ast.Node) int {
	if n == nil {
		return 0
	}
	if t := n.GetToken(); t != nil && t.Position != nil {
		return t.Position.Line
	}
	return 0
}
