package vercmp

import "strings"

// pep440Order orders PyPI versions by PEP 440 as the packaging library's
// Version does (packaging/version.py VERSION_PATTERN and _cmpkey): any
// spelling the pattern accepts ("1.0-alpha1", "1.0.post1", "1.0c1",
// "V1.0.RC1") compares equal to its normal form.
var pep440Order = &scheme[pep440]{name: "PyPI", parse: parsePEP440, cmp: cmpPEP440}

type pep440 struct {
	epoch   string // digits or ""
	release string // digits separated by '.'
	pre     byte   // 0, 'a', 'b' or 'c' (rc, c, pre, preview)
	preN    string
	post    bool
	postN   string
	dev     bool
	devN    string
	local   string // as written; segments separated by '.', '-' or '_'
}

func isPEPSep(c byte) bool { return c == '-' || c == '_' || c == '.' }

// hasPrefixFold reports whether s starts with the lower-case ASCII word w,
// ignoring ASCII case.
func hasPrefixFold(s, w string) bool {
	if len(s) < len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

// matchLabel returns the first of words (in order) that s starts with,
// ignoring case, and its length.
func matchLabel(s string, words ...string) (string, int) {
	for _, w := range words {
		if hasPrefixFold(s, w) {
			return w, len(w)
		}
	}
	return "", 0
}

// optSep returns the length (0 or 1) of an optional separator at s[0].
func optSep(s string) int {
	if s != "" && isPEPSep(s[0]) {
		return 1
	}
	return 0
}

// parsePEP440 matches packaging's VERSION_PATTERN (case-insensitive,
// surrounded by optional whitespace). Each optional part is taken
// greedily; no input that the regular expression accepts needs
// backtracking into an earlier part, because every label set is
// prefix-free once its longest member is tried first and the separators
// are optional at both ends.
func parsePEP440(s string) (pep440, string) {
	var v pep440
	s = strings.Trim(s, " \t\n\r\v\f")
	if s != "" && (s[0] == 'v' || s[0] == 'V') {
		s = s[1:]
	}
	n := digitPrefix(s)
	if n == 0 {
		return v, "does not start with a release number"
	}
	if n < len(s) && s[n] == '!' {
		v.epoch = s[:n]
		s = s[n+1:]
		n = digitPrefix(s)
		if n == 0 {
			return v, "no release number after the epoch"
		}
	}
	// Release: N(.N)*
	i := n
	for i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		i++
		i += digitPrefix(s[i:])
	}
	v.release, s = s[:i], s[i:]

	// Pre-release: [-_.]? (alpha|a|beta|b|preview|pre|c|rc) [-_.]? N?
	sep := optSep(s)
	if l, ln := matchLabel(s[sep:], "alpha", "a", "beta", "b", "preview", "pre", "c", "rc"); ln > 0 {
		v.pre = l[0]
		if l == "pre" || l == "preview" || l == "rc" {
			v.pre = 'c'
		}
		s = s[sep+ln:]
		s = s[optSep(s):]
		n = digitPrefix(s)
		v.preN, s = s[:n], s[n:]
	}

	// Post-release: -N | [-_.]? (post|rev|r) [-_.]? N?
	sep = optSep(s)
	if n = digitPrefix(s[sep:]); sep == 1 && s[0] == '-' && n > 0 {
		v.post, v.postN, s = true, s[1:1+n], s[1+n:]
	} else if _, ln := matchLabel(s[sep:], "post", "rev", "r"); ln > 0 {
		v.post = true
		s = s[sep+ln:]
		s = s[optSep(s):]
		n = digitPrefix(s)
		v.postN, s = s[:n], s[n:]
	}

	// Development release: [-_.]? dev [-_.]? N?
	if sep = optSep(s); hasPrefixFold(s[sep:], "dev") {
		v.dev = true
		s = s[sep+3:]
		s = s[optSep(s):]
		n = digitPrefix(s)
		v.devN, s = s[:n], s[n:]
	}

	// Local version: + [a-z0-9]+ ([-_.][a-z0-9]+)*
	if s != "" && s[0] == '+' {
		v.local, s = s[1:], ""
		if v.local == "" {
			return v, "empty local version after '+'"
		}
		prevSep := true
		for i := 0; i < len(v.local); i++ {
			c := v.local[i]
			switch {
			case isDigit(c) || isAlpha(c):
				prevSep = false
			case isPEPSep(c):
				if prevSep {
					return v, "empty segment in local version"
				}
				prevSep = true
			default:
				return v, "local version has a character outside [a-z0-9._-]"
			}
		}
		if prevSep {
			return v, "local version ends with a separator"
		}
	}
	if s != "" {
		return v, "unexpected text after the version"
	}
	return v, ""
}

