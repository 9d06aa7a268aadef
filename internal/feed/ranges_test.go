package feed

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/osv"
)

// ints orders decimal integers; every integer n has the successor n+1, so
// conversions to events are exact.
var ints = Intervals{
	Compare: func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	},
	Successor: func(v string) (string, bool) {
		n, err := strconv.Atoi(v)
		if err != nil {
			return "", false
		}
		return strconv.Itoa(n + 1), true
	},
}

func closed(lo, hi string) Interval {
	return Interval{Lo: Bound{Version: lo, Inclusive: true}, Hi: Bound{Version: hi, Inclusive: true}}
}

func halfOpen(lo, hi string) Interval { // [lo, hi)
	return Interval{Lo: Bound{Version: lo, Inclusive: true}, Hi: Bound{Version: hi}}
}

func open(lo, hi string) Interval { // (lo, hi)
	return Interval{Lo: Bound{Version: lo}, Hi: Bound{Version: hi}}
}

func leftOpen(lo, hi string) Interval { // (lo, hi]
	return Interval{Lo: Bound{Version: lo}, Hi: Bound{Version: hi, Inclusive: true}}
}

func TestSet(t *testing.T) {
	tests := []struct {
		name string
		in   []Interval
		want VersionSet
	}{
		{"empty input", nil, nil},
		{"empty intervals dropped", []Interval{halfOpen("2", "2"), closed("3", "1"), open("4", "4")}, nil},
		{"point kept", []Interval{closed("2", "2")}, VersionSet{closed("2", "2")}},
		{"touching closed/open merge", []Interval{halfOpen("2", "3"), halfOpen("1", "2")}, VersionSet{halfOpen("1", "3")}},
		{"touching open/open stay apart", []Interval{halfOpen("1", "2"), open("2", "3")}, VersionSet{halfOpen("1", "2"), open("2", "3")}},
		{"closed then open merge", []Interval{closed("1", "2"), open("2", "3")}, VersionSet{halfOpen("1", "3")}},
		{"overlap keeps larger upper", []Interval{closed("1", "5"), halfOpen("2", "3")}, VersionSet{closed("1", "5")}},
		{"same upper, inclusive wins", []Interval{halfOpen("1", "5"), closed("2", "5")}, VersionSet{closed("1", "5")}},
		{"unbounded swallow", []Interval{AtLeast("3"), Below("4")}, VersionSet{Everything()}},
		{"sorted", []Interval{Exactly("9"), Below("1"), AtLeast("20")}, VersionSet{Below("1"), Exactly("9"), AtLeast("20")}},
		{"open lower sorts after closed", []Interval{Above("1"), Exactly("1")}, VersionSet{AtLeast("1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ints.Set(tt.in...)); diff != "" {
				t.Errorf("Set (-want +got):\n%s", diff)
			}
		})
	}
}

