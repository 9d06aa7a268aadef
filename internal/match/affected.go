package match

import (
	"slices"

	"github.com/pavesec/pave/internal/osv"
	"github.com/pavesec/pave/internal/vercmp"
)

// verdict is what one Affected entry says about one version.
type verdict struct {
	affected bool
	fixed    []string // fixed versions above the installed one, for the range that affects it
	// decided is false when no range or list could be evaluated (an
	// unknown ordering, an invalid version): the entry says nothing.
	decided bool
}

// evaluate applies an Affected entry to version v, per the OSV
// specification's evaluation algorithm: versions listed explicitly are
// affected; each range is walked in version order, "introduced" opening
// and "fixed"/"last_affected" closing it, and "limit" bounding it. GIT
// ranges need commits, which a built artifact does not have, and are
// skipped.
func evaluate(a *osv.Affected, ecosystem, v string) verdict {
	return evaluateWith(a, ecosystem, v, nil)
}

// rangeCache keeps each range's events sorted, so that a range shared by
// many packages is prepared once.
type rangeCache map[*osv.Range]prepared

type prepared struct {
	evs []ev
	ok  bool
}

func evaluateWith(a *osv.Affected, ecosystem, v string, cache rangeCache) verdict {
	var out verdict
	if slices.Contains(a.Versions, v) {
		out.affected, out.decided = true, true
	}
	for i := range a.Ranges {
		r := &a.Ranges[i]
		var cmp vercmp.Comparer
		var err error
		switch r.Type {
		case osv.RangeSemver:
			cmp, err = vercmp.For("SEMVER")
		case osv.RangeEcosystem:
			cmp, err = vercmp.For(ecosystem)
		default:
			continue
		}
		if err != nil || cmp.Valid(v) != nil {
			continue
		}
		var p prepared
		if cached, hit := cache[r]; hit {
			p = cached
		} else {
			p.evs, p.ok = prepare(cmp, r.Events)
			if cache != nil {
				cache[r] = p
			}
		}
		if !p.ok {
			continue
		}
		aff, fixed := decide(cmp, p.evs, v)
		out.decided = true
		if aff {
			out.affected = true
			out.fixed = append(out.fixed, fixed...)
		}
	}
	if len(a.Versions) > 0 {
		out.decided = true
	}
	return out
}

type ev struct {
	kind, ver string
}

// inRange reports whether v is inside the range given by events, and the
// fixed version that closes the interval holding v, if any. ok is false
// when an event's version is not valid in the ordering.
func inRange(cmp vercmp.Comparer, events []osv.Event, v string) (affected bool, fixed []string, ok bool) {
	evs, ok := prepare(cmp, events)
	if !ok {
		return false, nil, false
	}
	affected, fixed = decide(cmp, evs, v)
	return affected, fixed, true
}

// prepare validates and sorts a range's events.
func prepare(cmp vercmp.Comparer, events []osv.Event) ([]ev, bool) {
	evs := make([]ev, 0, len(events))
	for _, e := range events {
		switch {
		case e.Introduced != "":
			evs = append(evs, ev{"introduced", e.Introduced})
		case e.Fixed != "":
			evs = append(evs, ev{"fixed", e.Fixed})
		case e.LastAffected != "":
			evs = append(evs, ev{"last_affected", e.LastAffected})
		case e.Limit != "":
			evs = append(evs, ev{"limit", e.Limit})
		}
	}
	for _, e := range evs {
		if e.ver == "0" && e.kind == "introduced" || e.ver == "*" && e.kind == "limit" {
			continue
		}
		if cmp.Valid(e.ver) != nil {
			return nil, false
		}
	}
	if ivs, ok := byInterval(cmp, evs); ok {
		return ivs, true
	}
	// Events that do not pair up: the timeline walk of the schema's
	// pseudocode. "0" sorts first; at equal versions, closing events sort
	// before opening ones so that "fixed: 1.2, introduced: 1.2" reads as
	// a gap.
	rank := map[string]int{"fixed": 0, "last_affected": 1, "limit": 2, "introduced": 3}
	slices.SortStableFunc(evs, func(a, b ev) int {
		az, bz := a.kind == "introduced" && a.ver == "0", b.kind == "introduced" && b.ver == "0"
		switch {
		case az && !bz:
			return -1
		case bz && !az:
			return 1
		case az && bz:
			return 0
		}
		if c := cmp.Compare(a.ver, b.ver); c != 0 {
			return c
		}
		return rank[a.kind] - rank[b.kind]
	})
	return evs, true
}

// byInterval orders events that the record lists as intervals (each
// introduced followed by the fixed or last_affected that closes it,
// limits aside) by the start of each interval, keeping each interval's
// events together, and reports false when they do not pair up. Sorting
// single events by version cannot tell "introduced: X, fixed: X" (an
// empty interval, as RustSec writes for a patched release line) from
// "fixed: X, introduced: X" (two adjacent intervals), nor read
// "introduced: X, last_affected: X" (one affected version); the pairing
// in the record can.
func byInterval(cmp vercmp.Comparer, evs []ev) ([]ev, bool) {
	var ivs [][]ev
	var limits []ev
	open := false
	for _, e := range evs {
		switch e.kind {
		case "limit":
			limits = append(limits, e)
		case "introduced":
			if open {
				return nil, false
			}
			ivs = append(ivs, []ev{e})
			open = true
		default:
			if !open {
				return nil, false
			}
			// An interval that ends before it starts (GHSA's npm
			// "introduced: 4.0.0-beta1, fixed: 4.0.0-beta.11", which
			// npm's ordering inverts) says at least that its introduced
			// version is affected; the timeline walk keeps that.
			iv := ivs[len(ivs)-1]
			if iv[0].ver != "0" && cmp.Compare(iv[0].ver, e.ver) > 0 {
				return nil, false
			}
			ivs[len(ivs)-1] = append(iv, e)
			open = false
		}
	}
	slices.SortStableFunc(ivs, func(a, b []ev) int {
		az, bz := a[0].ver == "0", b[0].ver == "0"
		switch {
		case az && bz:
			return 0
		case az:
			return -1
		case bz:
			return 1
		}
		return cmp.Compare(a[0].ver, b[0].ver)
	})
	out := make([]ev, 0, len(evs))
	for _, iv := range ivs {
		out = append(out, iv...)
	}
	return append(out, limits...), true
}

// decide walks sorted events for version v.
func decide(cmp vercmp.Comparer, evs []ev, v string) (affected bool, fixed []string) {
	for _, e := range evs {
		if e.kind == "limit" && e.ver != "*" && cmp.Compare(v, e.ver) >= 0 {
			return false, nil
		}
	}
	for i, e := range evs {
		switch e.kind {
		case "introduced":
			if e.ver == "0" || cmp.Compare(v, e.ver) >= 0 {
				affected = true
				fixed = nil
				// The fix for this interval is the next closing event.
				for _, n := range evs[i+1:] {
					if n.kind == "fixed" {
						fixed = []string{n.ver}
						break
					}
					if n.kind != "introduced" {
						break
					}
				}
			}
		case "fixed":
			if cmp.Compare(v, e.ver) >= 0 {
				affected = false
			}
		case "last_affected":
			if cmp.Compare(v, e.ver) > 0 {
				affected = false
			}
		}
	}
	if !affected {
		fixed = nil
	}
	return affected, fixed
}
