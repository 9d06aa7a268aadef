package vercmp

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// semverOrgValid and semverOrgInvalid are the example strings of the
// regular expression in the semver.org FAQ ("Is there a suggested regular
// expression (RegEx) to check a SemVer string?", regex101 test cases).
var semverOrgValid = []string{
	"0.0.4", "1.2.3", "10.20.30", "1.1.2-prerelease+meta", "1.1.2+meta",
	"1.1.2+meta-valid", "1.0.0-alpha", "1.0.0-beta", "1.0.0-alpha.beta",
	"1.0.0-alpha.beta.1", "1.0.0-alpha.1", "1.0.0-alpha0.valid", "1.0.0-alpha.0valid",
	"1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay", "1.0.0-rc.1+build.1",
	"2.0.0-rc.1+build.123", "1.2.3-beta", "10.2.3-DEV-SNAPSHOT", "1.2.3-SNAPSHOT-123",
	"1.0.0", "2.0.0", "1.1.7", "2.0.0+build.1848", "2.0.1-alpha.1227", "1.0.0-alpha+beta",
	"1.2.3----RC-SNAPSHOT.12.9.1--.12+788", "1.2.3----R-S.12.9.1--.12+meta",
	"1.2.3----RC-SNAPSHOT.12.9.1--.12", "1.0.0+0.build.1-rc.10000aaa-kk-0.1",
	"99999999999999999999999.999999999999999999.99999999999999999", "1.0.0-0A.is.legal",
}

var semverOrgInvalid = []string{
	"1", "1.2", "1.2.3-0123", "1.2.3-0123.0123", "1.1.2+.123", "+invalid", "-invalid",
	"-invalid+invalid", "-invalid.01", "alpha", "alpha.beta", "alpha.beta.1", "alpha.1",
	"alpha+beta", "alpha_beta", "alpha.", "alpha..", "beta", "1.0.0-alpha_beta", "-alpha.",
	"1.0.0-alpha..", "1.0.0-alpha..1", "1.0.0-alpha...1", "1.0.0-alpha....1",
	"1.0.0-alpha.....1", "1.0.0-alpha......1", "1.0.0-alpha.......1", "01.1.1", "1.01.1",
	"1.1.01", "1.2.3.DEV", "1.2-SNAPSHOT", "1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788",
	"1.2-RC-SNAPSHOT", "-1.0.3-gamma+b7718", "+justmeta", "9.8.7+meta+meta",
	"9.8.7-whatever+meta+meta",
	"99999999999999999999999.999999999999999999.99999999999999999----RC-SNAPSHOT.12.09.1--------------------------------..12",
}

// semverSpecOrder is the precedence example of SemVer 2.0.0 §11.
var semverSpecOrder = []string{
	"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
	"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1",
}

// nodeSemverComparisons is node-semver's test/fixtures/comparisons.js
// (pairs, greater first) without the loose-mode rows.
var nodeSemverComparisons = [][2]string{
	{"0.0.0", "0.0.0-foo"}, {"0.0.1", "0.0.0"}, {"1.0.0", "0.9.9"}, {"0.10.0", "0.9.0"},
	{"0.99.0", "0.10.0"}, {"2.0.0", "1.2.3"}, {"1.2.3", "1.2.3-asdf"}, {"1.2.3", "1.2.3-4"},
	{"1.2.3", "1.2.3-4-foo"}, {"1.2.3-5-foo", "1.2.3-5"}, {"1.2.3-5", "1.2.3-4"},
	{"1.2.3-5-foo", "1.2.3-5-Foo"}, {"3.0.0", "2.7.2+asdf"}, {"1.2.3-a.10", "1.2.3-a.5"},
	{"1.2.3-a.b", "1.2.3-a.5"}, {"1.2.3-a.b", "1.2.3-a"},
	{"1.2.3-a.b.c.10.d.5", "1.2.3-a.b.c.5.d.100"}, {"1.2.3-r2", "1.2.3-r100"},
	{"1.2.3-r100", "1.2.3-R2"},
}

