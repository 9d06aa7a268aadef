package vercmp

import (
	"slices"
	"strings"
	"testing"
)

// composerNormalized is composer/semver's VersionParserTest
// successfulNormalizedVersions without the dev-* branch rows (which are
// not orderable and so invalid here).
var composerNormalized = [][2]string{
	{"1.0.0", "1.0.0.0"}, {"1.2.3.4", "1.2.3.4"}, {"1.0.0RC1dev", "1.0.0.0-RC1-dev"},
	{"1.0.0-rC15-dev", "1.0.0.0-RC15-dev"}, {"1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"},
	{"1.0.0-rc1", "1.0.0.0-RC1"}, {"1.0.0.pl3-dev", "1.0.0.0-patch3-dev"}, {"1.0-dev", "1.0.0.0-dev"},
	{"0", "0.0.0.0"}, {"99999", "99999.0.0.0"}, {"10.4.13-beta", "10.4.13.0-beta"},
	{"10.4.13beta2", "10.4.13.0-beta2"}, {"10.4.13beta.2", "10.4.13.0-beta2"},
	{"v1.13.11-beta.0", "1.13.11.0-beta0"}, {"1.13.11.0-beta0", "1.13.11.0-beta0"},
	{"10.4.13-b", "10.4.13.0-beta"}, {"10.4.13-b5", "10.4.13.0-beta5"}, {"v1.0.0", "1.0.0.0"},
	{"2010.01", "2010.01.0.0"}, {"2010.01.02", "2010.01.02.0"}, {"2010.1.555", "2010.1.555.0"},
	{"2010.10.200", "2010.10.200.0"}, {"20230131.0.0", "20230131.0.0"},
	{"202301310000.0.0", "202301310000.0.0"}, {"v20100102", "20100102"}, {"20100102", "20100102"},
	{"20100102.0", "20100102.0"}, {"20100102.1.0", "20100102.1.0"}, {"20100102.0.3", "20100102.0.3"},
	{"100000", "100000"}, {"2010-01-02-10-20-30.0.3", "2010.01.02.10.20.30.0.3"},
	{"2010-01-02-10-20-30.5", "2010.01.02.10.20.30.5"}, {"2010-01-02", "2010.01.02"},
	{"2012.06.07", "2012.06.07.0"}, {"2010-01-02.5", "2010.01.02.5"},
	{"20100102-203040", "20100102.203040"},
	{"20100102.x-dev", "20100102.9999999.9999999.9999999-dev"},
	{"20100102.203040.x-dev", "20100102.203040.9999999.9999999-dev"},
	{"20100102203040-10", "20100102203040.10"}, {"20100102-203040-p1", "20100102.203040-patch1"},
	{"201903.0", "201903.0"}, {"201903.x-dev", "201903.9999999.9999999.9999999-dev"},
	{"201903.0-p2", "201903.0-patch2"}, {"1.x-dev", "1.9999999.9999999.9999999-dev"},
	{"1.0.0+foo@dev", "1.0.0.0"}, {"1.0.0-beta.5+foo", "1.0.0.0-beta5"}, {"1.0.0+foo", "1.0.0.0"},
	{"1.0.0-alpha.3.1+foo", "1.0.0.0-alpha3.1"}, {"1.0.0-alpha2.1+foo", "1.0.0.0-alpha2.1"},
	{"1.0.0-alpha-2.1-3+foo", "1.0.0.0-alpha2.1-3"}, {"1.0.0+foo as 2.0", "1.0.0.0"},
	{"00.01.03.04", "00.01.03.04"}, {"000.001.003.004", "000.001.003.004"},
	{"0.000.103.204", "0.000.103.204"}, {"0700", "0700.0.0.0"},
	{"041.x-dev", "041.9999999.9999999.9999999-dev"}, {" 1.0.0", "1.0.0.0"}, {"1.0.0 ", "1.0.0.0"},
	// Not in the upstream table.
	{"1.0-stable", "1.0.0.0"}, {"1.0-STABLE", "1.0.0.0-stable"}, {"V2.0", "2.0.0.0"},
	{"1.0..dev", "1.0.0.0-dev"}, {"1.0_dev", "1.0.0.0-dev"}, {"1.0-b-dev", "1.0.0.0-beta-dev"},
}

