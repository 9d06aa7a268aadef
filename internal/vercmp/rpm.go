package vercmp

import "strings"

// rpmOrder orders RPM versions, [epoch:]version[-release], as rpm does:
// the epoch numerically (absent is 0), then version and release with
// rpmvercmp (rpmio/rpmvercmp.c), '~' before everything and '^' after the
// end of a version but before anything else.
//
// rpm itself skips the release when either side lacks one (so "1.0"
// equals both "1.0-1" and "1.0-2"); that is not transitive, so here a
// missing release sorts before every release.
var rpmOrder = &scheme[rpmEVR]{name: "rpm", parse: parseRPM, cmp: cmpRPM}

type rpmEVR struct {
	epoch, version, release string
	hasRelease              bool
}

// isRPMChar reports the characters rpmbuild accepts in Version and
// Release, less the macro characters '%', '{' and '}'.
func isRPMChar(c byte) bool {
	return isDigit(c) || isAlpha(c) || c == '.' || c == '_' || c == '+' || c == '~' || c == '^'
}

// parseRPM splits like rpm's parseEVR: leading digits followed by ':' are
// the epoch, the last '-' starts the release.
func parseRPM(s string) (rpmEVR, string) {
	var v rpmEVR
	if s == "" {
		return v, "empty"
	}
	if n := digitPrefix(s); n < len(s) && s[n] == ':' {
		if n == 0 {
			return v, "empty epoch before ':'"
		}
		v.epoch, s = s[:n], s[n+1:]
	}
	if h := strings.LastIndexByte(s, '-'); h >= 0 {
		v.release, v.hasRelease, s = s[h+1:], true, s[:h]
		if v.release == "" {
			return v, "empty release after '-'"
		}
	}
	v.version = s
	if s == "" {
		return v, "empty version"
	}
	for i := 0; i < len(s); i++ {
		if !isRPMChar(s[i]) {
			if s[i] == ':' {
				return v, "':' after a non-numeric epoch or in the version"
			}
			return v, "version has a character outside [0-9A-Za-z._+~^]"
		}
	}
	for i := 0; i < len(v.release); i++ {
		if !isRPMChar(v.release[i]) {
			return v, "release has a character outside [0-9A-Za-z._+~^]"
		}
	}
	return v, ""
}

func cmpRPM(a, b rpmEVR) int {
	if c := cmpDigits(a.epoch, b.epoch); c != 0 {
		return c
	}
	if c := rpmvercmp(a.version, b.version); c != 0 {
		return c
	}
	switch {
	case a.hasRelease && b.hasRelease:
		return rpmvercmp(a.release, b.release)
	case a.hasRelease:
		return 1
	case b.hasRelease:
		return -1
	}
	return 0
}

func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// rpmvercmp is rpm's rpmvercmp: alternating runs of digits (compared as
// numbers, and newer than letters) and letters (compared by bytes);
// other characters only separate, except '~' and '^'.
func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		// '~' sorts before everything else.
		ta, tb := i < len(a) && a[i] == '~', j < len(b) && b[j] == '~'
		if ta || tb {
			if !ta {
				return 1
			}
			if !tb {
				return -1
			}
			i++
			j++
			continue
		}
		// '^' sorts after the end of the version but before anything else.
		ca, cb := i < len(a) && a[i] == '^', j < len(b) && b[j] == '^'
		if ca || cb {
			if i == len(a) {
				return -1
			}
			if j == len(b) {
				return 1
			}
			if !ca {
				return 1
			}
			if !cb {
				return -1
			}
			i++
			j++
			continue
		}
		if i == len(a) || j == len(b) {
			break
		}
		si, sj := i, j
		isnum := isDigit(a[i])
		if isnum {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && isAlpha(a[i]) {
				i++
			}
			for j < len(b) && isAlpha(b[j]) {
				j++
			}
		}
		// Segments of different kinds: numbers are newer.
		if sj == j {
			if isnum {
				return 1
			}
			return -1
		}
		var c int
		if isnum {
			c = cmpDigits(a[si:i], b[sj:j])
		} else {
			c = strings.Compare(a[si:i], b[sj:j])
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case i == len(a) && j == len(b):
		return 0
	case i == len(a):
		return -1
	}
	return 1
}