func TestComplementIntersect(t *testing.T) {
	tests := []struct {
		name string
		in   VersionSet
		want VersionSet
	}{
		{"nothing", nil, VersionSet{Everything()}},
		{"everything", VersionSet{Everything()}, nil},
		{"half open", VersionSet{halfOpen("1", "2")}, VersionSet{Below("1"), AtLeast("2")}},
		{"two", VersionSet{leftOpen("1", "2"), AtLeast("3")}, VersionSet{AtMost("1"), open("2", "3")}},
		{"point", VersionSet{Exactly("5")}, VersionSet{Below("5"), Above("5")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ints.Complement(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Complement (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.in, ints.Complement(got)); diff != "" {
				t.Errorf("Complement twice (-want +got):\n%s", diff)
			}
		})
	}
	got := ints.Intersect(ints.Set(halfOpen("1", "5"), AtLeast("8")), ints.Set(leftOpen("3", "9")))
	want := VersionSet{open("3", "5"), closed("8", "9")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Intersect (-want +got):\n%s", diff)
	}
	if got := ints.Intersect(); !cmp.Equal(got, VersionSet{Everything()}) {
		t.Errorf("Intersect() = %v, want everything", got)
	}
}

func TestRanges(t *testing.T) {
	noSucc := Intervals{Compare: ints.Compare}
	tests := []struct {
		name      string
		o         Intervals
		in        VersionSet
		want      []osv.Range
		wantExact bool
	}{
		{"empty", ints, nil, nil, true},
		{"everything", ints, VersionSet{Everything()}, []osv.Range{{Type: "X", Events: []osv.Event{{Introduced: "0"}}}}, true},
		{"below", ints, VersionSet{Below("3")}, []osv.Range{{Type: "X", Events: []osv.Event{{Introduced: "0"}, {Fixed: "3"}}}}, true},
		{"closed", ints, VersionSet{closed("1", "3")}, []osv.Range{{Type: "X", Events: []osv.Event{{Introduced: "1"}, {LastAffected: "3"}}}}, true},
		{"open lower with successor", ints, VersionSet{open("1", "3")}, []osv.Range{{Type: "X", Events: []osv.Event{{Introduced: "2"}, {Fixed: "3"}}}}, true},
		{"open lower without successor", noSucc, VersionSet{open("1", "3")}, []osv.Range{{Type: "X", Events: []osv.Event{{Introduced: "1"}, {Fixed: "3"}}}}, false},
		{"mixed ends split in two ranges", ints, VersionSet{Below("2"), closed("4", "5"), halfOpen("7", "9"), AtLeast("12")},
			[]osv.Range{
				{Type: "X", Events: []osv.Event{{Introduced: "0"}, {Fixed: "2"}, {Introduced: "7"}, {Fixed: "9"}, {Introduced: "12"}}},
				{Type: "X", Events: []osv.Event{{Introduced: "4"}, {LastAffected: "5"}}},
			}, true},
		{"below zero kept", ints, VersionSet{Below("0"), Exactly("3")}, []osv.Range{
			{Type: "X", Events: []osv.Event{{Introduced: "0"}, {Fixed: "0"}}},
			{Type: "X", Events: []osv.Event{{Introduced: "3"}, {LastAffected: "3"}}},
		}, true},
		{"up to zero kept", ints, VersionSet{AtMost("0")}, []osv.Range{{Type: "X", Events: []osv.Event{{Introduced: "0"}, {LastAffected: "0"}}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, exact := tt.o.Ranges(tt.in, "X")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Ranges (-want +got):\n%s", diff)
			}
			if exact != tt.wantExact {
				t.Errorf("exact = %v, want %v", exact, tt.wantExact)
			}
		})
	}
}

func TestRangeContains(t *testing.T) {
	r := osv.Range{Type: "X", Events: []osv.Event{{Fixed: "5"}, {Introduced: "0"}, {Introduced: "8"}, {LastAffected: "9"}, {Introduced: "3"}}}
	// Sorted: introduced 0, introduced 3, fixed 5, introduced 8, last_affected 9.
	want := map[int]bool{0: true, 2: true, 3: true, 4: true, 5: false, 7: false, 8: true, 9: true, 10: false}
	for v, w := range want {
		if got := ints.RangeContains(r, strconv.Itoa(v)); got != w {
			t.Errorf("RangeContains(%d) = %v, want %v", v, got, w)
		}
	}
	if ints.RangesContain(nil, "1") {
		t.Error("no ranges contain 1")
	}
}

// setFromBytes builds up to 8 intervals over 0..40 from fuzz input.
func setFromBytes(b []byte) []Interval {
	var ivs []Interval
	bound := func(x byte, lower bool) Bound {
		if x%13 == 0 {
			return Bound{Unbounded: true}
		}
		return Bound{Version: strconv.Itoa(int(x>>2) % 41), Inclusive: x&1 == 1}
	}
	for len(b) >= 2 && len(ivs) < 8 {
		ivs = append(ivs, Interval{Lo: bound(b[0], true), Hi: bound(b[1], false)})
		b = b[2:]
	}
	return ivs
}

// FuzzIntervals checks the algebra pointwise against the definitions and
// that every set survives conversion to OSV events unchanged.
func FuzzIntervals(f *testing.F) {
	f.Add([]byte{5, 40, 41, 80}, []byte{13, 21})
	f.Add([]byte{0, 0}, []byte{})
	f.Add([]byte{9, 9, 10, 10, 11, 200}, []byte{13, 13, 255, 1})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		ia, ib := setFromBytes(a), setFromBytes(b)
		sa, sb := ints.Set(ia...), ints.Set(ib...)
		for i := 1; i < len(sa); i++ {
			if ints.joins(sa[i-1], sa[i]) || ints.cmpLower(sa[i-1].Lo, sa[i].Lo) >= 0 {
				t.Fatalf("not canonical: %v", sa)
			}
		}
		u, x, ca := ints.Union(sa, sb), ints.Intersect(sa, sb), ints.Complement(sa)
		ra, exact := ints.Ranges(sa, "X")
		if !exact {
			t.Fatalf("inexact with integer successors: %v", sa)
		}
		for p := 0; p <= 41; p++ {
			v := strconv.Itoa(p)
			inA, inB := false, false
			for _, iv := range ia {
				inA = inA || ints.InInterval(iv, v)
			}
			for _, iv := range ib {
				inB = inB || ints.InInterval(iv, v)
			}
			if got := ints.Contains(sa, v); got != inA {
				t.Fatalf("Set: %s in %v = %v, want %v", v, sa, got, inA)
			}
			if got := ints.Contains(u, v); got != (inA || inB) {
				t.Fatalf("Union: %s = %v", v, got)
			}
			if got := ints.Contains(x, v); got != (inA && inB) {
				t.Fatalf("Intersect: %s = %v", v, got)
			}
			if got := ints.Contains(ca, v); got == inA {
				t.Fatalf("Complement: %s = %v", v, got)
			}
			if got := ints.RangesContain(ra, v); got != inA {
				t.Fatalf("Ranges: %s in %v = %v, want %v (events %+v)", v, sa, got, inA, ra)
			}
		}
		for _, r := range ra {
			hasFixed, hasLast := false, false
			for _, e := range r.Events {
				hasFixed = hasFixed || e.Fixed != ""
				hasLast = hasLast || e.LastAffected != ""
			}
			if hasFixed && hasLast {
				t.Fatalf("range with fixed and last_affected: %+v", r)
			}
		}
	})
}

func BenchmarkIntervals(b *testing.B) {
	s1 := ints.Set(Below("3"), halfOpen("5", "9"), closed("12", "14"), AtLeast("30"))
	s2 := ints.Set(leftOpen("2", "6"), Exactly("13"), halfOpen("20", "31"))
	for b.Loop() {
		v := ints.Complement(ints.Union(s1, ints.Intersect(s1, s2)))
		ints.Ranges(v, osv.RangeEcosystem)
	}
}
