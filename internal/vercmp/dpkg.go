package vercmp

import "strings"

// dpkgOrder orders Debian and Ubuntu versions as dpkg does
// (lib/dpkg/version.c dpkg_version_compare and verrevcmp) and accepts the
// versions dpkg's parseversion accepts without error or warning.
var dpkgOrder = &scheme[dpkgVersion]{name: "dpkg", parse: parseDpkg, cmp: cmpDpkg}

type dpkgVersion struct {
	epoch    string // digits; "" means 0
	upstream string
	revision string
}

// parseDpkg follows parseversion in lib/dpkg/parsehelp.c. Where dpkg only
// warns (upstream not starting with a digit, characters outside the
// allowed sets) the version is invalid here. The epoch is what strtol
// reads (an optional sign and ASCII digits), from 0 to INT_MAX.
func parseDpkg(s string) (dpkgVersion, string) {
	var v dpkgVersion
	if s == "" {
		return v, "version string is empty"
	}
	s = strings.TrimLeft(s, " \t")
	end := strings.IndexAny(s, " \t")
	if end >= 0 {
		if strings.TrimLeft(s[end:], " \t") != "" {
			return v, "version string has embedded spaces"
		}
		s = s[:end]
	}
	if s == "" {
		return v, "version string is empty"
	}
	if colon := strings.IndexByte(s, ':'); colon >= 0 {
		// strtol(3): an optional sign, then digits.
		e := s[:colon]
		sign := 0
		if e != "" && (e[0] == '+' || e[0] == '-') {
			sign = 1
		}
		n := digitPrefix(e[sign:])
		switch {
		case n == 0:
			return v, "epoch in version is empty"
		case sign+n != len(e):
			return v, "epoch in version is not number"
		case e[0] == '-' && strings.TrimLeft(e[1:], "0") != "":
			return v, "epoch in version is negative"
		case cmpDigits(e[sign:], "2147483647") > 0:
			return v, "epoch in version is too big"
		}
		v.epoch = e[sign:]
		s = s[colon+1:]
		if s == "" {
			return v, "nothing after colon in version number"
		}
	}
	if h := strings.LastIndexByte(s, '-'); h >= 0 {
		v.revision = s[h+1:]
		s = s[:h]
		if v.revision == "" {
			return v, "revision number is empty"
		}
	}
	v.upstream = s
	if s == "" {
		return v, "version number is empty"
	}
	if !isDigit(s[0]) {
		return v, "version number does not start with digit"
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && !isAlpha(c) && strings.IndexByte(".-+~:", c) < 0 {
			return v, "invalid character in version number"
		}
	}
	for i := 0; i < len(v.revision); i++ {
		if c := v.revision[i]; !isDigit(c) && !isAlpha(c) && strings.IndexByte(".+~", c) < 0 {
			return v, "invalid character in revision number"
		}
	}
	return v, ""
}

func cmpDpkg(a, b dpkgVersion) int {
	if c := cmpDigits(a.epoch, b.epoch); c != 0 {
		return c
	}
	if c := verrevcmp(a.upstream, b.upstream); c != 0 {
		return c
	}
	return verrevcmp(a.revision, b.revision)
}

// dpkgOrderOf is dpkg's order(): digits 0 (never reached in the
// non-digit loop), letters by ASCII, '~' before everything including the
// end of the string, other characters after letters.
func dpkgOrderOf(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

// verrevcmp is dpkg's verrevcmp: alternating runs of non-digits (compared
// character by character with dpkgOrderOf) and digits (compared as
// numbers).
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := dpkgOrderOf(a, i), dpkgOrderOf(b, j)
			if ac != bc {
				return ac - bc
			}
			i++
			j++
		}
		na, nb := digitPrefix(a[i:]), digitPrefix(b[j:])
		if c := cmpDigits(a[i:i+na], b[j:j+nb]); c != 0 {
			return c
		}
		i += na
		j += nb
	}
	return 0
}
