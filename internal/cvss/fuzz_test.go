package cvss

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, fails with a one-line
// ErrInvalid error or yields a vector whose scores are one-decimal numbers
// in [0, 10], and that String round-trips: it parses again to the same
// canonical string and the same scores.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"published.tsv", "vectors.tsv"} {
		fields := 5
		if name == "vectors.tsv" {
			fields = 4
		}
		for _, r := range readTSV(f, name, fields) {
			f.Add(r[2])
		}
	}
	for _, s := range []string{
		"", "CVSS:", "CVSS:3.1/", "(AV:N/AC:L/Au:N/C:P/I:P/A:P)", "CVSS:2.0/AV:N",
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U/CR:L/IR:L/AR:L/MAV:P/MAC:H/MAT:P/MPR:H/MUI:A/MVC:N/MVI:N/MVA:N/MSC:N/MSI:S/MSA:N/S:P/AU:Y/R:I/V:C/RE:H/U:Amber",
		"CVSS:3.0/AV:P/AC:H/PR:H/UI:R/S:C/C:N/I:N/A:L/E:U/RL:O/RC:U/CR:L/IR:L/AR:L/MAV:P/MAC:H/MPR:H/MUI:R/MS:U/MC:N/MI:N/MA:L",
		"AV:L/AC:H/Au:M/C:P/I:N/A:N/E:U/RL:OF/RC:UC/CDP:N/TD:L/CR:L/IR:L/AR:L",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			if v != nil {
				t.Fatalf("Parse(%q) returned a vector and the error %v", s, err)
			}
			if !errors.Is(err, ErrInvalid) || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("Parse(%q) error %q: not a one-line ErrInvalid", s, err)
			}
			return
		}
		scores := checkScores(t, s, v)
		canon := v.String()
		w, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", s, canon, err)
		}
		if w.String() != canon {
			t.Fatalf("String not canonical: %q, then %q", canon, w.String())
		}
		if got := checkScores(t, canon, w); got != scores {
			t.Fatalf("%q scores %v, its String %q scores %v", s, scores, canon, got)
		}
		if v.Rating() == "" {
			t.Fatalf("%q: no rating for score %v", s, v.Score())
		}
	})
}

func checkScores(t *testing.T, s string, v *Vector) [4]float64 {
	t.Helper()
	got := [4]float64{v.BaseScore(), v.TemporalScore(), v.EnvironmentalScore(), v.Score()}
	for _, x := range got {
		if !(x >= 0 && x <= 10) {
			t.Fatalf("%q: score %v outside [0, 10]", s, x)
		}
		if y, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 1, 64), 64); y != x {
			t.Fatalf("%q: score %v has more than one decimal", s, x)
		}
	}
	return got
}
