package vercmp

import (
	"bufio"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// suite is the table of one comparer: ascending lists (each strictly
// increasing), pairs that compare equal, and strings that are not
// versions.
type suite struct {
	ecosystem string
	ascending [][]string
	equal     [][2]string
	invalid   []string
}

// suites lists every comparer's tables; the per-ecosystem files fill them.
func suites() []suite {
	return []suite{
		dpkgSuite(),
		semverSuite(),
		goSuite(),
		npmSuite(),
		pubSuite(),
		pep440Suite(),
		apkSuite(),
		rpmSuite(),
		mavenSuite(),
		gemSuite(),
		nugetSuite(),
		composerSuite(),
	}
}

func mustFor(t testing.TB, eco string) Comparer {
	t.Helper()
	c, err := For(eco)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// readVersions reads one version per line, skipping blank lines and lines
// starting with '#'.
func readVersions(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		vs = append(vs, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

// checkAscending asserts that every earlier element of vs is less than
// every later one, both ways round, and that all are valid.
func checkAscending(t *testing.T, c Comparer, vs []string) {
	t.Helper()
	for _, v := range vs {
		if err := c.Valid(v); err != nil {
			t.Errorf("Valid(%q) = %v", v, err)
		}
	}
	bad := 0
	for i := range vs {
		for j := i + 1; j < len(vs); j++ {
			if got := c.Compare(vs[i], vs[j]); got != -1 {
				t.Errorf("Compare(%q, %q) = %d, want -1", vs[i], vs[j], got)
				bad++
			}
			if got := c.Compare(vs[j], vs[i]); got != 1 {
				t.Errorf("Compare(%q, %q) = %d, want 1", vs[j], vs[i], got)
				bad++
			}
			if bad > 20 {
				t.Fatal("too many errors")
			}
		}
	}
}

func TestSuites(t *testing.T) {
	for _, s := range suites() {
		t.Run(s.ecosystem, func(t *testing.T) {
			c := mustFor(t, s.ecosystem)
			for _, asc := range s.ascending {
				checkAscending(t, c, asc)
			}
			for _, p := range s.equal {
				for _, v := range p {
					if err := c.Valid(v); err != nil {
						t.Errorf("Valid(%q) = %v", v, err)
					}
				}
				if got := c.Compare(p[0], p[1]); got != 0 {
					t.Errorf("Compare(%q, %q) = %d, want 0", p[0], p[1], got)
				}
				if got := c.Compare(p[1], p[0]); got != 0 {
					t.Errorf("Compare(%q, %q) = %d, want 0", p[1], p[0], got)
				}
			}
			for _, v := range s.invalid {
				err := c.Valid(v)
				if err == nil {
					t.Errorf("Valid(%q) = nil, want an error", v)
					continue
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("Valid(%q) error spans lines: %q", v, err)
				}
				// Invalid strings sort before every valid version.
				for _, asc := range s.ascending {
					if got := c.Compare(v, asc[0]); got != -1 {
						t.Errorf("Compare(invalid %q, %q) = %d, want -1", v, asc[0], got)
					}
				}
			}
		})
	}
}

// checkSortsTo sorts a shuffled copy of want and compares.
func checkSortsTo(t *testing.T, c Comparer, want []string) {
	t.Helper()
	got := slices.Clone(want)
	slices.Reverse(got)
	// Interleave to avoid a pre-sorted input.
	for i := 0; i+1 < len(got); i += 2 {
		got[i], got[i+1] = got[i+1], got[i]
	}
	slices.SortStableFunc(got, c.Compare)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("sorted[%d] = %q, want %q", i, got[i], want[i])
			return
		}
	}
}

func TestFor(t *testing.T) {
	want := []string{
		"AlmaLinux", "Alpine", "Azure Linux", "Chainguard", "Debian", "Go", "Hex", "Mageia",
		"Maven", "NuGet", "Packagist", "Pub", "PyPI", "Red Hat", "Rocky Linux", "RubyGems",
		"SEMVER", "SUSE", "SwiftURL", "Ubuntu", "Wolfi", "crates.io", "npm", "openEuler", "openSUSE",
	}
	if got := Ecosystems(); !slices.Equal(got, want) {
		t.Errorf("Ecosystems() = %q, want %q", got, want)
	}
	for _, eco := range append(want, "Debian:12", "Ubuntu:22.04:LTS", "AlmaLinux:8", "Alpine:v3.20") {
		if _, err := For(eco); err != nil {
			t.Errorf("For(%q): %v", eco, err)
		}
	}
	for _, eco := range []string{"", "Hackage", "CRAN", "GHC", "Bitnami", "debian", "pypi"} {
		if c, err := For(eco); err == nil {
			t.Errorf("For(%q) = %T, want an error", eco, c)
		}
	}
}

// TestInvalidOrder checks the rule for strings that are not versions:
// before every valid version, and among themselves by bytes.
func TestInvalidOrder(t *testing.T) {
	c := mustFor(t, "Debian")
	if got := c.Compare("", "0"); got != -1 {
		t.Errorf(`Compare("", "0") = %d, want -1`, got)
	}
	if got := c.Compare("abc", "abd"); got != -1 {
		t.Errorf(`Compare("abc", "abd") = %d, want -1`, got)
	}
	if got := c.Compare("zzz", "0"); got != -1 {
		t.Errorf(`Compare("zzz", "0") = %d, want -1`, got)
	}
}

func FuzzCompare(f *testing.F) {
	es := Ecosystems()
	for _, s := range suites() {
		i := uint8(slices.Index(es, s.ecosystem))
		var all []string
		for _, asc := range s.ascending {
			if len(asc) > 30 {
				asc = asc[:30]
			}
			all = append(all, asc...)
		}
		for _, p := range s.equal {
			all = append(all, p[0], p[1])
		}
		all = append(all, s.invalid...)
		for k := 0; k+2 < len(all); k++ {
			f.Add(i, all[k], all[k+1], all[k+2])
		}
	}
	f.Fuzz(func(t *testing.T, i uint8, a, b, c string) {
		eco := es[int(i)%len(es)]
		cmp := mustFor(t, eco)
		vs := [3]string{a, b, c}
		var r [3][3]int
		for x := range vs {
			for y := range vs {
				r[x][y] = cmp.Compare(vs[x], vs[y])
				if r[x][y] < -1 || r[x][y] > 1 {
					t.Fatalf("%s: Compare(%q, %q) = %d, not in -1..1", eco, vs[x], vs[y], r[x][y])
				}
			}
		}
		for x := range vs {
			if r[x][x] != 0 {
				t.Fatalf("%s: Compare(%q, itself) = %d", eco, vs[x], r[x][x])
			}
			for y := range vs {
				if r[x][y] != -r[y][x] {
					t.Fatalf("%s: Compare(%q, %q) = %d but reversed = %d", eco, vs[x], vs[y], r[x][y], r[y][x])
				}
				for z := range vs {
					if r[x][y] <= 0 && r[y][z] <= 0 && r[x][z] > min(r[x][y], r[y][z]) {
						t.Fatalf("%s: not transitive: %q %d %q, %q %d %q, but %q %d %q", eco,
							vs[x], r[x][y], vs[y], vs[y], r[y][z], vs[z], vs[x], r[x][z], vs[z])
					}
				}
			}
			err := cmp.Valid(vs[x])
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Fatalf("%s: Valid(%q) error spans lines", eco, vs[x])
			}
			for y := range vs {
				if err != nil && cmp.Valid(vs[y]) == nil && r[x][y] != -1 {
					t.Fatalf("%s: invalid %q not before valid %q", eco, vs[x], vs[y])
				}
			}
		}
	})
}

// benchPairs are realistic comparisons: an installed version against an
// advisory's fixed version.
var benchPairs = []struct {
	ecosystem string
	a, b      string
}{
	{"Debian", "1:2.38.1-5+deb12u1", "1:2.38.1-5+deb12u2"},
	{"Debian", "8.14.1-2+deb13u2~bpo13+1", "8.14.1-2+deb13u2"},
	{"Go", "v0.0.0-20231012003039-104605ab7028", "v0.17.0"},
	{"npm", "4.17.20", "4.17.21"},
	{"crates.io", "1.0.0-alpha.11", "1.0.0-alpha.beta"},
	{"Pub", "4.1.1", "4.1.1+1"},
	{"PyPI", "2.31.0", "2.32.0rc1"},
	{"PyPI", "1!1.0.post456.dev34+ubuntu-1", "1!1.0.post456"},
	{"Alpine", "1.1.1g-r0", "1.1.1d-r3"},
	{"Alpine", "1.0_git20240101-r1", "1.0_git20240101-r2"},
	{"AlmaLinux", "1:1.30.0-9.el8_4", "1:1.30.0-10.el8_4"},
	{"Maven", "2.17.0", "2.17.1"},
	{"RubyGems", "6.0.3.rc1", "6.0.3"},
	{"NuGet", "13.0.2-beta1", "13.0.2"},
	{"Packagist", "v2.3.1", "2.3.2"},
	{"Packagist", "8.3.0-beta3", "8.3.0-RC1"},
	{"NuGet", "4.3.2-dev-02418", "4.3.2-dev-02419"},
	{"RubyGems", "1.13.10", "1.16.5"},
	{"Maven", "1.0.0-RC2", "1.0.0.Final"},
	{"Maven", "5.3.39.RELEASE", "6.0.0-M1"},
	{"AlmaLinux", "2:1.33.12-2.module_el8.10.0+4016+efd18bf8", "2:1.33.12-2.module_el8.10.0+4023+db236c53"},
}

func BenchmarkCompare(b *testing.B) {
	for _, p := range benchPairs {
		c := mustFor(b, p.ecosystem)
		b.Run(p.ecosystem+"/"+p.a, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Compare(p.a, p.b)
			}
		})
	}
}

