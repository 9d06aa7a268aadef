package rubysec

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// gemOrder is Gem::Version#<=> for the tests, written from RubyGems'
// lib/rubygems/version.rb: "-" means ".pre.", segments are runs of digits
// or letters, trailing zeros of the release and the prerelease part are
// dropped, a missing segment is 0, a letter segment sorts before a number.
// The parser uses vercmp's RubyGems ordering; this one lets its tests run
// before and independently of it.
type gemOrder struct{}

var gemVersionRE = regexp.MustCompile(`^\s*[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?\s*$`)

func (gemOrder) Valid(v string) error {
	if !gemVersionRE.MatchString(v) {
		return errors.New("not a gem version")
	}
	return nil
}

func gemCanonical(v string) []string {
	segs := gemTokenRE.FindAllString(strings.ReplaceAll(strings.TrimSpace(v), "-", ".pre."), -1)
	split := len(segs)
	for i, s := range segs {
		if !isDigits(s) {
			split = i
			break
		}
	}
	trim := func(p []string) []string {
		for len(p) > 0 && isDigits(p[len(p)-1]) && strings.Trim(p[len(p)-1], "0") == "" {
			p = p[:len(p)-1]
		}
		return p
	}
	rel := trim(append([]string(nil), segs[:split]...))
	return append(rel, trim(segs[split:])...)
}

func cmpNum(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func (gemOrder) Compare(a, b string) int {
	x, y := gemCanonical(a), gemCanonical(b)
	for i := 0; i < max(len(x), len(y)); i++ {
		l, r := "0", "0"
		if i < len(x) {
			l = x[i]
		}
		if i < len(y) {
			r = y[i]
		}
		ln, rn := isDigits(l), isDigits(r)
		switch {
		case ln && rn:
			if c := cmpNum(l, r); c != 0 {
				return c
			}
		case !ln && !rn:
			if c := strings.Compare(l, r); c != 0 {
				return c
			}
		case ln:
			return 1
		default:
			return -1
		}
	}
	return 0
}

func TestGemOrder(t *testing.T) {
	// Ascending, from RubyGems' test_gem_version.rb and its examples.
	asc := []string{"0.a", "0", "0.0.1", "1.0.0.a1", "1.0.0.b1", "1.0.0.pre", "1.0.0.rc1", "1.0", "1.0.0.1", "1.0.1", "1.2.A", "1.2.a", "1.2.b1", "1.2", "1.2.0.0.1", "1.10", "2.0.0.beta", "2.0.0-alpha", "2"}
	for i := range asc {
		for j := range asc {
			got := gemOrder{}.Compare(asc[i], asc[j])
			if (i < j) != (got < 0) || (i == j) != (got == 0) {
				t.Errorf("Compare(%q, %q) = %d", asc[i], asc[j], got)
			}
		}
	}
	for _, eq := range [][2]string{{"1.0", "1.0.0"}, {"1.0.b1", "1.0.0.b1"}, {"1.0.0-1", "1.0.0.pre.1"}, {"01.2", "1.2"}} {
		if c := (gemOrder{}).Compare(eq[0], eq[1]); c != 0 {
			t.Errorf("Compare(%q, %q) = %d, want 0", eq[0], eq[1], c)
		}
	}
}