// composerNormal rebuilds normalize's output from a parsed version.
func composerNormal(v composerVersion) string {
	var b strings.Builder
	switch {
	case v.classic:
		parts := strings.Split(v.nums, ".")
		for len(parts) < 4 {
			parts = append(parts, "x")
		}
		s := strings.Join(parts, ".")
		if v.branch {
			s = strings.NewReplacer("x", "9999999", "X", "9999999", "*", "9999999").Replace(s)
		} else {
			s = strings.ReplaceAll(s, "x", "0")
		}
		b.WriteString(s)
	default:
		b.WriteString(strings.Map(func(r rune) rune {
			if r < '0' || r > '9' {
				return '.'
			}
			return r
		}, v.nums))
	}
	if v.word != composerNone {
		b.WriteString("-" + map[int]string{composerAlpha: "alpha", composerBeta: "beta", composerRC: "RC",
			composerPatch: "patch", composerUnknown: "stable"}[v.word])
		b.WriteString(strings.TrimLeft(v.wordNums, ".-"))
	}
	if v.dev {
		b.WriteString("-dev")
	}
	return b.String()
}

func TestComposerNormalize(t *testing.T) {
	for _, tc := range composerNormalized {
		v, why := parseComposer(tc[0])
		if why != "" {
			t.Errorf("parseComposer(%q): %s", tc[0], why)
			continue
		}
		if got := composerNormal(v); got != tc[1] {
			t.Errorf("normalize(%q) = %q, want %q", tc[0], got, tc[1])
		}
	}
}

func composerSuite() suite {
	// Inputs with the same normal form compare equal.
	var equal [][2]string
	first := map[string]string{}
	for _, tc := range composerNormalized {
		if f, ok := first[tc[1]]; ok {
			equal = append(equal, [2]string{f, tc[0]})
		} else {
			first[tc[1]] = tc[0]
		}
	}
	return suite{
		ecosystem: "Packagist",
		ascending: [][]string{
			// SemverTest sortProvider and ComparatorTest.
			{"0.1", "1.0", "2.4.0-alpha", "2.4.0", "3.2.1", "50.2"},
			{"1.24.0", "1.25.0", "1.26.0"},
			{"1.25.0-beta2.1", "1.25.0-b.3"}, {"1.25.0-b2.1", "1.25.0beta.3"}, {"1.25.0-b-2.1", "1.25.0-rc"},
			{"1.0.0", "1.2-dev"},
			// Stabilities: dev < alpha < beta < RC < stable < patch.
			{"1.0-dev", "1.0-alpha1-dev", "1.0-alpha1", "1.0-alpha2", "1.0-beta1", "1.0-RC1", "1.0-RC1.1", "1.0", "1.0-patch1", "1.0.1-dev", "1.0.1", "1.x-dev"},
			// "STABLE" in capitals is a word PHP does not know.
			{"1.0-STABLE", "1.0-dev"},
			// Dates and numeric branches.
			{"2010-01-02", "2010-01-02.5", "20100102", "20100102.x-dev"},
		},
		equal: append(equal,
			[2]string{"1.25.0-beta2.1", "1.25.0-b.2.1"}, [2]string{"1.25.0beta2.1", "1.25.0-b2.1"},
			[2]string{"1.0.0.0", "1.0"}, [2]string{"1.00", "1.0"}),
		// VersionParserTest failingNormalizedVersions and the dev-*
		// branches, which are not orderable.
		invalid: []string{
			"", "a", "1.0.0-meh", "1.0.0.0.0", "feature-foo", "1.0.0+foo bar", "1.0.1-SNAPSHOT",
			"1.0.0<1.0.5-dev", "1.0.0-dev<1.0.5-dev", "foo bar-dev", "1.0 .2", " as ", " as 1.2", "^",
			"^8 || ^", "~", "~1 ~", "~1", "^1", "1.*", "20100102.0.3.4", "100000.0.0.0", "2023013.0.0",
			"202301311.0.0", "20230131000.0.0", "2023013100000.0.0",
			"dev-master", "master", "dev-trunk", "DEV-FOOBAR", "dev-feature/foo", "dev-master as 1.0.0",
			"dev-041.003", "trunk", "default", "dev", "1.x5-dev", "2010-01-02:beta",
		},
	}
}

// TestComposerPackagist checks monolog's and neos' versions in the order
// Packagist serves them.
func TestComposerPackagist(t *testing.T) {
	c := mustFor(t, "Packagist")
	for _, name := range []string{"monolog_monolog", "neos_neos"} {
		t.Run(name, func(t *testing.T) {
			vs := readVersions(t, "testdata/packagist/"+name+".txt")
			slices.Reverse(vs)
			checkAscending(t, c, vs)
			checkSortsTo(t, c, vs)
		})
	}
}
