package npmadvisory

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pavesec/pave/internal/feed"
)

// maxRangeLen bounds a range string (node-semver allows 256 per version).
const maxRangeLen = 4096

var (
	orRE     = regexp.MustCompile(`\s*\|\|\s*`)
	hyphenRE = regexp.MustCompile(`^(\S+)\s+-\s+(\S+)$`)
	// opSpaceRE joins an operator to its version: "<= 1.2" → "<=1.2"
	// (node-semver's comparator, tilde and caret trims).
	opSpaceRE = regexp.MustCompile(`(~>?|\^|[<>]=?|=)\s+`)
	// comparatorRE is one comparator in node-semver's loose grammar.
	comparatorRE = regexp.MustCompile(`^(~>?|\^|<=|>=|<|>|=)?=?v?` + partial + `$`)
	partialRE    = regexp.MustCompile(`^=?v?` + partial + `$`)
)

// partial is node-semver's partial version: X-ranges and an optional
// prerelease and build on a full version.
const partial = `(\d+|[xX*])(?:\.(\d+|[xX*])(?:\.(\d+|[xX*])(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?)?)?`

// version is a parsed partial: numbers, and how many of them are given
// (0 for "*", 1 for "1" or "1.x", 2 for "1.2", 3 for a full version).
type version struct {
	major, minor, patch, pre string
	given                    int
}

func parsePartial(m []string) (version, error) {
	v := version{major: m[0], minor: m[1], patch: m[2], pre: m[3]}
	for _, n := range []string{v.major, v.minor, v.patch} {
		if n == "" || n == "x" || n == "X" || n == "*" {
			break
		}
		if len(n) > 1 && n[0] == '0' {
			return v, fmt.Errorf("%q has a leading zero", n)
		}
		if len(n) > 16 {
			return v, fmt.Errorf("%q is too large", n)
		}
		v.given++
	}
	if v.pre != "" && v.given < 3 {
		return v, fmt.Errorf("a prerelease on a partial version")
	}
	return v, nil
}

// low is the least version a partial stands for: the full version, or
// for "1.2" the least prerelease of 1.2.0, "1.2.0-0" (node-semver's
// lower bounds with includePrerelease).
func (v version) low() string {
	if v.given < 3 {
		return v.full() + "-0"
	}
	return v.full()
}

// full is the version with missing numbers as 0: "1.2.0".
func (v version) full() string {
	s := v.major + "." + zero(v.minor, v.given > 1) + "." + zero(v.patch, v.given > 2)
	if v.pre != "" {
		s += "-" + v.pre
	}
	return s
}

func zero(n string, given bool) string {
	if given {
		return n
	}
	return "0"
}

// next returns the least version of the next major (i = 0) or minor
// (i = 1) or patch (i = 2): "2.0.0-0", node-semver's upper bound for
// X-ranges, tildes and carets.
func (v version) next(i int) string {
	nums := []string{v.major, zero(v.minor, v.given > 1), zero(v.patch, v.given > 2)}
	nums[i] = incDecimal(nums[i])
	for j := i + 1; j < 3; j++ {
		nums[j] = "0"
	}
	return strings.Join(nums, ".") + "-0"
}

// ParseRange returns the versions a node-semver range admits, by SemVer
// precedence. It reads the grammar of node-semver's loose mode ("||",
// hyphen ranges, X-ranges, "~", "~>", "^", comparators with blanks after
// the operator, a leading "v" or "="), expanding each construct as
// node-semver does with its includePrerelease option ("^1.2.3" is
// ">=1.2.3 <2.0.0-0", "<=1.2" is "<1.3.0-0", "1.x" is ">=1.0.0-0
// <2.0.0-0"): a prerelease is admitted by its position alone, as OSV
// events admit it. Without that option, node-semver would not let
// "<2.0.0" match "2.0.0-rc.1"; OSV has no way to say so.
func ParseRange(o feed.Intervals, s string) (feed.VersionSet, error) {
	if len(s) > maxRangeLen {
		return nil, fmt.Errorf("range longer than %d bytes", maxRangeLen)
	}
	var sets []feed.VersionSet
	for _, alt := range orRE.Split(strings.TrimSpace(s), -1) {
		set, err := parseAlternative(o, alt)
		if err != nil {
			return nil, err
		}
		sets = append(sets, set)
	}
	return o.Union(sets...), nil
}

