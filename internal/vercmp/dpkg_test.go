package vercmp

import (
	"os/exec"
	"slices"
	"testing"
)

func dpkgSuite() suite {
	return suite{
		ecosystem: "Debian",
		ascending: [][]string{
			// dpkg's lib/dpkg/t/t-version.c test_version_compare.
			{"0:0-0", "1:0-0"},
			{"1-1", "2-1"},
			{"1-1", "1-2"},
			// '~' sorts before everything, even the end of the string
			// (Debian Policy 5.6.12).
			{"1.0~~", "1.0~~a", "1.0~", "1.0", "1.0a", "1.0+", "1.0.1"},
			{"1~~", "1~~a", "1~", "1", "1a"},
			// Letters sort before non-letters; digits numerically.
			{"1.2A", "1.2Z", "1.2a", "1.2z", "1.2+", "1.2.", "1.2.1", "1.2.9", "1.2.10", "1.2.100"},
			{"2.30-1", "2.30-1+b1", "2.30-1.1", "2.30-2~bpo11+1", "2.30-2"},
			// Real sequences from snapshot.debian.org (curl).
			{"8.13.0~rc-1~exp1", "8.13.0~rc-1~exp2", "8.13.0~rc2-1", "8.13.0~rc3-1", "8.13.0~rc3-1+exp1", "8.13.0-1", "8.13.0-1+exp1"},
			{"8.14.1-2~bpo12+1", "8.14.1-2", "8.14.1-2+deb13u1", "8.14.1-2+deb13u2~bpo13+1", "8.14.1-2+deb13u2", "8.14.1-2+exp1"},
			{"8.12.0+git20250209.89ed161+ds-1~bpo12+1", "8.12.0+git20250209.89ed161+ds-1", "8.12.1-1"},
			// Epochs dominate.
			{"99:1.0", "100:0.1"},
			{"2.0-1", "1:1.0-1", "2:0.1"},
			{"7.88.1-10+deb12u12", "1:7.88.1-10+deb12u12"},
		},
		equal: [][2]string{
			// t-version.c test_version_parse.
			{"0", "0:0"},
			{"0", "0:0-0"},
			{"0.0-0.0", "0:0.0-0.0"},
			{"1:0", "1:0-0"},
			{"0:0-00", "0:00-0"},
			{"1:2-3", "1:2-3"},
			{"0:0-0-0", "0:0-0-0"},
			{"  \t0:0-1", "0:0-1"},
			{"0:0-1\t  ", "0:0-1"},
			{"\t  0:0-1  \t", "0:0-1"},
			{"0:09azAZ.-+~:-0", "0:09azAZ.-+~:-00"},
			{"0:0-azAZ09.+~", "0-azAZ09.+~"},
			// Leading zeros are insignificant; "" and "0" revisions tie.
			{"1.02", "1.2"},
			{"1.0", "1.0-0"},
			{"007:1", "7:1"},
			{"+1:0", "1:0"},
			{"-0:1", "1"},
			{"1.0.", "1.0.0"},
			// Real Debian 11 versions that dpkg calls equal.
			{"0.03-2", "0.3-2"},
			{"1.03.00-1", "1.3.0-1"},
			{"3.001-2", "3.1-2"},
			{"0.000005-1.1", "0.005-1.1"},
		},
		invalid: []string{
			"", "  ", "0:", "0:0 0-1", "-1:0-1", "999999999999999999999999:0-1",
			"2147483648:1", "a:0-0", "A:0-0", "-0", "0:-0", "0:abc3-0", "0:0-0:0",
			"1.0-", "0:0-", ":1", "1a:1", "+:1", "abc", "~1", "1.0-a_b",
			"0:0!-0", "0:0#-0", "0:0@-0", "0:0$-0", "0:0%-0", "0:0&-0", "0:0/-0",
			"0:0|-0", "0:0\\-0", "0:0<-0", "0:0>-0", "0:0(-0", "0:0)-0", "0:0[-0",
			"0:0]-0", "0:0{-0", "0:0}-0", "0:0;-0", "0:0,-0", "0:0_-0", "0:0=-0",
			"0:0*-0", "0:0^-0", "0:0'-0",
			"0:0-!", "0:0-#", "0:0-:", "0:0-_", "0:0-=", "0:0-^",
			"1.0\xff", "1.0-é",
		},
	}
}

func TestDpkgSnapshotLists(t *testing.T) {
	c := mustFor(t, "Debian")
	for _, name := range []string{"curl", "nginx", "blender"} {
		t.Run(name, func(t *testing.T) {
			vs := readVersions(t, "testdata/debian/snapshot-"+name+".txt")
			slices.Reverse(vs) // published newest first
			checkAscending(t, c, vs)
			checkSortsTo(t, c, vs)
		})
	}
}

// TestDpkgBullseyeSample checks a spread of real Debian 11 versions
// against the order dpkg itself gave them (see testdata/README.md).
func TestDpkgBullseyeSample(t *testing.T) {
	c := mustFor(t, "Debian")
	vs := readVersions(t, "testdata/debian/bullseye-sample.txt")
	checkAscending(t, c, vs)
	checkSortsTo(t, c, vs)
}

// TestDpkgCrossCheck asks the installed dpkg about neighbouring pairs and
// tricky strings. It is skipped where dpkg is absent.
func TestDpkgCrossCheck(t *testing.T) {
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		t.Skip("dpkg not installed")
	}
	if testing.Short() {
		t.Skip("runs dpkg once per pair")
	}
	c := mustFor(t, "Debian")
	vs := []string{
		"1.0~~", "1.0~", "1.0", "1.0a", "1.0A", "1.0+", "1.0.", "1.0-0", "1.0-1~",
		"1.0-1", "1.0-1a", "1.0-1+", "1:0", "0:1.0", "1.00", "1.0-01", "2~a~b", "2~a",
		"2.a", "2a.", "2+b", "2.0.0~rc1+dfsg-1", "10", "9", "1.2.3.4~", "1.2.3.4",
	}
	sample := readVersions(t, "testdata/debian/bullseye-sample.txt")
	for i := 0; i < len(sample); i += 25 {
		vs = append(vs, sample[i])
	}
	for i, a := range vs {
		for _, b := range vs[i+1:] {
			got := c.Compare(a, b)
			var want int
			switch {
			case exec.Command(dpkg, "--compare-versions", a, "lt", b).Run() == nil:
				want = -1
			case exec.Command(dpkg, "--compare-versions", a, "eq", b).Run() == nil:
				want = 0
			default:
				want = 1
			}
			if got != want {
				t.Errorf("Compare(%q, %q) = %d, dpkg says %d", a, b, got, want)
			}
		}
	}
}

// TestVerrevcmp covers t-version.c's comparisons of version objects whose
// parts no parser would produce ("a" as an upstream version).
func TestVerrevcmp(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"a", "b", -1}, {"b", "a", 1}, {"", "", 0}, {"0", "00", 0}, {"", "0", 0},
		{"~", "", -1}, {"", "a", -1}, {"a", "+", -1}, {"+", ".", -1},
		{"1", "1~", 1}, {"1a", "1", 1}, {"a1", "a01", 0},
	} {
		if got := sign(verrevcmp(tc.a, tc.b)); got != tc.want {
			t.Errorf("verrevcmp(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
