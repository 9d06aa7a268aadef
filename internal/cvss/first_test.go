package cvss

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// These tests compare the package with FIRST's own calculators, run under
// Node.js by testdata/first/oracle.js over the vectors testdata/first/gen.py
// enumerates (see testdata/README.md). A difference is a bug here: the
// specifications define the scores by those calculators.

// readGzipLines returns the lines of a gzip-compressed testdata file.
func readGzipLines(t testing.TB, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "first", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var lines []string
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if l := sc.Text(); l != "" {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return lines
}

func parseScore(t testing.TB, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("bad score %q: %v", s, err)
	}
	return f
}

// v4BaseVectors enumerates every v4.0 Base vector in the order of gen.py:
// metrics in Table 23 order, values in the order of v40Def, last metric
// varying fastest.
func v4BaseVectors() []string {
	var out []string
	var rec func(i int, prefix string)
	rec = func(i int, prefix string) {
		if i == v4E {
			out = append(out, prefix)
			return
		}
		m := v40Def.metrics[i]
		for _, val := range m.values {
			sep := "/"
			if i == 0 {
				sep = ""
			}
			rec(i+1, prefix+sep+m.name+":"+val)
		}
	}
	rec(0, "CVSS:4.0/")
	return out
}

// TestV4FIRSTCalculatorBase scores all 104,976 v4.0 Base vectors, which
// reaches every one of the 270 MacroVectors and every position inside
// them.
func TestV4FIRSTCalculatorBase(t *testing.T) {
	want := readGzipLines(t, "v40-base-scores.txt.gz")
	vecs := v4BaseVectors()
	if len(vecs) != 104976 || len(want) != len(vecs) {
		t.Fatalf("%d vectors, %d scores; want 104976 of each", len(vecs), len(want))
	}
	macros := map[[6]int]bool{}
	bad := 0
	for i, s := range vecs {
		v, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		m := v.v4Values()
		macros[m.macroVector()] = true
		if got := v.BaseScore(); got != parseScore(t, want[i]) {
			if bad++; bad <= 20 {
				t.Errorf("%s: got %v, FIRST calculator %s", s, got, want[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d vectors differ", bad, len(vecs))
	}
	// Base vectors reach 3*2*3*2 MacroVectors: E is A, EQ4=0 needs MSI or
	// MSA:S, and with CR/IR/AR at H EQ6 follows EQ3. The random set covers
	// the rest.
	if len(macros) != 3*2*3*2 {
		t.Errorf("base vectors reach %d MacroVectors, want %d", len(macros), 3*2*3*2)
	}
}

// TestV4FIRSTCalculatorRandom scores random vectors with threat,
// environmental and supplemental metrics, some given as X, with at least
// one vector in each of the 270 MacroVectors, and checks the MacroVector
// too.
func TestV4FIRSTCalculatorRandom(t *testing.T) {
	lines := readGzipLines(t, "v40-random.tsv.gz")
	if len(lines) < 1000 {
		t.Fatalf("only %d vectors", len(lines))
	}
	macros := map[[6]int]bool{}
	bad := 0
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 3 {
			t.Fatalf("bad line %q", l)
		}
		s, score, macro := f[0], f[1], f[2]
		v, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		m := v.v4Values()
		mv := m.macroVector()
		macros[mv] = true
		got := fmt.Sprintf("%d%d%d%d%d%d", mv[0], mv[1], mv[2], mv[3], mv[4], mv[5])
		if got != macro {
			t.Errorf("%s: MacroVector %s, FIRST calculator %s", s, got, macro)
		}
		if got := v.BaseScore(); got != parseScore(t, score) {
			if bad++; bad <= 20 {
				t.Errorf("%s: got %v, FIRST calculator %s", s, got, score)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d vectors differ", bad, len(lines))
	}
	if len(macros) != len(v4MacroScores) {
		t.Errorf("random vectors reach %d MacroVectors, want all %d", len(macros), len(v4MacroScores))
	}
}

// TestV3FIRSTCalculator checks Base, Temporal and Environmental scores of
// every v3.x Base vector and of random vectors with the other metrics,
// against cvsscalc30.js and cvsscalc31.js.
func TestV3FIRSTCalculator(t *testing.T) {
	for _, name := range []string{"v30.tsv.gz", "v31.tsv.gz"} {
		t.Run(name, func(t *testing.T) {
			lines := readGzipLines(t, name)
			if len(lines) < 2592 {
				t.Fatalf("only %d vectors", len(lines))
			}
			bad := 0
			for _, l := range lines {
				f := strings.Split(l, "\t")
				if len(f) != 4 {
					t.Fatalf("bad line %q", l)
				}
				v, err := Parse(f[0])
				if err != nil {
					t.Fatalf("Parse(%q): %v", f[0], err)
				}
				got := [3]float64{v.BaseScore(), v.TemporalScore(), v.EnvironmentalScore()}
				want := [3]float64{parseScore(t, f[1]), parseScore(t, f[2]), parseScore(t, f[3])}
				if got != want {
					if bad++; bad <= 20 {
						t.Errorf("%s: got base/temporal/env %v, FIRST calculator %v", f[0], got, want)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d vectors differ", bad, len(lines))
			}
		})
	}
}
