package vercmp

import "strings"

// mavenOrder orders Maven versions as Maven 3.9's ComparableVersion does
// (maven-artifact, org.apache.maven.artifact.versioning): items split at
// '.', '-' and digit/letter transitions, '-' and transitions opening a
// sub-list, trailing zeros and release qualifiers trimmed, and the
// qualifiers alpha < beta < milestone < rc = cr < snapshot < "" = ga =
// final = release < sp < any other qualifier (by text, ignoring case).
var mavenOrder = &scheme[string]{name: "Maven", parse: parseMaven, cmp: cmpMaven}

// parseMaven accepts what ComparableVersion can order the same way as
// Maven without Unicode case folding: printable ASCII, none of the
// characters Maven's model validator bans in versions (\/:"<>|?*), and no
// unresolved "${" expression.
func parseMaven(s string) (string, string) {
	if s == "" {
		return s, "empty"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f {
			return s, "blank, control or non-ASCII character"
		}
		if strings.IndexByte(`\/:"<>|?*`, c) >= 0 {
			return s, `character Maven bans in versions (\/:"<>|?*)`
		}
	}
	if strings.Contains(s, "${") {
		return s, "unresolved ${...} expression"
	}
	return s, ""
}

const (
	mvnInt  = iota + 1 // a number
	mvnStr             // a qualifier
	mvnList            // a sub-list, holding every item after it
)

// Qualifier ranks, ComparableVersion's QUALIFIERS order.
const (
	mvnAlpha = iota
	mvnBeta
	mvnMilestone
	mvnRC
	mvnSnapshot
	mvnRelease // "", ga, final, release
	mvnSP
	mvnUnknown // compared by text, after all known ones
)

// mvnItem is one item of a parsed version. The sub-lists of
// ComparableVersion form a chain (a new list is always the last item of
// the current one and takes every later item), so a version is a flat
// slice in which an mvnList item marks where the next list begins.
type mvnItem struct {
	kind    uint8
	rank    uint8  // mvnStr
	removed bool   // trimmed by normalize
	val     string // mvnInt: digits without leading zeros; mvnStr with mvnUnknown: the text
}

func (it *mvnItem) isNull() bool {
	switch it.kind {
	case mvnInt:
		return it.val == ""
	case mvnStr:
		return it.rank == mvnRelease
	}
	return false // lists are handled by normalize
}

func mvnString(s string, followedByDigit bool) mvnItem {
	if followedByDigit && len(s) == 1 {
		switch lowerASCII(s[0]) {
		case 'a':
			return mvnItem{kind: mvnStr, rank: mvnAlpha}
		case 'b':
			return mvnItem{kind: mvnStr, rank: mvnBeta}
		case 'm':
			return mvnItem{kind: mvnStr, rank: mvnMilestone}
		}
	}
	for _, q := range [...]struct {
		name string
		rank uint8
	}{
		{"alpha", mvnAlpha}, {"beta", mvnBeta}, {"milestone", mvnMilestone}, {"rc", mvnRC},
		{"cr", mvnRC}, {"snapshot", mvnSnapshot}, {"ga", mvnRelease}, {"final", mvnRelease},
		{"release", mvnRelease}, {"sp", mvnSP},
	} {
		if len(s) == len(q.name) && hasPrefixFold(s, q.name) {
			return mvnItem{kind: mvnStr, rank: q.rank}
		}
	}
	return mvnItem{kind: mvnStr, rank: mvnUnknown, val: s}
}

func mvnParseItem(isDigit bool, s string) mvnItem {
	if isDigit {
		return mvnItem{kind: mvnInt, val: strings.TrimLeft(s, "0")}
	}
	return mvnString(s, false)
}

// mvnItems is ComparableVersion.parseVersion followed by normalize of
// every list, appending to buf.
func mvnItems(s string, buf []mvnItem) []mvnItem {
	items := buf[:0]
	curEmpty := true // the current list has no items yet
	add := func(it mvnItem) {
		items = append(items, it)
		curEmpty = false
	}
	newList := func() {
		items = append(items, mvnItem{kind: mvnList})
		curEmpty = true
	}
	digits := false // the current item is a number
	start := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' || c == '-':
			switch {
			case i == start:
				add(mvnItem{kind: mvnInt})
			case !digits && !curEmpty:
				// Not in Maven: a qualifier after other items
				// opens a sub-list here too ("1.0.0.rc.1" as
				// "1.0.0-rc.1"), as MNG-7644 does for one at the
				// end or before a digit. See mvnRegion.
				newList()
				add(mvnString(s[start:i], false))
			default:
				add(mvnParseItem(digits, s[start:i]))
			}
			start = i + 1
			if c == '-' {
				newList()
			}
		case isDigit(c):
			if !digits && i > start {
				// 1.0.0.X1 < 1.0.0-X2: treat .X as -X.
				if !curEmpty {
					newList()
				}
				add(mvnString(s[start:i], true))
				start = i
				newList()
			}
			digits = true
		default:
			if digits && i > start {
				add(mvnParseItem(true, s[start:i]))
				start = i
				newList()
			}
			digits = false
		}
	}
	if len(s) > start {
		if !digits && !curEmpty {
			newList()
		}
		add(mvnParseItem(digits, s[start:]))
	}
	mvnNormalize(items)
	return items
}

