package vercmp

import (
	"strings"
	"testing"
)

func apkSuite() suite {
	return suite{
		ecosystem: "Alpine",
		ascending: [][]string{
			// A revision sorts before a post-release suffix of the same
			// version: the suffix is part of the upstream version.
			{"1.0_alpha", "1.0_alpha1", "1.0_alpha2", "1.0_beta", "1.0_pre1", "1.0_rc1", "1.0", "1.0-r1",
				"1.0_cvs1", "1.0_svn1", "1.0_git20240101", "1.0_hg1", "1.0_p1", "1.0a", "1.0.1"},
			// A hash sorts after any revision.
			{"1.0", "1.0-r0", "1.0-r9", "1.0~0123abc", "1.0~abc", "1.0~abc-r0"},
			{"1.01", "1.02", "1.1", "1.2", "1.10"},
			// Real secdb fixes (openssl, musl, busybox in v3.x).
			{"1.0.2k-r0", "1.0.2m-r0", "1.1.1a-r0", "1.1.1b-r1", "1.1.1d-r3", "1.1.1g-r0"},
			{"1.1.16-r15", "1.1.20-r5", "1.1.24-r2"},
			{"1.27.2-r6", "1.28.4-r1", "1.29.3-r10", "1.30.1-r2", "1.31.1-r10"},
		},
		equal: [][2]string{{"1.0-r0", "1.0-r00"}, {"1.0_p1", "1.0_p01"}},
		invalid: []string{
			"", "a", ".1", "_pre1", "-r1", "0.1_", "0.1_-r0", "0.1__alpha", "0.1_1_alpha",
			"0.1bc", "0.1bc1", "0.1a1", "0.1a.1", "0.1_pre2~", "0.1_pre2~1234xbcd",
			"0.1_pre2~1234abcd_pre1", "0.1_pre2-r1~1234xbcd", "0.1_foobar", "0.1_foobar1",
			"0.1-pre1.1", "0.1-r", "0.1-r2_pre1", "0.1-r2_p3_pre1", "0.1-r2-r3", "0.1-r2.1",
			"1.0A", "1.0_RC1", "1.0~ABC", " 1.0", "1.0 ",
			// Typos in alpine-secdb.
			"0.12.5.-r0", "1.11-20-r0", "0.8.21.r2",
		},
	}
}

// TestApkVersionData runs apk-tools' own test/unit/version.data: validity
// lines ("v", "!v") and comparisons between valid versions ("a < b",
// "a !> b"); fuzzy "~" comparisons are not part of Compare, and
// comparisons involving invalid versions follow this package's rule
// instead of apk's.
func TestApkVersionData(t *testing.T) {
	c := mustFor(t, "Alpine")
	lines := readVersions(t, "testdata/apk/version.data")
	checked := 0
	for _, line := range lines {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		switch len(f) {
		case 1:
			want := !strings.HasPrefix(f[0], "!")
			v := strings.TrimPrefix(f[0], "!")
			if got := c.Valid(v) == nil; got != want {
				t.Errorf("Valid(%q) ok = %v, apk says %v", v, got, want)
			}
			checked++
		case 3:
			a, op, b := f[0], f[1], f[2]
			invert := strings.HasPrefix(op, "!")
			op = strings.TrimPrefix(op, "!")
			if strings.Contains(op, "~") || c.Valid(a) != nil || c.Valid(b) != nil {
				continue
			}
			r := c.Compare(a, b)
			ok := (r < 0 && strings.Contains(op, "<")) || (r > 0 && strings.Contains(op, ">")) ||
				(r == 0 && strings.Contains(op, "="))
			if ok == invert {
				t.Errorf("%s: Compare = %d", line, r)
			}
			checked++
		case 0:
		default:
			t.Fatalf("unexpected line %q", line)
		}
	}
	if checked < 700 {
		t.Errorf("checked only %d lines", checked)
	}
}

// TestApkSecdb checks that the fixed versions alpine-secdb names are
// versions, bar fourteen typos and one string apk-tools 3 rejects, and that sorting them is consistent.
func TestApkSecdb(t *testing.T) {
	c := mustFor(t, "Alpine")
	typos := map[string]bool{"0.12.5.-r0": true, "1.0.4.-r0": true, "1.11-20-r0": true,
		"1.18.-r2": true, "1.7.5.-r1": true, "0.8.21.r2": true, "10.2.22.r0": true,
		"10.2.24.r0": true, "10.2.26.r0": true, "4.10-1-r1": true, "4.8.0.-r1": true, "57-1-r2": true,
		"2.15.r-r1": true, "2.7.16-33": true,
		// apk-tools 2 accepted a digit after a letter (openssh's
		// "p1"); apk-tools 3 does not.
		"6.6.2p1-r0": true}
	vs := readVersions(t, "testdata/apk/secdb-versions.txt")
	for _, v := range vs {
		if err := c.Valid(v); (err == nil) == typos[v] {
			t.Errorf("Valid(%q) = %v", v, err)
		}
	}
	checkConsistent(t, c, vs)
}
