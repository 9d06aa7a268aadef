package vercmp

import (
	"encoding/json"
	"os/exec"
	"slices"
	"testing"
)

// pep440Versions is packaging's tests/test_version.py VERSIONS ("This
// list must be in the correct sorting order"), pypa/packaging.
var pep440Versions = []string{
	"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456",
	"1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0b2-346", "1.0c1.dev456", "1.0c1",
	"1.0rc2", "1.0c3", "1.0", "1.0.post456.dev34", "1.0.post456", "1.1.dev1", "1.2+123abc",
	"1.2+123abc456", "1.2+abc", "1.2+abc123", "1.2+abc123def", "1.2+1234.abc", "1.2+123456",
	"1.2.r32+123456", "1.2.rev33+123456",
	"1!1.0.dev456", "1!1.0a1", "1!1.0a2.dev456", "1!1.0a12.dev456", "1!1.0a12",
	"1!1.0b1.dev456", "1!1.0b2", "1!1.0b2.post345.dev456", "1!1.0b2.post345", "1!1.0b2-346",
	"1!1.0c1.dev456", "1!1.0c1", "1!1.0rc2", "1!1.0c3", "1!1.0", "1!1.0.post456.dev34",
	"1!1.0.post456", "1!1.1.dev1", "1!1.2+123abc", "1!1.2+123abc456", "1!1.2+abc",
	"1!1.2+abc123", "1!1.2+abc123def", "1!1.2+1234.abc", "1!1.2+123456", "1!1.2.r32+123456",
	"1!1.2.rev33+123456",
}

// pep440Normalized is test_normalized_versions of packaging's
// tests/test_version.py: each spelling equals its normal form.
var pep440Normalized = [][2]string{
	{"1.0dev", "1.0.dev0"}, {"1.0.dev", "1.0.dev0"}, {"1.0dev1", "1.0.dev1"},
	{"1.0-dev", "1.0.dev0"}, {"1.0-dev1", "1.0.dev1"}, {"1.0DEV", "1.0.dev0"},
	{"1.0.DEV", "1.0.dev0"}, {"1.0DEV1", "1.0.dev1"}, {"1.0.DEV1", "1.0.dev1"},
	{"1.0-DEV", "1.0.dev0"}, {"1.0-DEV1", "1.0.dev1"},
	{"1.0a", "1.0a0"}, {"1.0.a", "1.0a0"}, {"1.0.a1", "1.0a1"}, {"1.0-a", "1.0a0"},
	{"1.0-a1", "1.0a1"}, {"1.0alpha", "1.0a0"}, {"1.0.alpha", "1.0a0"}, {"1.0.alpha1", "1.0a1"},
	{"1.0-alpha", "1.0a0"}, {"1.0-alpha1", "1.0a1"}, {"1.0A", "1.0a0"}, {"1.0.A", "1.0a0"},
	{"1.0.A1", "1.0a1"}, {"1.0-A", "1.0a0"}, {"1.0-A1", "1.0a1"}, {"1.0ALPHA", "1.0a0"},
	{"1.0.ALPHA", "1.0a0"}, {"1.0.ALPHA1", "1.0a1"}, {"1.0-ALPHA", "1.0a0"},
	{"1.0-ALPHA1", "1.0a1"},
	{"1.0b", "1.0b0"}, {"1.0.b", "1.0b0"}, {"1.0.b1", "1.0b1"}, {"1.0-b", "1.0b0"},
	{"1.0-b1", "1.0b1"}, {"1.0beta", "1.0b0"}, {"1.0.beta", "1.0b0"}, {"1.0.beta1", "1.0b1"},
	{"1.0-beta", "1.0b0"}, {"1.0-beta1", "1.0b1"}, {"1.0B", "1.0b0"}, {"1.0.B", "1.0b0"},
	{"1.0.B1", "1.0b1"}, {"1.0-B", "1.0b0"}, {"1.0-B1", "1.0b1"}, {"1.0BETA", "1.0b0"},
	{"1.0.BETA", "1.0b0"}, {"1.0.BETA1", "1.0b1"}, {"1.0-BETA", "1.0b0"}, {"1.0-BETA1", "1.0b1"},
	{"1.0c", "1.0rc0"}, {"1.0.c", "1.0rc0"}, {"1.0.c1", "1.0rc1"}, {"1.0-c", "1.0rc0"},
	{"1.0-c1", "1.0rc1"}, {"1.0rc", "1.0rc0"}, {"1.0.rc", "1.0rc0"}, {"1.0.rc1", "1.0rc1"},
	{"1.0-rc", "1.0rc0"}, {"1.0-rc1", "1.0rc1"}, {"1.0C", "1.0rc0"}, {"1.0.C", "1.0rc0"},
	{"1.0.C1", "1.0rc1"}, {"1.0-C", "1.0rc0"}, {"1.0-C1", "1.0rc1"}, {"1.0RC", "1.0rc0"},
	{"1.0.RC", "1.0rc0"}, {"1.0.RC1", "1.0rc1"}, {"1.0-RC", "1.0rc0"}, {"1.0-RC1", "1.0rc1"},
	{"1.0post", "1.0.post0"}, {"1.0.post", "1.0.post0"}, {"1.0post1", "1.0.post1"},
	{"1.0-post", "1.0.post0"}, {"1.0-post1", "1.0.post1"}, {"1.0POST", "1.0.post0"},
	{"1.0.POST", "1.0.post0"}, {"1.0POST1", "1.0.post1"}, {"1.0r", "1.0.post0"},
	{"1.0rev", "1.0.post0"}, {"1.0.POST1", "1.0.post1"}, {"1.0.r1", "1.0.post1"},
	{"1.0.rev1", "1.0.post1"}, {"1.0-POST", "1.0.post0"}, {"1.0-POST1", "1.0.post1"},
	{"1.0-5", "1.0.post5"}, {"1.0-r5", "1.0.post5"}, {"1.0-rev5", "1.0.post5"},
	{"1.0+AbC", "1.0+abc"},
	{"1.01", "1.1"}, {"1.0a05", "1.0a5"}, {"1.0b07", "1.0b7"}, {"1.0c056", "1.0rc56"},
	{"1.0rc09", "1.0rc9"}, {"1.0.post000", "1.0.post0"}, {"1.1.dev09000", "1.1.dev9000"},
	{"00!1.2", "1.2"}, {"0100!0.0", "100!0.0"},
	{"v1.0", "1.0"}, {"   v1.0\t\n", "1.0"},
	// test_version_rc_and_c_equals and PEP 440's zero padding.
	{"1.0rc1", "1.0c1"}, {"1.0", "1.0.0"}, {"1.0", "1.0.0.0.0"}, {"0!1.0.2", "1.0.2"},
	{"1.0pre1", "1.0rc1"}, {"1.0preview1", "1.0rc1"}, {"1.0+1.2", "1.0+01-2"},
	{"1.0a-", "1.0a0"}, {"1.0a--1", "1.0a0.post1"}, {"2.0.0-rc.1", "2.0rc1"},
}

