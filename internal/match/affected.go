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
		aff, fixed, ok := inRange(cmp, r.Events, v)
		if !ok {
			continue
		}
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

// inRange reports whether v is inside the range given by events, and the
// fixed version that closes the interval holding v, if any. ok is false
// when an event's version is not valid in the ordering.
func inRange(cmp vercmp.Comparer, events []osv.Event, v string) (affected bool, fixed []string, ok bool) {
	type ev struct {
		kind, ver string
	}
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
			return false, nil, false
		}
	}
	// "0" sorts first; at equal versions, closing events sort before
	// opening ones so that "fixed: 1.2, introduced: 1.2" reads as a gap.
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
	for _, e := range evs {
		if e.kind == "limit" && e.ver != "*" && cmp.Compare(v, e.ver) >= 0 {
			return false, nil, true
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
	return affected, fixed, true
}