func ascendingPairs(pairs [][2]string) [][]string {
	var out [][]string
	for _, p := range pairs {
		out = append(out, []string{p[1], p[0]})
	}
	return out
}

func semverSuite() suite {
	return suite{
		ecosystem: "SEMVER",
		ascending: append([][]string{
			semverSpecOrder,
			{"1.0.0-0", "1.0.0-1", "1.0.0-9", "1.0.0-10", "1.0.0-a", "1.0.0-a.0", "1.0.0"},
			{"18446744073709551615.0.0", "18446744073709551616.0.0", "100000000000000000000.0.0"},
		}, ascendingPairs(nodeSemverComparisons)...),
		equal: [][2]string{
			{"1.0.0+build", "1.0.0"},
			{"1.0.0+a", "1.0.0+b"},
			{"1.0.0-rc.1+build.1", "1.0.0-rc.1"},
			{"2.0.0+build.1848", "2.0.0"},
		},
		invalid: append([]string{
			"", "v1.2.3", "=1.2.3", " 1.2.3", "1.2.3 ", "1.2.3-", "1.2.3+", "1.2.3-a.", "1.2.3-é",
			"1.2.3\x00",
		}, semverOrgInvalid...),
	}
}

func goSuite() suite {
	return suite{
		ecosystem: "Go",
		ascending: [][]string{
			semverSpecOrder,
			// Pseudo-versions (go.dev/ref/mod#pseudo-versions) sort
			// between the tag they derive from and the next one.
			{"v0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20200101000000-0123456789ab", "v0.1.0"},
			{"v1.2.3", "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4"},
			{"v1.2.4-pre", "v1.2.4-pre.0.20191109021931-daa7c04131f5", "v1.2.4"},
			// Real fixed versions from golang/vulndb (GO-2022-0493, GO-2023-1571, golang.org/x/net).
			{"0.0.0-20220314234659-1baeb1ce4c0b", "0.7.0", "0.17.0", "0.23.0"},
		},
		equal: [][2]string{
			{"v1.2.3", "1.2.3"},
			{"v2.0.0+incompatible", "v2.0.0"},
			{"1.21.3", "v1.21.3"},
		},
		invalid: []string{"", "v", "v1", "v1.2", "go1.21.3", "V1.2.3", "vv1.2.3", "v01.2.3", "v1.2.3-01", "=1.2.3"},
	}
}

func npmSuite() suite {
	return suite{
		ecosystem: "npm",
		ascending: append([][]string{semverSpecOrder}, ascendingPairs(nodeSemverComparisons)...),
		// node-semver's test/fixtures/equality.js.
		equal: [][2]string{
			{"1.2.3", "v1.2.3"}, {"1.2.3", "=1.2.3"}, {"1.2.3", "v 1.2.3"}, {"1.2.3", "= 1.2.3"},
			{"1.2.3", " v1.2.3"}, {"1.2.3", " =1.2.3"}, {"1.2.3", " v 1.2.3"}, {"1.2.3", " = 1.2.3"},
			{"1.2.3-0", "v1.2.3-0"}, {"1.2.3-0", "=1.2.3-0"}, {"1.2.3-0", "v 1.2.3-0"},
			{"1.2.3-0", "= 1.2.3-0"}, {"1.2.3-0", " v1.2.3-0"}, {"1.2.3-0", " =1.2.3-0"},
			{"1.2.3-0", " v 1.2.3-0"}, {"1.2.3-0", " = 1.2.3-0"}, {"1.2.3-1", "v1.2.3-1"},
			{"1.2.3-beta", "v1.2.3-beta"}, {"1.2.3-beta", "=1.2.3-beta"},
			{"1.2.3-beta", " = 1.2.3-beta"}, {"1.2.3-beta+build", " = 1.2.3-beta+otherbuild"},
			{"1.2.3+build", " = 1.2.3+otherbuild"}, {"1.2.3-beta+build", "1.2.3-beta+otherbuild"},
			{"1.2.3+build", "1.2.3+otherbuild"}, {"  v1.2.3+build", "1.2.3+otherbuild"},
		},
		invalid: append([]string{
			"", "9007199254740992.0.0", "1.2.3.4", "1.2", "01.2.3", "1.2.3-01",
			strings.Repeat("1", 255) + ".0.0",
		}, semverOrgInvalid...),
	}
}

