package feed

import (
	"slices"

	"github.com/pavesec/pave/internal/osv"
)

// Converters of native formats (RubySec's gem requirements, node-semver
// ranges) describe affected versions as sets: "not (~> 5.2.4 or >= 6.0.1)",
// "<1.4.1 || >=2.0.0 <2.17.2". Intervals computes with such sets over one
// version ordering and writes them as OSV events.

// CompareFunc orders two versions: negative if a < b, zero if the
// ecosystem calls them equal, positive if a > b. A vercmp.Comparer's
// Compare method is one.
type CompareFunc func(a, b string) int

// Bound is one end of an interval. An Unbounded lower end is minus
// infinity, an Unbounded upper end plus infinity; Version and Inclusive
// are then ignored.
type Bound struct {
	Version   string
	Inclusive bool
	Unbounded bool
}

// Interval is the versions between Lo and Hi.
type Interval struct {
	Lo, Hi Bound
}

// Everything is the interval of all versions.
func Everything() Interval {
	return Interval{Lo: Bound{Unbounded: true}, Hi: Bound{Unbounded: true}}
}

// AtLeast is [v, +inf).
func AtLeast(v string) Interval {
	return Interval{Lo: Bound{Version: v, Inclusive: true}, Hi: Bound{Unbounded: true}}
}

// Above is (v, +inf).
func Above(v string) Interval {
	return Interval{Lo: Bound{Version: v}, Hi: Bound{Unbounded: true}}
}

// Below is (-inf, v).
func Below(v string) Interval {
	return Interval{Lo: Bound{Unbounded: true}, Hi: Bound{Version: v}}
}

// AtMost is (-inf, v].
func AtMost(v string) Interval {
	return Interval{Lo: Bound{Unbounded: true}, Hi: Bound{Version: v, Inclusive: true}}
}

// Exactly is [v, v].
func Exactly(v string) Interval {
	return Interval{Lo: Bound{Version: v, Inclusive: true}, Hi: Bound{Version: v, Inclusive: true}}
}

// VersionSet is a union of intervals in canonical form: none empty, in
// ascending order, and no two that overlap or touch (so [1,2) and [2,3)
// are one interval, while [1,2) and (2,3) stay two). Build one with
// Intervals.Set; the zero VersionSet is empty.
type VersionSet []Interval

// Intervals is the interval algebra over one version ordering.
//
// Successor, if set, returns the least version greater than v, or false
// when the ordering has none (between any two RubyGems versions there is
// always another). OSV events cannot say "introduced after v", so Ranges
// writes an open lower end (v, … as introduced Successor(v) and, without
// a successor, as introduced v, reporting that it widened the set.
type Intervals struct {
	Compare   CompareFunc
	Successor func(v string) (string, bool)
}

// Empty reports whether the interval holds no version.
func (o Intervals) Empty(iv Interval) bool {
	if iv.Lo.Unbounded || iv.Hi.Unbounded {
		return false
	}
	c := o.Compare(iv.Lo.Version, iv.Hi.Version)
	return c > 0 || c == 0 && !(iv.Lo.Inclusive && iv.Hi.Inclusive)
}

// cmpLower orders lower bounds: the one admitting more versions first.
func (o Intervals) cmpLower(a, b Bound) int {
	switch {
	case a.Unbounded && b.Unbounded:
		return 0
	case a.Unbounded:
		return -1
	case b.Unbounded:
		return 1
	}
	if c := o.Compare(a.Version, b.Version); c != 0 {
		return c
	}
	switch {
	case a.Inclusive == b.Inclusive:
		return 0
	case a.Inclusive:
		return -1
	}
	return 1
}

// cmpUpper orders upper bounds: the one admitting more versions last.
func (o Intervals) cmpUpper(a, b Bound) int {
	switch {
	case a.Unbounded && b.Unbounded:
		return 0
	case a.Unbounded:
		return 1
	case b.Unbounded:
		return -1
	}
	if c := o.Compare(a.Version, b.Version); c != 0 {
		return c
	}
	switch {
	case a.Inclusive == b.Inclusive:
		return 0
	case a.Inclusive:
		return 1
	}
	return -1
}

// joins reports whether b, which does not start before a, overlaps or
// touches a, so that a ∪ b is one interval.
func (o Intervals) joins(a, b Interval) bool {
	if a.Hi.Unbounded || b.Lo.Unbounded {
		return true
	}
	c := o.Compare(b.Lo.Version, a.Hi.Version)
	return c < 0 || c == 0 && (b.Lo.Inclusive || a.Hi.Inclusive)
}

// Set returns the union of the intervals in canonical form.
func (o Intervals) Set(ivs ...Interval) VersionSet {
	s := make([]Interval, 0, len(ivs))
	for _, iv := range ivs {
		if !o.Empty(iv) {
			s = append(s, iv)
		}
	}
	slices.SortStableFunc(s, func(a, b Interval) int { return o.cmpLower(a.Lo, b.Lo) })
	out := s[:0]
	for _, iv := range s {
		if n := len(out); n > 0 && o.joins(out[n-1], iv) {
			if o.cmpUpper(iv.Hi, out[n-1].Hi) > 0 {
				out[n-1].Hi = iv.Hi
			}
			continue
		}
		out = append(out, iv)
	}
	if len(out) == 0 {
		return nil
	}
	return VersionSet(out)
}

