package vercmp

import "strings"

// SemVer 2.0.0 (https://semver.org) and the dialects of it that OSV
// ecosystems use. Precedence ignores build metadata except in Pub, whose
// pub_semver orders a build after the bare version.
var (
	semverOrder = &scheme[semver]{name: "semver", parse: semverParser(semverRules{}), cmp: cmpSemver}
	goOrder     = &scheme[semver]{name: "Go", parse: semverParser(semverRules{v: true}), cmp: cmpSemver}
	npmOrder    = &scheme[semver]{name: "npm", parse: semverParser(semverRules{v: true, npm: true}), cmp: cmpSemver}
	pubOrder    = &scheme[semver]{name: "Pub", parse: semverParser(semverRules{pub: true}), cmp: cmpPub}
)

// semverRules selects a dialect.
type semverRules struct {
	v   bool // a leading "v" is allowed (Go modules, npm)
	npm bool // node-semver: surrounding blanks and a leading run of 'v', '=' and blanks, at most 256 bytes, numbers up to 2^53-1
	pub bool // pub_semver: leading zeros allowed in every number
}

type semver struct {
	major, minor, patch string // digits
	pre, build          string // dot-separated identifiers, without '-' or '+'
}

const maxSafeInteger = "9007199254740991" // JavaScript's Number.MAX_SAFE_INTEGER

func semverParser(r semverRules) func(string) (semver, string) {
	return func(s string) (semver, string) { return parseSemver(s, r) }
}

func parseSemver(s string, r semverRules) (semver, string) {
	var v semver
	if r.npm {
		if len(s) > 256 {
			return v, "longer than 256 bytes"
		}
		// node-semver's loose prefix [v=\s]* and surrounding blanks.
		s = strings.TrimLeft(s, "v= \t\n\r\v\f")
		s = strings.TrimRight(s, " \t\n\r\v\f")
	}
	if r.v && s != "" && s[0] == 'v' {
		s = s[1:]
	}
	if s == "" {
		return v, "empty"
	}
	var nums [3]string
	for i := range nums {
		n := digitPrefix(s)
		if n == 0 {
			if i == 0 {
				return v, "does not start with a digit"
			}
			return v, "needs major.minor.patch"
		}
		nums[i] = s[:n]
		if n > 1 && s[0] == '0' && !r.pub {
			return v, "leading zero in major, minor or patch"
		}
		if r.npm && cmpDigits(nums[i], maxSafeInteger) > 0 {
			return v, "number larger than 2^53-1"
		}
		s = s[n:]
		if i < 2 {
			if s == "" || s[0] != '.' {
				return v, "needs major.minor.patch"
			}
			s = s[1:]
		}
	}
	v.major, v.minor, v.patch = nums[0], nums[1], nums[2]
	if s != "" && s[0] == '-' {
		end := strings.IndexByte(s, '+')
		if end < 0 {
			end = len(s)
		}
		v.pre = s[1:end]
		if why := checkIdents(v.pre, !r.pub); why != "" {
			return v, "pre-release " + why
		}
		s = s[end:]
	}
	if s != "" && s[0] == '+' {
		v.build = s[1:]
		if why := checkIdents(v.build, false); why != "" {
			return v, "build metadata " + why
		}
		s = ""
	}
	if s != "" {
		return v, "unexpected character after major.minor.patch"
	}
	return v, ""
}

// checkIdents checks dot-separated identifiers of [0-9A-Za-z-]. The
// reasons are constants so that Compare does not allocate.
func checkIdents(s string, noLeadingZero bool) string {
	for {
		id, rest, more := strings.Cut(s, ".")
		if id == "" {
			return "has an empty identifier"
		}
		numeric := true
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !isDigit(c) {
				numeric = false
				if !isAlpha(c) && c != '-' {
					return "has a character outside [0-9A-Za-z-]"
				}
			}
		}
		if numeric && noLeadingZero && len(id) > 1 && id[0] == '0' {
			return "has a numeric identifier with a leading zero"
		}
		if !more {
			return ""
		}
		s = rest
	}
}

func cmpSemver(a, b semver) int {
	if c := cmpDigits(a.major, b.major); c != 0 {
		return c
	}
	if c := cmpDigits(a.minor, b.minor); c != 0 {
		return c
	}
	if c := cmpDigits(a.patch, b.patch); c != 0 {
		return c
	}
	// A pre-release sorts before its release.
	switch {
	case a.pre == "" && b.pre == "":
		return 0
	case a.pre == "":
		return 1
	case b.pre == "":
		return -1
	}
	return cmpIdents(a.pre, b.pre)
}

// cmpPub is pub_semver's Version.compareTo: SemVer precedence, then a
// version with build metadata after the one without, builds compared like
// pre-releases.
func cmpPub(a, b semver) int {
	if c := cmpSemver(a, b); c != 0 {
		return c
	}
	switch {
	case a.build == "" && b.build == "":
		return 0
	case a.build == "":
		return -1
	case b.build == "":
		return 1
	}
	return cmpIdents(a.build, b.build)
}

// cmpIdents compares dot-separated identifiers: numeric ones as numbers
// and before alphanumeric ones, alphanumeric ones by ASCII, and a shorter
// list before a longer one it is a prefix of.
func cmpIdents(a, b string) int {
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
		x, ra, _ := strings.Cut(a, ".")
		y, rb, _ := strings.Cut(b, ".")
		xn, yn := allDigits(x), allDigits(y)
		var c int
		switch {
		case xn && yn:
			c = cmpDigits(x, y)
		case xn:
			c = -1
		case yn:
			c = 1
		default:
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
		a, b = ra, rb
	}
}
