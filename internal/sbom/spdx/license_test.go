package spdx

import (
	"strings"
	"testing"
)

func TestLicenseID(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"MIT", "MIT", true},
		{"mit", "MIT", true},
		{" Apache-2.0 ", "Apache-2.0", true},
		{"GPL-2.0-with-classpath-exception", "GPL-2.0-with-classpath-exception", true}, // a (deprecated) license id
		{"Classpath-exception-2.0", "", false},                                         // an exception
		{"Expat", "", false},                                                           // Debian's name for MIT
		{"GPL-3+", "", false},
		{"NOASSERTION", "", false},
		{"", "", false},
	} {
		got, ok := LicenseID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("LicenseID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if id, ok := ExceptionID("classpath-exception-2.0"); !ok || id != "Classpath-exception-2.0" {
		t.Errorf("ExceptionID = %q, %v", id, ok)
	}
}

func TestExpression(t *testing.T) {
	for _, tt := range []struct {
		in, want string // want "" means invalid
		refs     string
	}{
		{"MIT", "MIT", ""},
		{"MIT OR Apache-2.0", "MIT OR Apache-2.0", ""},
		{"mit or apache-2.0", "MIT OR Apache-2.0", ""},
		{"BSD-3-Clause OR Apache-2.0", "BSD-3-Clause OR Apache-2.0", ""},
		{"GPL-2.0-or-later WITH Classpath-exception-2.0", "GPL-2.0-or-later WITH Classpath-exception-2.0", ""},
		{"(MIT AND BSD-2-Clause) OR ISC", "MIT AND BSD-2-Clause OR ISC", ""},
		{"MIT AND (BSD-2-Clause OR ISC)", "MIT AND (BSD-2-Clause OR ISC)", ""},
		{"((MIT))", "MIT", ""},
		{"  MIT   AND\tISC ", "MIT AND ISC", ""},
		{"LGPL-2.1+", "LGPL-2.1+", ""},
		{"Apache-2.0+", "Apache-2.0+", ""},
		{"LicenseRef-Proprietary OR MIT", "LicenseRef-Proprietary OR MIT", "LicenseRef-Proprietary"},
		{"LicenseRef-B AND LicenseRef-A AND LicenseRef-B", "LicenseRef-B AND LicenseRef-A AND LicenseRef-B", "LicenseRef-A,LicenseRef-B"},
		{"DocumentRef-ext:LicenseRef-A", "", ""}, // needs externalDocumentRefs pave cannot know
		{"LicenseRef-X WITH Classpath-exception-2.0", "LicenseRef-X WITH Classpath-exception-2.0", "LicenseRef-X"},
		// Debian copyright spellings are not SPDX.
		{"GPL-1+ or Artistic", "", ""},
		{"GPL-3+ and BSD-4-clause-UC", "", ""},
		{"Expat", "", ""},
		{"MIT WITH MIT", "", ""},
		{"(MIT AND ISC) WITH Classpath-exception-2.0", "", ""},
		{"MIT AND", "", ""},
		{"MIT Or ISC", "", ""},
		{"(MIT", "", ""},
		{"MIT)", "", ""},
		{"()", "", ""},
		{"", "", ""},
		{"LicenseRef-", "", ""},
		{"LicenseRef-a_b", "", ""},
		{strings.Repeat("(", 40) + "MIT" + strings.Repeat(")", 40), "", ""},
	} {
		got, refs, ok := Expression(tt.in)
		if ok != (tt.want != "") || got != tt.want || strings.Join(refs, ",") != tt.refs {
			t.Errorf("Expression(%q) = %q, %q, %v; want %q, %q", tt.in, got, refs, ok, tt.want, tt.refs)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		in   string
		kind LicenseKind
		want string
	}{
		{"ISC", LicenseIDKind, "ISC"},
		{"BlueOak-1.0.0", LicenseIDKind, "BlueOak-1.0.0"},
		{"BSD-3-Clause OR Apache-2.0", LicenseExpression, "BSD-3-Clause OR Apache-2.0"},
		{"GPL-2.0+", LicenseIDKind, "GPL-2.0+"}, // deprecated, still on the list
		{"Apache-2.0+", LicenseExpression, "Apache-2.0+"},
		{"public-domain", LicenseName, "public-domain"},
		{" Apache ", LicenseName, "Apache"},
	} {
		kind, got := Classify(tt.in)
		if kind != tt.kind || got != tt.want {
			t.Errorf("Classify(%q) = %v, %q; want %v, %q", tt.in, kind, got, tt.kind, tt.want)
		}
	}
}

func TestIDString(t *testing.T) {
	for in, want := range map[string]string{
		"@types/node":        "types-node",
		"GPL-1+ or Artistic": "GPL-1-or-Artistic",
		"a..b":               "a..b",
		"--x--":              "x",
		"@@@":                "",
	} {
		if got := IDString(in); got != want {
			t.Errorf("IDString(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzExpression: no panic; a valid expression's canonical form is itself
// valid, canonical (a fixed point) and names the same references.
func FuzzExpression(f *testing.F) {
	for _, s := range []string{"MIT", "MIT OR (Apache-2.0 AND ISC)", "GPL-2.0+ WITH Classpath-exception-2.0",
		"LicenseRef-a OR LicenseRef-c", "((", "GPL-1+ or Artistic", "mit and isc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, refs, ok := Expression(s)
		if !ok {
			if c != "" || refs != nil {
				t.Fatalf("invalid %q gave %q %q", s, c, refs)
			}
			return
		}
		c2, refs2, ok := Expression(c)
		if !ok || c2 != c || strings.Join(refs, ",") != strings.Join(refs2, ",") {
			t.Fatalf("canonical %q of %q reparses as %q %q %v", c, s, c2, refs2, ok)
		}
	})
}

func BenchmarkClassify(b *testing.B) {
	in := []string{"MIT", "GPL-1+ or Artistic", "BSD-3-Clause OR Apache-2.0", "public-domain", "GPL-2.0-or-later WITH Classpath-exception-2.0"}
	for b.Loop() {
		for _, s := range in {
			Classify(s)
		}
	}
}