// parseAlternative reads one side of "||": a hyphen range or comparators
// that must all hold.
func parseAlternative(o feed.Intervals, alt string) (feed.VersionSet, error) {
	alt = strings.TrimSpace(alt)
	if alt == "" {
		return o.Set(feed.Everything()), nil
	}
	if m := hyphenRE.FindStringSubmatch(alt); m != nil {
		return hyphen(o, m[1], m[2])
	}
	alt = opSpaceRE.ReplaceAllString(alt, "$1")
	var sets []feed.VersionSet
	for _, c := range strings.Fields(alt) {
		iv, err := comparator(c)
		if err != nil {
			return nil, err
		}
		sets = append(sets, o.Set(iv...))
	}
	return o.Intersect(sets...), nil
}

// hyphen reads "A - B": from A (partial: its lowest version) to B
// (partial: below the next one; full: inclusive).
func hyphen(o feed.Intervals, a, b string) (feed.VersionSet, error) {
	ma, mb := partialRE.FindStringSubmatch(a), partialRE.FindStringSubmatch(b)
	if ma == nil || mb == nil {
		return nil, fmt.Errorf("%q is not a node-semver range", a+" - "+b)
	}
	from, err := parsePartial(ma[1:])
	if err != nil {
		return nil, fmt.Errorf("%q: %w", a, err)
	}
	to, err := parsePartial(mb[1:])
	if err != nil {
		return nil, fmt.Errorf("%q: %w", b, err)
	}
	iv := feed.Everything()
	switch {
	case from.given == 0:
	case from.pre == "":
		// node-semver's hyphen ranges admit the prereleases of a full
		// lower end too: "1.2.3 - 2" starts at 1.2.3-0.
		iv.Lo = feed.Bound{Version: from.full() + "-0", Inclusive: true}
	default:
		iv.Lo = feed.Bound{Version: from.full(), Inclusive: true}
	}
	switch to.given {
	case 0:
	case 1, 2:
		iv.Hi = feed.Bound{Version: to.next(to.given - 1)}
	default:
		iv.Hi = feed.Bound{Version: to.full(), Inclusive: true}
	}
	return o.Set(iv), nil
}

// comparator expands one comparator into intervals.
func comparator(c string) ([]feed.Interval, error) {
	m := comparatorRE.FindStringSubmatch(c)
	if m == nil {
		return nil, fmt.Errorf("%q is not a node-semver comparator", c)
	}
	op := m[1]
	v, err := parsePartial(m[2:])
	if err != nil {
		return nil, fmt.Errorf("%q: %w", c, err)
	}
	all := []feed.Interval{feed.Everything()}
	span := func(lo, hi string) []feed.Interval { // [lo, hi)
		return []feed.Interval{{Lo: feed.Bound{Version: lo, Inclusive: true}, Hi: feed.Bound{Version: hi}}}
	}
	if v.given == 0 { // "*", "x", ">=*"…
		if op == "<" || op == ">" {
			return nil, nil
		}
		return all, nil
	}
	switch op {
	case "", "=":
		if v.given == 3 {
			return []feed.Interval{feed.Exactly(v.full())}, nil
		}
		return span(v.low(), v.next(v.given-1)), nil
	case ">":
		if v.given == 3 {
			return []feed.Interval{feed.Above(v.full())}, nil
		}
		return []feed.Interval{feed.AtLeast(v.next(v.given - 1))}, nil
	case ">=":
		return []feed.Interval{feed.AtLeast(v.low())}, nil
	case "<":
		if v.given == 3 {
			return []feed.Interval{feed.Below(v.full())}, nil
		}
		return []feed.Interval{feed.Below(v.full() + "-0")}, nil
	case "<=":
		if v.given == 3 {
			return []feed.Interval{feed.AtMost(v.full())}, nil
		}
		return []feed.Interval{feed.Below(v.next(v.given - 1))}, nil
	case "~", "~>":
		if v.given == 1 {
			return span(v.low(), v.next(0)), nil
		}
		return span(v.low(), v.next(1)), nil
	case "^":
		switch {
		case v.major != "0" || v.given == 1:
			return span(v.low(), v.next(0)), nil
		case v.minor != "0" || v.given == 2:
			return span(v.low(), v.next(1)), nil
		}
		return span(v.low(), v.next(2)), nil
	}
	return nil, fmt.Errorf("%q: unknown operator", c)
}

// successor is the least SemVer version above v: the next patch's lowest
// prerelease after a release ("1.2.3" → "1.2.4-0"), one more identifier
// after a prerelease ("1.2.3-rc.1" → "1.2.3-rc.1.0"). Build metadata does
// not count.
func successor(v string) (string, bool) {
	v, _, _ = strings.Cut(v, "+")
	if strings.Contains(v, "-") {
		return v + ".0", true
	}
	nums := strings.Split(v, ".")
	if len(nums) != 3 {
		return "", false
	}
	nums[2] = incDecimal(nums[2])
	return strings.Join(nums, ".") + "-0", true
}

// incDecimal adds one to a string of decimal digits.
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