func cmpPEP440(a, b pep440) int {
	if c := cmpDigits(a.epoch, b.epoch); c != 0 {
		return c
	}
	if c := cmpRelease(a.release, b.release); c != 0 {
		return c
	}
	if c := cmpPEPPre(a, b); c != 0 {
		return c
	}
	// No post-release sorts before any post-release.
	if c := cmpOptNum(a.post, a.postN, b.post, b.postN, -1); c != 0 {
		return c
	}
	// No dev release sorts after any dev release.
	if c := cmpOptNum(a.dev, a.devN, b.dev, b.devN, 1); c != 0 {
		return c
	}
	return cmpLocal(a.local, b.local)
}

// cmpRelease compares dotted numbers, padding the shorter with zeros
// (packaging strips trailing zeros before comparing tuples; the two are
// the same order).
func cmpRelease(a, b string) int {
	for a != "" || b != "" {
		x, ra, _ := strings.Cut(a, ".")
		y, rb, _ := strings.Cut(b, ".")
		if c := cmpDigits(x, y); c != 0 {
			return c
		}
		a, b = ra, rb
	}
	return 0
}

// pepPreRank places the pre-release part of _cmpkey on one line: a dev
// release of a final version ("1.0.dev1", no pre or post) before every
// pre-release, then a, b, rc, then no pre-release at all.
func pepPreRank(v pep440) int {
	switch {
	case v.pre != 0:
		return int(v.pre) // 'a' < 'b' < 'c'
	case !v.post && v.dev:
		return 0
	}
	return 256
}

func cmpPEPPre(a, b pep440) int {
	ra, rb := pepPreRank(a), pepPreRank(b)
	if ra != rb {
		return ra - rb
	}
	if a.pre != 0 {
		return cmpDigits(a.preN, b.preN)
	}
	return 0
}

// cmpOptNum compares optional numbers; absent sorts at side (-1 before,
// +1 after) every present one.
func cmpOptNum(ha bool, na string, hb bool, nb string, absent int) int {
	switch {
	case ha && hb:
		return cmpDigits(na, nb)
	case ha == hb:
		return 0
	case !ha:
		return absent
	}
	return -absent
}

// cmpLocal compares local versions: none before any; segments split on
// '.', '-' or '_'; numeric segments as numbers and after alphanumeric
// ones, alphanumeric ones case-insensitively; a shorter list before a
// longer one it is a prefix of.
func cmpLocal(a, b string) int {
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	case b == "":
		return 1
	}
	for {
		if a == "" || b == "" {
			switch {
			case a == "" && b == "":
				return 0
			case a == "":
				return -1
			}
			return 1
		}
		x, ra := cutAny(a, isPEPSep)
		y, rb := cutAny(b, isPEPSep)
		xn, yn := allDigits(x), allDigits(y)
		var c int
		switch {
		case xn && yn:
			c = cmpDigits(x, y)
		case xn:
			c = 1
		case yn:
			c = -1
		default:
			c = cmpFold(x, y)
		}
		if c != 0 {
			return c
		}
		a, b = ra, rb
	}
}

// cutAny splits s at the first byte for which sep is true.
func cutAny(s string, sep func(byte) bool) (before, after string) {
	for i := 0; i < len(s); i++ {
		if sep(s[i]) {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// cmpFold compares ASCII strings byte by byte after lower-casing.
func cmpFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := lowerASCII(a[i]), lowerASCII(b[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}
