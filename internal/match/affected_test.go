package match

import (
	"slices"
	"strings"
	"testing"

	"github.com/pavesec/pave/internal/osv"
	"github.com/pavesec/pave/internal/vercmp"
)

// events reads "i:1.0 f:1.2 l:2.0 x:3.0" (introduced, fixed,
// last_affected, limit).
func events(s string) []osv.Event {
	var out []osv.Event
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(f, ":")
		switch k {
		case "i":
			out = append(out, osv.Event{Introduced: v})
		case "f":
			out = append(out, osv.Event{Fixed: v})
		case "l":
			out = append(out, osv.Event{LastAffected: v})
		case "x":
			out = append(out, osv.Event{Limit: v})
		}
	}
	return out
}

func TestInRange(t *testing.T) {
	tests := []struct {
		events string
		v      string
		want   bool
		fixed  string
	}{
		{"i:0 f:1.2.0", "1.1.9", true, "1.2.0"},
		{"i:0 f:1.2.0", "1.2.0", false, ""},
		{"i:0 f:1.2.0", "0.0.1", true, "1.2.0"},
		{"i:1.0.0 f:1.2.0", "0.9.0", false, ""},
		{"i:1.0.0 f:1.2.0", "1.0.0", true, "1.2.0"},
		{"i:1.0.0-rc.1 f:1.2.0", "1.0.0-beta", false, ""},
		// Several intervals, in any order.
		{"i:2.0.0 f:2.5.0 i:0 f:1.5.0", "2.1.0", true, "2.5.0"},
		{"i:2.0.0 f:2.5.0 i:0 f:1.5.0", "1.7.0", false, ""},
		{"i:2.0.0 f:2.5.0 i:0 f:1.5.0", "1.4.0", true, "1.5.0"},
		// last_affected is inclusive and gives no fixed version.
		{"i:0 l:1.4.0", "1.4.0", true, ""},
		{"i:0 l:1.4.0", "1.4.1", false, ""},
		// Open-ended.
		{"i:3.0.0", "9.9.9", true, ""},
		// limit bounds the range.
		{"i:0 x:2.0.0", "1.0.0", true, ""},
		{"i:0 x:2.0.0", "2.0.0", false, ""},
		// A fix and a reintroduction at the same version is a gap of nothing.
		{"i:0 f:1.0.0 i:1.0.0 f:1.1.0", "1.0.0", true, "1.1.0"},
		// An empty interval, as RustSec writes a patched release line
		// (RUSTSEC-2024-0399, rustls: only 0.23.13 to 0.23.17 affected).
		{"i:0.23.0 f:0.23.0 i:0.23.13 f:0.23.18", "0.23.0", false, ""},
		{"i:0.23.0 f:0.23.0 i:0.23.13 f:0.23.18", "0.23.5", false, ""},
		{"i:0.23.0 f:0.23.0 i:0.23.13 f:0.23.18", "0.23.13", true, "0.23.18"},
		{"i:0.0.0-0 f:0.7.1 i:0.8.0 f:0.8.2 i:0.10.0 f:0.10.0", "0.10.0", false, ""}, // RUSTSEC-2022-0012
		// One affected version.
		{"i:1.0.0 l:1.0.0", "1.0.0", true, ""},
		{"i:1.0.0 l:1.0.0", "1.0.1", false, ""},
		// Intervals out of order that meet at a version (PYSEC-2022-42972,
		// apache-iotdb: [0.13.0, 0.14.0rc1) listed before [0.12.2, 0.13.0)).
		{"i:1.3.0 f:1.4.0 i:1.2.2 f:1.3.0", "1.3.0", true, "1.4.0"},
		{"i:1.3.0 f:1.4.0 i:1.2.2 f:1.3.0", "1.2.9", true, "1.3.0"},
		{"i:1.3.0 f:1.4.0 i:1.2.2 f:1.3.0", "1.4.0", false, ""},
		// An interval that ends before it starts keeps the timeline walk,
		// which holds its introduced version affected (GHSA-82jv-9wjw-pqh6,
		// derby; GHSA-4627-w373-375v, the malicious grunt-radical 0.0.14).
		{"i:4.0.0-beta1 f:4.0.0-beta.11", "4.0.0-beta1", true, ""},
		{"i:0.0.14 f:0.0.13", "0.0.14", true, ""},
		{"i:0.0.14 f:0.0.13", "0.0.13", false, ""},
		// Events that do not pair up fall back to the timeline walk.
		{"i:0 i:1.0.0 f:2.0.0", "1.5.0", true, "2.0.0"},
		{"i:0 f:1.0.0 f:2.0.0", "1.5.0", false, ""},
		{"f:1.0.0 i:0", "0.5.0", true, "1.0.0"},
	}
	c, err := vercmp.For("SEMVER")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		got, fixed, ok := inRange(c, events(tc.events), tc.v)
		if !ok || got != tc.want || strings.Join(fixed, ",") != tc.fixed {
			t.Errorf("inRange(%s, %s) = %v %v %v, want %v [%s]", tc.events, tc.v, got, fixed, ok, tc.want, tc.fixed)
		}
	}
	if _, _, ok := inRange(c, events("i:0 f:not-a-version"), "1.0.0"); ok {
		t.Error("an invalid event version decided the range")
	}
}

func TestEvaluateVersionsAndGit(t *testing.T) {
	a := &osv.Affected{
		Versions: []string{"0.12.2", "0.12.1"},
		Ranges: []osv.Range{
			{Type: osv.RangeGit, Repo: "https://github.com/pallets/flask", Events: events("i:0 f:abc123")},
		},
	}
	if v := evaluate(a, "PyPI", "0.12.2"); !v.affected || !v.decided {
		t.Errorf("listed version: %+v", v)
	}
	if v := evaluate(a, "PyPI", "0.12.3"); v.affected || !v.decided {
		t.Errorf("unlisted version: %+v", v)
	}
	if v := evaluate(&osv.Affected{Ranges: a.Ranges}, "PyPI", "0.12.3"); v.decided {
		t.Errorf("a GIT range alone decided: %+v", v)
	}
}

// FuzzInRange checks that evaluation agrees with a brute-force reading
// of the intervals on a sorted list of versions.
func FuzzInRange(f *testing.F) {
	f.Add("i:0 f:1.2.0", "1.1.0")
	f.Add("i:2.0.0 f:2.5.0 i:0 l:1.5.0 x:3.0.0", "1.5.0")
	f.Fuzz(func(t *testing.T, evs, v string) {
		c, _ := vercmp.For("SEMVER")
		e := events(evs)
		got, fixed, ok := inRange(c, e, v)
		if !ok {
			return
		}
		if !got && len(fixed) > 0 {
			t.Fatalf("not affected but fixed in %v", fixed)
		}
		for _, fx := range fixed {
			if c.Compare(fx, v) <= 0 {
				t.Fatalf("fixed version %s is not above %s", fx, v)
			}
			if !slices.ContainsFunc(e, func(x osv.Event) bool { return x.Fixed == fx }) {
				t.Fatalf("fixed version %s is not an event", fx)
			}
		}
	})
}