// Union returns the versions in any of the sets.
func (o Intervals) Union(sets ...VersionSet) VersionSet {
	var all []Interval
	for _, s := range sets {
		all = append(all, s...)
	}
	return o.Set(all...)
}

// Complement returns the versions not in s, which must be canonical.
func (o Intervals) Complement(s VersionSet) VersionSet {
	var out []Interval
	lo := Bound{Unbounded: true}
	for _, iv := range s {
		if !iv.Lo.Unbounded {
			out = append(out, Interval{Lo: lo, Hi: Bound{Version: iv.Lo.Version, Inclusive: !iv.Lo.Inclusive}})
		}
		if iv.Hi.Unbounded {
			return o.Set(out...)
		}
		lo = Bound{Version: iv.Hi.Version, Inclusive: !iv.Hi.Inclusive}
	}
	out = append(out, Interval{Lo: lo, Hi: Bound{Unbounded: true}})
	return o.Set(out...)
}

// Intersect returns the versions in every set.
func (o Intervals) Intersect(sets ...VersionSet) VersionSet {
	if len(sets) == 0 {
		return o.Set(Everything())
	}
	comps := make([]VersionSet, len(sets))
	for i, s := range sets {
		comps[i] = o.Complement(s)
	}
	return o.Complement(o.Union(comps...))
}

// Contains reports whether v is in s.
func (o Intervals) Contains(s VersionSet, v string) bool {
	for _, iv := range s {
		if o.InInterval(iv, v) {
			return true
		}
	}
	return false
}

// InInterval reports whether v is in iv.
func (o Intervals) InInterval(iv Interval, v string) bool {
	if !iv.Lo.Unbounded {
		c := o.Compare(v, iv.Lo.Version)
		if c < 0 || c == 0 && !iv.Lo.Inclusive {
			return false
		}
	}
	if !iv.Hi.Unbounded {
		c := o.Compare(v, iv.Hi.Version)
		if c > 0 || c == 0 && !iv.Hi.Inclusive {
			return false
		}
	}
	return true
}

// Ranges writes a canonical set as OSV ranges of type typ. Intervals
// closed above end in last_affected, the others in fixed (or nothing, when
// unbounded), and since the OSV schema forbids fixed and last_affected in
// one range, the result has up to two ranges: the fixed ones, then the
// last_affected ones. A set unbounded below starts at introduced "0",
// which OSV defines as before every version (even those an ecosystem
// orders below "0", like RubyGems' "0.a"). exact is
// false when an open lower end had no successor and the range was widened
// to include that end (see Intervals). An empty set gives no ranges.
func (o Intervals) Ranges(s VersionSet, typ string) (ranges []osv.Range, exact bool) {
	exact = true
	var fixed, last []osv.Event
	for _, iv := range s {
		intro := "0"
		switch {
		case iv.Lo.Unbounded:
		case iv.Lo.Inclusive:
			intro = iv.Lo.Version
		default:
			intro = iv.Lo.Version
			if o.Successor == nil {
				exact = false
			} else if next, ok := o.Successor(iv.Lo.Version); ok {
				intro = next
			} else {
				exact = false
			}
		}
		switch {
		case iv.Hi.Unbounded:
			fixed = append(fixed, osv.Event{Introduced: intro})
		case iv.Hi.Inclusive:
			last = append(last, osv.Event{Introduced: intro}, osv.Event{LastAffected: iv.Hi.Version})
		default:
			fixed = append(fixed, osv.Event{Introduced: intro}, osv.Event{Fixed: iv.Hi.Version})
		}
	}
	if len(fixed) > 0 {
		ranges = append(ranges, osv.Range{Type: typ, Events: fixed})
	}
	if len(last) > 0 {
		ranges = append(ranges, osv.Range{Type: typ, Events: last})
	}
	return ranges, exact
}

// RangeContains evaluates one OSV range of type SEMVER or ECOSYSTEM for
// version v as the OSV schema defines it: events in version order
// (introduced "0" before all), each introduced at or below v makes v
// affected, each fixed at or below v and each last_affected below v makes
// it unaffected again; limit events are ignored. Converters use it to
// check their own output.
func (o Intervals) RangeContains(r osv.Range, v string) bool {
	evs := slices.Clone(r.Events)
	key := func(e osv.Event) (string, int) {
		switch {
		case e.Introduced != "":
			return e.Introduced, 0
		case e.Fixed != "":
			return e.Fixed, 1
		case e.LastAffected != "":
			return e.LastAffected, 2
		}
		return e.Limit, 3
	}
	slices.SortStableFunc(evs, func(a, b osv.Event) int {
		av, _ := key(a)
		bv, _ := key(b)
		az, bz := a.Introduced == "0", b.Introduced == "0"
		switch {
		case az && bz:
			return 0
		case az:
			return -1
		case bz:
			return 1
		}
		return o.Compare(av, bv)
	})
	affected := false
	for _, e := range evs {
		ev, kind := key(e)
		switch kind {
		case 0:
			if e.Introduced == "0" || o.Compare(v, ev) >= 0 {
				affected = true
			}
		case 1:
			if o.Compare(v, ev) >= 0 {
				affected = false
			}
		case 2:
			if o.Compare(v, ev) > 0 {
				affected = false
			}
		}
	}
	return affected
}

// RangesContain reports whether any of the ranges contains v.
func (o Intervals) RangesContain(rs []osv.Range, v string) bool {
	for _, r := range rs {
		if o.RangeContains(r, v) {
			return true
		}
	}
	return false
}
