package vercmp

import "testing"

// Cases from rubygems' test/rubygems/test_gem_version.rb (2025).
func gemSuite() suite {
	return suite{
		ecosystem: "RubyGems",
		ascending: [][]string{
			{"0.0.0", "1.8.2"}, {"1.0.a", "1.0"}, {"1.8.2.a", "1.8.2"}, {"1.8.2.a", "1.8.2.b"},
			{"1.8.2.a9", "1.8.2.a10"}, {"0.0.beta", "0.0.beta.1"}, {"0.0.beta", "0.beta.1"},
			{"5.a", "5.0.0.rc2", "5.x"}, {"1.9.2.99", "1.9.3", "1.9.3.1"},
			// test_semver.
			{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1"},
			{"1.0.0-rc1", "1.0.0"}, {"1.0.0-1", "1"},
			{"9.8.7", "9.8.8"},
			// Real rubysec patched versions (rails, nokogiri).
			{"5.2.4.rc1", "5.2.4", "5.2.4.1", "5.2.4.2", "6.0.0.beta1", "6.0.0.rc1", "6.0.0", "6.0.2.2", "6.0.3.rc1"},
			{"1.10.0.rc1", "1.10.0", "1.10.10", "1.11.0.rc4", "1.11.0", "1.13.10", "1.16.5"},
			// Letters sort by bytes, before numbers; uppercase first.
			{"1.A", "1.Z", "1.a", "1.0.0.0.1"},
		},
		equal: [][2]string{
			{"1.0", "1.0.0"}, {"0.beta.1", "0.0.beta.1"}, {"1.9.3", "1.9.3"}, {"1.2.b1", "1.2.b.1"},
			{"1.2", "1.2.0"}, {"1.2.pre.1", "1.2.0.pre.1.0"}, {"1.0.0.a.1.0", "1.a.1"},
			{"1.2.3-1", "1.2.3.pre.1"}, {"1.0", " 1.0 "}, {"1.0", "1.0\n"}, {"1.0", "\n1.0\n"},
			{"1.0a", "1.a"}, {"1.a0", "1.a"},
		},
		invalid: []string{
			"junk", "1.0\n2.0", "1..2", "1.2 3.4",
			"2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.",
			"", "   ", "a", "-1", "1.", "1-", "1.0-", "1.0-a.", "1+build", "1.0_1", "v1.0",
		},
	}
}

// TestGemRubysec checks the versions the Ruby advisory database names:
// all are versions and sorting them is consistent.
func TestGemRubysec(t *testing.T) {
	c := mustFor(t, "RubyGems")
	vs := readVersions(t, "testdata/rubygems/rubysec-versions.txt")
	for _, v := range vs {
		if err := c.Valid(v); err != nil {
			t.Error(err)
		}
	}
	checkConsistent(t, c, vs)
}

func TestGemCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1.0.0", "1."}, {"1.0.0.a.1.0", "1.a.1."}, {"1.2.3-1", "1.2.3.pre.1"}, {"10", "10"},
		{"1.a0", "1.a"}, {"1.0a", "1.a"}, {"0.0.beta.1", "beta.1"}, {"1.10", "1.10"},
		{"1.0.0-rc1", "1.pre.rc1"},
	} {
		var buf [64]byte
		if got := string(gemCanonical(tc.in, buf[:])); got != tc.want {
			t.Errorf("gemCanonical(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
