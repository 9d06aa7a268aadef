// Package yamlfile parses the YAML documents pave reads (the policy
// configuration, sensor rules files, the gateway configuration) into
// goccy/go-yaml's syntax tree, with one error shape for all of them: a
// syntax error becomes an *Error, one line, carrying the line the parser
// points at; a panic inside the parser becomes an *Error too, never a
// crash.
//
// Callers read the tree node by node and keep their own bounds (node
// budgets, nesting depth, refusing aliases so that nothing is expanded);
// this package only parses.
package yamlfile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Error is YAML the parser refused.
type Error struct {
	Line int    // 1-based line the parser points at; 0 when it gave none
	Msg  string // the parser's message, without position or source excerpt
}

// Error returns "line N: invalid YAML: message", or "invalid YAML:
// message" without a line.
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: invalid YAML: %s", e.Line, e.Msg)
	}
	return "invalid YAML: " + e.Msg
}

// parserError is implemented by the parser's errors (syntax, duplicate
// keys...); its token gives the line.
type parserError interface {
	GetToken() *token.Token
	GetMessage() string
}

// Parse parses every document data holds. Every error it returns is an
// *Error, and the file is nil with it.
func Parse(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, &Error{Msg: "parser failed: " + firstLine(fmt.Sprint(r))}
		}
	}()
	f, err = parser.ParseBytes(data, 0)
	if err != nil {
		var pe parserError
		if errors.As(err, &pe) {
			e := &Error{Msg: pe.GetMessage()}
			if tk := pe.GetToken(); tk != nil && tk.Position != nil {
				e.Line = tk.Position.Line
			}
			return nil, e
		}
		return nil, &Error{Msg: firstLine(err.Error())}
	}
	return f, nil
}

// Line returns the 1-based line of n, 0 when unknown.
func Line(n ast.Node) int {
	if n == nil {
		return 0
	}
	if t := n.GetToken(); t != nil && t.Position != nil {
		return t.Position.Line
	}
	return 0
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