// BenchmarkSort sorts a real version list, the matcher's heaviest use.
func BenchmarkSortDebian(b *testing.B) {
	c := mustFor(b, "Debian")
	vs := readVersions(b, "testdata/debian/snapshot-curl.txt")
	buf := make([]string, len(vs))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, vs)
		slices.SortFunc(buf, c.Compare)
	}
}

// checkConsistent sorts vs and checks every pair of the result against
// the order, which catches intransitive comparisons on real data.
func checkConsistent(t *testing.T, c Comparer, vs []string) {
	t.Helper()
	s := slices.Clone(vs)
	slices.SortFunc(s, c.Compare)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if r := c.Compare(s[i], s[j]); r > 0 {
				t.Fatalf("after sorting, Compare(%q, %q) = %d", s[i], s[j], r)
			}
		}
	}
}

// TestTotalPreorder sorts, per ecosystem, the table strings plus
// deterministic splices of them (pieces cut at random and glued, which
// mostly yields near-versions) and checks every pair of the result: a
// comparison that is not transitive shows up as a pair out of order.
func TestTotalPreorder(t *testing.T) {
	for _, s := range suites() {
		t.Run(s.ecosystem, func(t *testing.T) {
			c := mustFor(t, s.ecosystem)
			var pool []string
			for _, asc := range s.ascending {
				pool = append(pool, asc...)
			}
			for _, p := range s.equal {
				pool = append(pool, p[0], p[1])
			}
			pool = append(pool, s.invalid...)
			r := rand.New(rand.NewPCG(1, uint64(len(pool))))
			n := len(pool)
			for range 600 {
				a, b := pool[r.IntN(n)], pool[r.IntN(n)]
				i, j := r.IntN(len(a)+1), r.IntN(len(b)+1)
				pool = append(pool, a[:i]+b[j:])
			}
			checkConsistent(t, c, pool)
			for x := range pool {
				if c.Compare(pool[x], pool[x]) != 0 {
					t.Fatalf("Compare(%q, itself) != 0", pool[x])
				}
			}
		})
	}
}