func pep440Suite() suite {
	return suite{
		ecosystem: "PyPI",
		ascending: [][]string{
			pep440Versions,
			// PEP 440 "Summary of permitted suffixes and relative ordering".
			{"1.dev0", "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12",
				"1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345",
				"1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34",
				"1.0.post456", "1.0.15", "1.1.dev1"},
			{"1.0+a", "1.0+a.b", "1.0+a.0", "1.0+0"},
			{"0.9", "0.10", "1", "1.0.1", "1.1", "99999999999999999999999.0"},
		},
		equal: pep440Normalized,
		invalid: []string{
			// test_invalid_versions.
			"french toast", "1.0+a+", "1.0++", "1.0+_foobar", "1.0+foo&asd", "1.0+1+1",
			"", " ", "v", "1.", ".1", "1..0", "1.0-", "1.0.", "1.0+", "1.0a1a1", "1.0.post1.post2",
			"1!", "!1.0", "1!2!3.0", "1.0dev1a1", "1.0-alpha1-", "1.0 1", "1.0_", "1.0+a..b",
			"1.0-pre-release", "1.2.3.dev1.dev2", "vv1.0", "1.0\x00",
		},
	}
}

func TestPEP440Exhaustive(t *testing.T) {
	c := mustFor(t, "PyPI")
	checkSortsTo(t, c, pep440Versions)
}

// TestPEP440PyPA checks real PyPI versions from the PyPA advisory database
// against the order packaging gave them, and legacy strings packaging
// rejects (see testdata/README.md).
func TestPEP440PyPA(t *testing.T) {
	c := mustFor(t, "PyPI")
	vs := readVersions(t, "testdata/pypi/pypa-versions.txt")
	checkAscending(t, c, vs)
	checkSortsTo(t, c, vs)
	for _, v := range readVersions(t, "testdata/pypi/pypa-invalid.txt") {
		if c.Valid(v) == nil {
			t.Errorf("Valid(%q) = nil, packaging rejects it", v)
		}
	}
}

// TestPEP440CrossCheck compares with the packaging library vendored in
// pip, over the table strings and a slice of the PyPA versions. Skipped
// where no python3 with pip is found.
func TestPEP440CrossCheck(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	c := mustFor(t, "PyPI")
	s := pep440Suite()
	vs := slices.Clone(pep440Versions)
	for _, p := range s.equal {
		vs = append(vs, p[0], p[1])
	}
	vs = append(vs, s.invalid...)
	real := readVersions(t, "testdata/pypi/pypa-versions.txt")
	for i := 0; i < len(real); i += 15 {
		vs = append(vs, real[i])
	}
	in, _ := json.Marshal(vs)
	script := `import json, sys
from pip._vendor.packaging.version import Version, InvalidVersion
vs = json.loads(sys.argv[1])
def parse(v):
    try:
        return Version(v)
    except InvalidVersion:
        return None
ps = [parse(v) for v in vs]
out = []
for a, pa in zip(vs, ps):
    for b, pb in zip(vs, ps):
        if pa is None or pb is None:
            out.append(None if (pa is None) != (pb is None) else 9)
        else:
            out.append((pa > pb) - (pa < pb))
print(json.dumps({"valid": [p is not None for p in ps], "cmp": out}))
`
	out, err := exec.Command(py, "-c", script, string(in)).Output()
	if err != nil {
		t.Skipf("packaging (pip vendored) not usable: %v", err)
	}
	var want struct {
		Valid []bool
		Cmp   []*int
	}
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		if got := c.Valid(v) == nil; got != want.Valid[i] {
			t.Errorf("Valid(%q) ok = %v, packaging says %v", v, got, want.Valid[i])
		}
	}
	k := 0
	for _, a := range vs {
		for _, b := range vs {
			if w := want.Cmp[k]; w != nil && *w != 9 {
				if got := c.Compare(a, b); got != *w {
					t.Errorf("Compare(%q, %q) = %d, packaging says %d", a, b, got, *w)
				}
			}
			k++
		}
	}
}