func pubSuite() suite {
	return suite{
		ecosystem: "Pub",
		// pub_semver's test/version_test.dart "comparison".
		ascending: [][]string{
			{
				"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
				"1.0.0-rc.1+build.1", "1.0.0", "1.0.0+0.3.7", "1.3.7+build", "1.3.7+build.2.b8f12d7",
				"1.3.7+build.11.e0f985a", "2.0.0", "2.1.0", "2.2.0", "2.11.0", "2.11.1",
			},
			// Real mockito versions (pub.dev, from osv.dev's TestPub_GetVersions.yaml).
			{"3.0.0-alpha+2", "3.0.0-alpha+3", "3.0.0-beta+1", "3.0.0", "4.1.1", "4.1.1+1", "4.1.2"},
		},
		equal: [][2]string{
			{"01.2.3", "1.2.3"}, {"1.02.3", "1.2.3"}, {"1.2.03", "1.2.3"},
			{"1.2.3-01", "1.2.3-1"}, {"1.2.3+01", "1.2.3+1"},
			{"001.02.0003-01.dev+pre.002", "1.2.3-1.dev+pre.2"},
		},
		invalid: []string{"1.0", "1.2.3.4", "1234", "-2.3.4", "1.3-pre", "1.3+build", "1.3+bu?!3ild", "v1.2.3"},
	}
}

func TestSemverOrgExamples(t *testing.T) {
	for _, eco := range []string{"SEMVER", "crates.io", "Hex", "SwiftURL", "Go", "npm"} {
		c := mustFor(t, eco)
		for _, v := range semverOrgValid {
			if err := c.Valid(v); err != nil && !(eco == "npm" && strings.HasPrefix(v, "9999")) {
				t.Errorf("%s: Valid(%q) = %v", eco, v, err)
			}
		}
		for _, v := range semverOrgInvalid {
			if c.Valid(v) == nil {
				t.Errorf("%s: Valid(%q) = nil, want an error", eco, v)
			}
		}
	}
}

// TestNodeSemverCrossCheck compares npm's order with node-semver's compare
// over every pair of the tables' valid versions. It is skipped where node
// or npm's bundled semver is absent.
func TestNodeSemverCrossCheck(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	const mod = "/usr/lib/node_modules/npm/node_modules/semver"
	c := mustFor(t, "npm")
	var vs []string
	for _, v := range append(append(semverOrgValid, semverSpecOrder...), semverOrgInvalid...) {
		if c.Valid(v) == nil {
			vs = append(vs, v)
		}
	}
	for _, p := range nodeSemverComparisons {
		vs = append(vs, p[0], p[1])
	}
	in, _ := json.Marshal(vs)
	script := `const semver = require(process.argv[1]); const vs = JSON.parse(process.argv[2]);
const out = []; for (const a of vs) for (const b of vs) out.push(semver.compare(a, b));
console.log(JSON.stringify(out));`
	out, err := exec.Command(node, "-e", script, mod, string(in)).Output()
	if err != nil {
		t.Skipf("node-semver: %v", err)
	}
	var want []int
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	k := 0
	for _, a := range vs {
		for _, b := range vs {
			if got := c.Compare(a, b); got != want[k] {
				t.Errorf("Compare(%q, %q) = %d, node-semver says %d", a, b, got, want[k])
			}
			k++
		}
	}
}
