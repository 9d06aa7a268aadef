package rules

import (
	"fmt"
	"strings"
	"testing"
)

// show prints a condition tree in a canonical, fully parenthesised form.
func show(n node) string {
	switch n := n.(type) {
	case andNode:
		return "(" + joinNodes(n.kids, " and ") + ")"
	case orNode:
		return "(" + joinNodes(n.kids, " or ") + ")"
	case notNode:
		return "not " + show(n.kid)
	case macroRef:
		return "@" + n.name
	case cmpNode:
		f := n.field
		if n.hasArg {
			f += "[" + n.arg + "]"
		}
		var vs []string
		for _, v := range n.values {
			if v.quoted {
				vs = append(vs, fmt.Sprintf("%q", v.text))
			} else {
				vs = append(vs, v.text)
			}
		}
		switch {
		case n.op == "exists":
			return f + " exists"
		case listOps[n.op]:
			return f + " " + n.op + " [" + strings.Join(vs, "|") + "]"
		}
		return f + " " + n.op + " " + vs[0]
	}
	return fmt.Sprintf("?%T", n)
}

func joinNodes(ns []node, sep string) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = show(n)
	}
	return strings.Join(s, sep)
}

func TestParseCondition(t *testing.T) {
	tests := []struct{ in, want string }{
		{"evt.type=execve", "evt.type = execve"},
		{"evt.type = execve and proc.name=sh", "(evt.type = execve and proc.name = sh)"},
		{"a or b and c", "(@a or (@b and @c))"},
		{"not a and b", "(not @a and @b)"},
		{"not (a or b)", "not (@a or @b)"},
		{"not not a", "not not @a"},
		{"(((a)))", "@a"},
		{"proc.name in (sh, bash, 'my shell', \"x\")", `proc.name in [sh|bash|"my shell"|"x"]`},
		{"proc.name in ()", "proc.name in []"},
		{"proc.aname[2]=runc:[0:PARENT]", "proc.aname[2] = runc:[0:PARENT]"},
		{"container.mount.dest[/var/run/docker.sock] exists", "container.mount.dest[/var/run/docker.sock] exists"},
		{"evt.arg.flags contains O_TRUNC", "evt.arg.flags contains O_TRUNC"},
		{"evt.arg[0] = 3", "evt.arg[0] = 3"},
		{"fd.name startswith /etc/ and fd.name endswith .conf", "(fd.name startswith /etc/ and fd.name endswith .conf)"},
		{"proc.tty != 0", "proc.tty != 0"},
		{"user.uid>=1000", "user.uid >= 1000"},
		{"user.uid<=1", "user.uid <= 1"},
		{"user.uid<1", "user.uid < 1"},
		{"proc.name==x", "proc.name == x"},
		{"fd.name glob '/home/*/.ssh/*'", `fd.name glob "/home/*/.ssh/*"`},
		{"proc.cmdline icontains 'BEGIN \\'RSA\\''", `proc.cmdline icontains "BEGIN 'RSA'"`},
		{"fd.name pmatch (/etc, /usr)", "fd.name pmatch [/etc|/usr]"},
		{"fd.net intersects (10.0.0.0/8)", "fd.net intersects [10.0.0.0/8]"},
		{"proc.name regex '^x.*$'", `proc.name regex "^x.*$"`},
		{"notification and orange", "(@notification and @orange)"},
		{"evt.type in (open,openat)and proc.name=a", "(evt.type in [open|openat] and proc.name = a)"},
		{"\n  spawned_process\n  and container\n", "(@spawned_process and @container)"},
	}
	for _, tc := range tests {
		n, err := parseCondition(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got := show(n); got != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestParseConditionErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "unexpected end"},
		{"a and", "unexpected end"},
		{"(a", "missing )"},
		{"a)", `unexpected ")"`},
		{"proc.name", "expected an operator"},
		{"proc.name =", "expected a value"},
		{"proc.name in sh", "expected ( to open a list"},
		{"proc.name in (a b)", "expected , or )"},
		{"proc.name = 'abc", "unterminated string"},
		{"proc.aname[2 = x", "missing ]"},
		{"proc.name = tolower(x)", "val() are not supported"},
		{"and", `unexpected "and"`},
		{"1abc", "expected a field or macro"},
		{strings.Repeat("(", 300) + "a" + strings.Repeat(")", 300), "nesting deeper"},
		{strings.Repeat("not ", 300) + "a", "nesting deeper"},
	}
	for _, tc := range tests {
		_, err := parseCondition(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.40q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"/home/*/.ssh/*", "/home/bob/.ssh/id_rsa", true},
		{"/home/*/.ssh/*", "/home/a/b/.ssh/x", true},
		{"/home/*/.ssh/*", "/root/.ssh/x", false},
		{"*.sh", "/x/run.sh", true},
		{"*.sh", "/x/run.shx", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"[abc]x", "bx", true},
		{"[!abc]x", "bx", false},
		{"[a-c]x", "cx", true},
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"a*b*c", "aXbYbZc", true},
		{"[", "[", true},
		{`\*`, "*", true},
		{"*entrypoi*", "docker-entrypoi", true},
		{"*entrypoi*", "entrypoint", true},
		{"*entrypoi*", "sh", false},
		{"/etc/*", "/etc/x", true},
		{"/etc/*", "/etcx", false},
		{"abc", "abc", true},
		{"abc", "abcd", false},
	}
	for _, tc := range tests {
		if got := glob(tc.pat, tc.s); got != tc.want {
			t.Errorf("glob(%q, %q) = %v, want %v", tc.pat, tc.s, got, tc.want)
		}
		if m := simpleGlob(tc.pat); m != nil && m(tc.s) != tc.want {
			t.Errorf("simpleGlob(%q)(%q) = %v, want %v", tc.pat, tc.s, m(tc.s), tc.want)
		}
	}
}
