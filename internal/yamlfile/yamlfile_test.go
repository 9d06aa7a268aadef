package yamlfile

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		docs int    // documents in the tree, when there is no error
		want *Error // nil means success
	}{
		{"empty", "", 1, nil},
		{"mapping", "a: 1\nb: [x, y]\n", 1, nil},
		{"two documents", "---\na\n---\nb\n", 2, nil},
		{"unclosed list", "a: 1\nb: [1, 2\nc: 3\n", 0, &Error{Line: 3, Msg: "',' or ']' must be specified"}},
		{"duplicate key", "a: 1\na: 2\n", 0, &Error{Line: 2, Msg: `mapping key "a" already defined at [1:1]`}},
		{"tab", "a: 1\n\tb: 2\n", 0, &Error{Line: 2, Msg: "found character '\t' that cannot start any token"}},
		{"unclosed quote", "a: 'x\n", 0, &Error{Line: 1, Msg: "could not find end character of single-quoted text"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse([]byte(tc.data))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if len(f.Docs) != tc.docs {
					t.Errorf("Parse returned %d documents, want %d", len(f.Docs), tc.docs)
				}
				return
			}
			if f != nil {
				t.Error("Parse returned a tree with its error")
			}
			var got *Error
			if !errors.As(err, &got) {
				t.Fatalf("Parse error %v (%T) is not an *Error", err, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	for _, tc := range []struct {
		err  *Error
		want string
	}{
		{&Error{Line: 4, Msg: "bad"}, "line 4: invalid YAML: bad"},
		{&Error{Msg: "bad"}, "invalid YAML: bad"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestLine(t *testing.T) {
	f, err := Parse([]byte("a: 1\nb:\n  - x\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := f.Docs[0].Body.(*ast.MappingNode)
	if !ok || len(m.Values) != 2 {
		t.Fatalf("body is %T, want a mapping of two keys", f.Docs[0].Body)
	}
	seq, ok := m.Values[1].Value.(*ast.SequenceNode)
	if !ok || len(seq.Values) != 1 {
		t.Fatalf("b is %T, want a list of one", m.Values[1].Value)
	}
	for _, tc := range []struct {
		name string
		n    ast.Node
		want int
	}{
		{"nil", nil, 0},
		{"first key", m.Values[0].Key, 1},
		{"second key", m.Values[1].Key, 2},
		{"list item", seq.Values[0], 3},
	} {
		if got := Line(tc.n); got != tc.want {
			t.Errorf("Line(%s) = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// FuzzParse: no panic; a tree exactly when there is no error; every
// error is an *Error whose text is one line.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "a: 1\n", "---\na\n---\nb\n", "a: &x [*x]\n", "a: [1\n",
		"a: 1\na: 2\n", "- {a: 'b', c: \"d\\n\"}\n", "k: |\n  text\n", "%YAML 9\n---\na\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tree, err := Parse(data)
		if (tree == nil) == (err == nil) {
			t.Fatalf("Parse returned tree %v with error %v", tree != nil, err)
		}
		if err == nil {
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v (%T) is not an *Error", err, err)
		}
		if e.Line < 0 {
			t.Errorf("negative line in %v", err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("error is not one line: %q", err)
		}
	})
}

// BenchmarkParse parses a configuration of a few hundred keys.
func BenchmarkParse(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("version: 1\nrules:\n")
	for i := range 200 {
		fmt.Fprintf(&sb, "  - id: rule-%d\n    severity: high\n    paths: [/etc/%d, '/var/lib/x']\n", i, i)
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