// mvnNormalize is ListItem.normalize on every list, innermost first, in
// one backward pass: trailing null items (0, release qualifiers, empty
// lists) are removed; a non-empty sub-list is kept and the scan goes on
// before it; the first other item stops it.
func mvnNormalize(items []mvnItem) {
	scanning, empty := true, true // of the list being walked
	for i := len(items) - 1; i >= 0; i-- {
		it := &items[i]
		if it.kind == mvnList {
			childEmpty := empty
			scanning, empty = true, true // now in the parent list
			if childEmpty {
				it.removed = true
			} else {
				empty = false
			}
			continue
		}
		if scanning && it.isNull() {
			it.removed = true
			continue
		}
		scanning, empty = false, false
	}
}

// mvnElem returns the index of the next element of the list walked from
// i, or -1 at its end. A list ends with its sub-list marker.
func mvnElem(items []mvnItem, i int) int {
	for ; i < len(items); i++ {
		if !items[i].removed {
			return i
		}
		if items[i].kind == mvnList {
			return -1 // an empty sub-list: nothing follows
		}
	}
	return -1
}

// mvnAfter is where the walk continues after element e.
func mvnAfter(items []mvnItem, e int) int {
	if items[e].kind == mvnList {
		return len(items) // the sub-list is the last element
	}
	return e + 1
}

func cmpMaven(a, b string) int {
	var ba, bb [32]mvnItem
	x := mvnItems(a, ba[:0])
	y := mvnItems(b, bb[:0])
	return mvnListCmp(x, 0, y, 0)
}

// mvnListCmp compares the lists starting at i in x and j in y element
// by element, a missing element being null, with the element order of
// mvnRegion.
func mvnListCmp(x []mvnItem, i int, y []mvnItem, j int) int {
	for {
		ex, ey := mvnElem(x, i), mvnElem(y, j)
		if ex < 0 && ey < 0 {
			return 0
		}
		rx, ry := mvnRegion(x, ex), mvnRegion(y, ey)
		if rx != ry {
			return sign(rx - ry)
		}
		switch rx {
		case mvnPreQualifier, mvnPostQualifier:
			if c := mvnQualifierCmp(&x[ex], &y[ey]); c != 0 {
				return c
			}
		case mvnNumber:
			if c := cmpDigits(x[ex].val, y[ey].val); c != 0 {
				return c
			}
		case mvnPreList, mvnPostList:
			// Both are lists, the last element of theirs: their
			// items decide.
			i, j = ex+1, ey+1
			continue
		}
		i, j = len(x), len(y)
		if ex >= 0 {
			i = mvnAfter(x, ex)
		}
		if ey >= 0 {
			j = mvnAfter(y, ey)
		}
	}
}

// Regions of the element order. ComparableVersion is not transitive: it
// compares a number above a list above a qualifier whatever their values,
// but each of them against null (a missing element) by value, with 0 and
// the release qualifiers equal to null (1.sp < 1-rc < 1 < 1.sp, and
// 4.0 < 4.0.0-20190419.052012-560 < 4.0.0.rc.1 < 4.0 in Maven 3.9).
// Here elements sit on one line:
//
//	alpha < beta < milestone < rc < snapshot < lists below null
//	< null = "" = ga = final = release < sp < other qualifiers
//	< lists above null < 0 < 1 < 2 ...
//
// where a list is below or above null by its first element that is not
// null. This differs from Maven only where Maven contradicts itself: a
// 0 is above null (after normalize a 0 is only ever followed by a
// non-zero number in its list, which decides the same way), a list
// below null is below sp and other qualifiers, and a release qualifier
// faces a list by the list's items. With qualifiers after items always
// opening a sub-list (mvnItems) those cases need unusual versions.
const (
	mvnPreQualifier = iota
	mvnPreList
	mvnNull
	mvnPostQualifier
	mvnPostList
	mvnNumber
)

// mvnRegion places element e of x (-1 for null) on that line.
func mvnRegion(x []mvnItem, e int) int {
	if e < 0 {
		return mvnNull
	}
	switch it := &x[e]; it.kind {
	case mvnInt:
		return mvnNumber
	case mvnStr:
		switch {
		case it.rank < mvnRelease:
			return mvnPreQualifier
		case it.rank == mvnRelease:
			return mvnNull
		}
		return mvnPostQualifier
	}
	switch mvnNullCmp(x, mvnElem(x, e+1)) {
	case -1:
		return mvnPreList
	case 1:
		return mvnPostList
	}
	return mvnNull
}

func mvnQualifierCmp(p, q *mvnItem) int {
	if p.rank != q.rank {
		return sign(int(p.rank) - int(q.rank))
	}
	if p.rank == mvnUnknown {
		return cmpFold(p.val, q.val)
	}
	return 0
}

// mvnNullCmp compares the element at e and everything after it in its
// list with null, as Maven's ListItem.compareTo(null) does (MNG-6964),
// but with any number above null (see mvnRegion).
func mvnNullCmp(x []mvnItem, e int) int {
	for ; e >= 0; e = mvnElem(x, e+1) {
		it := &x[e]
		var r int
		switch it.kind {
		case mvnInt:
			r = 1 // 1.1 > 1
		case mvnStr:
			r = sign(int(it.rank) - mvnRelease) // 1-rc < 1, 1-sp > 1
		case mvnList:
			continue // its items follow
		}
		if r != 0 {
			return r
		}
	}
	return 0
}
