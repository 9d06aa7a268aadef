package rubysec

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pavesec/pave/internal/feed"
)

// requirementRE is one Gem::Requirement condition: an optional operator
// and a version matching Gem::Version::VERSION_PATTERN.
var requirementRE = regexp.MustCompile(`^\s*(=|!=|>=|<=|~>|>|<)?\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)\s*$`)

// gemTokenRE splits a gem version into segments, as Gem::Version does.
var gemTokenRE = regexp.MustCompile(`[0-9]+|[a-zA-Z]+`)

// requirementSet returns the versions satisfying one entry of
// patched_versions or unaffected_versions: conditions separated by
// commas, all of which must hold ("~> 5.2.4, >= 5.2.4.3").
func requirementSet(o feed.Intervals, entry string) (feed.VersionSet, error) {
	parts := strings.Split(entry, ",")
	sets := make([]feed.VersionSet, 0, len(parts))
	for _, part := range parts {
		m := requirementRE.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("%q is not a gem requirement", strings.TrimSpace(part))
		}
		op, v := m[1], m[2]
		var ivs []feed.Interval
		switch op {
		case "", "=":
			ivs = []feed.Interval{feed.Exactly(v)}
		case "!=":
			ivs = []feed.Interval{feed.Below(v), feed.Above(v)}
		case ">":
			ivs = []feed.Interval{feed.Above(v)}
		case ">=":
			ivs = []feed.Interval{feed.AtLeast(v)}
		case "<":
			ivs = []feed.Interval{feed.Below(v)}
		case "<=":
			ivs = []feed.Interval{feed.AtMost(v)}
		case "~>":
			ivs = []feed.Interval{{
				Lo: feed.Bound{Version: v, Inclusive: true},
				Hi: feed.Bound{Version: pessimisticLimit(v)},
			}}
		}
		sets = append(sets, o.Set(ivs...))
	}
	return o.Intersect(sets...), nil
}

// Bump returns Gem::Version#bump of v: the prerelease part dropped, then
// the last segment dropped (unless it is the only one), then the new last
// segment incremented: "5.2.4" → "5.3", "2.1.0.pre1" → "2.2", "5" → "6".
func Bump(v string) string {
	segs := gemTokenRE.FindAllString(strings.ReplaceAll(strings.TrimSpace(v), "-", ".pre."), -1)
	for i, s := range segs {
		if !isDigits(s) {
			segs = segs[:i]
			break
		}
	}
	if len(segs) > 1 {
		segs = segs[:len(segs)-1]
	}
	if len(segs) == 0 {
		return "1"
	}
	for i, s := range segs {
		segs[i] = strings.TrimLeft(s, "0")
		if segs[i] == "" {
			segs[i] = "0"
		}
	}
	segs[len(segs)-1] = incDecimal(segs[len(segs)-1])
	return strings.Join(segs, ".")
}

// pessimisticLimit is the exclusive upper end of "~> v". RubyGems checks
// v.release < bump, which leaves out the prereleases of the bumped
// version too ("~> 1.2" does not admit "2.0.0.beta1"). A prerelease
// segment is letters and compares as a string, "A" least, so
// bump + ".A" is below every prerelease of bump anyone publishes.
func pessimisticLimit(v string) string {
	return Bump(v) + ".A"
}

// successor is the least version above v that the interval algebra uses
// for an open lower end ("<= 1.2" patched makes (1.2, … vulnerable):
// v + ".0.0.1". RubyGems has no true successor (1.2.0.0.0.1 lies between),
// so versions strictly between v and v.0.0.1 (which nobody publishes) are
// treated as not affected.
func successor(v string) (string, bool) {
	return v + ".0.0.1", true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// incDecimal adds one to a string of decimal digits of any length.
func incDecimal(s string) string {
	b := []byte(s)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}
