package vercmp

import "strings"

// apkOrder orders Alpine, Wolfi and Chainguard package versions as
// apk-tools 3 does (src/version.c: apk_version_validate and
// apk_version_compare): digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}.
var apkOrder = &scheme[string]{name: "apk", parse: parseApk, cmp: cmpApk}

// apk token kinds, in apk-tools' enum order: the order matters when one
// version ends before the other.
const (
	apkInitialDigit = iota
	apkDigit
	apkLetter
	apkSuffix
	apkSuffixNo
	apkCommitHash
	apkRevisionNo
	apkEnd
	apkInvalid
)

// apk suffixes, in apk-tools' order: pre-release suffixes before
// apkSuffixNone, post-release ones after.
const (
	apkSufInvalid = iota
	apkSufAlpha
	apkSufBeta
	apkSufPre
	apkSufRC
	apkSufNone
	apkSufCVS
	apkSufSVN
	apkSufGit
	apkSufHg
	apkSufP
)

// apkLexer walks a version's tokens without allocating.
type apkLexer struct {
	rest   string
	token  int
	suffix int
	number uint64 // wraps like apk_blob_pull_uint
	value  string
	why    string // set when token becomes apkInvalid
}

func (l *apkLexer) digits() {
	n := digitPrefix(l.rest)
	l.value, l.rest = l.rest[:n], l.rest[n:]
	l.number = 0
	for i := 0; i < n; i++ {
		l.number = l.number*10 + uint64(l.value[i]-'0')
	}
	if n == 0 {
		l.invalid("expected a number")
	}
}

func (l *apkLexer) invalid(why string) {
	l.token = apkInvalid
	if l.why == "" {
		l.why = why
	}
}

func (l *apkLexer) first(s string) {
	l.rest, l.token = s, apkInitialDigit
	l.digits()
	if l.token == apkInvalid {
		l.why = "does not start with a digit"
	}
}

func (l *apkLexer) next() {
	if l.rest == "" {
		l.token = apkEnd
		return
	}
	switch c := l.rest[0]; {
	case isLower(c):
		if l.token > apkDigit {
			l.invalid("letter not right after a number")
			return
		}
		l.value, l.rest, l.token = l.rest[:1], l.rest[1:], apkLetter
	case c == '.' || isDigit(c):
		if c == '.' {
			if l.token > apkDigit {
				l.invalid("'.' after a letter or suffix")
				return
			}
			l.rest = l.rest[1:]
		}
		switch l.token {
		case apkInitialDigit, apkDigit:
			l.token = apkDigit
		case apkSuffix:
			l.token = apkSuffixNo
		default:
			l.invalid("digit after a letter")
			return
		}
		l.digits()
	case c == '_':
		if l.token > apkSuffixNo {
			l.invalid("'_' suffix after a hash or revision")
			return
		}
		n := 1
		for n < len(l.rest) && isLower(l.rest[n]) {
			n++
		}
		l.value, l.rest = l.rest[1:n], l.rest[n:]
		l.suffix = apkSuffixValue(l.value)
		if l.suffix == apkSufInvalid {
			l.invalid("unknown suffix (want _alpha, _beta, _pre, _rc, _cvs, _svn, _git, _hg or _p)")
			return
		}
		l.token = apkSuffix
	case c == '~':
		if l.token >= apkCommitHash {
			l.invalid("'~' hash after a hash or revision")
			return
		}
		n := 1
		for n < len(l.rest) && (isDigit(l.rest[n]) || 'a' <= l.rest[n] && l.rest[n] <= 'f') {
			n++
		}
		l.value, l.rest = l.rest[1:n], l.rest[n:]
		if l.value == "" {
			l.invalid("'~' without a lower-case hex hash")
			return
		}
		l.token = apkCommitHash
	case c == '-':
		if l.token >= apkRevisionNo {
			l.invalid("second revision")
			return
		}
		if len(l.rest) < 2 || l.rest[1] != 'r' {
			l.invalid("'-' not followed by r<number>")
			return
		}
		l.rest, l.token = l.rest[2:], apkRevisionNo
		l.digits()
	default:
		l.invalid("unexpected character")
	}
}

func apkSuffixValue(s string) int {
	if s == "" {
		return apkSufInvalid
	}
	var v int
	var want string
	switch s[0] {
	case 'a':
		v, want = apkSufAlpha, "alpha"
	case 'b':
		v, want = apkSufBeta, "beta"
	case 'c':
		v, want = apkSufCVS, "cvs"
	case 'g':
		v, want = apkSufGit, "git"
	case 'h':
		v, want = apkSufHg, "hg"
	case 'p':
		v, want = apkSufP, "p"
		if len(s) > 1 {
			v, want = apkSufPre, "pre"
		}
	case 'r':
		v, want = apkSufRC, "rc"
	case 's':
		v, want = apkSufSVN, "svn"
	default:
		return apkSufInvalid
	}
	if s != want {
		return apkSufInvalid
	}
	return v
}

func parseApk(s string) (string, string) {
	var l apkLexer
	for l.first(s); l.token < apkEnd; l.next() {
	}
	if l.token == apkInvalid {
		return s, l.why
	}
	return s, ""
}

// apkTokenCmp is token_cmp: digits with a leading zero compare as
// strings (as Gentoo does), other numbers numerically, hashes as strings.
func apkTokenCmp(a, b *apkLexer) int {
	var x, y uint64
	switch a.token {
	case apkDigit:
		if a.value[0] == '0' || b.value[0] == '0' {
			return sign(strings.Compare(a.value, b.value))
		}
		x, y = a.number, b.number
	case apkInitialDigit, apkSuffixNo, apkRevisionNo:
		x, y = a.number, b.number
	case apkLetter:
		x, y = uint64(a.value[0]), uint64(b.value[0])
	case apkSuffix:
		x, y = uint64(a.suffix), uint64(b.suffix)
	default:
		return sign(strings.Compare(a.value, b.value))
	}
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// cmpApk is apk_version_compare without the fuzzy mode.
func cmpApk(a, b string) int {
	var ta, tb apkLexer
	ta.first(a)
	tb.first(b)
	for ta.token == tb.token && ta.token < apkEnd {
		if r := apkTokenCmp(&ta, &tb); r != 0 {
			return r
		}
		ta.next()
		tb.next()
	}
	if ta.token == tb.token {
		return 0
	}
	// Equal so far: the longer version is greater, unless what it has
	// next is a pre-release suffix.
	if ta.token == apkSuffix && ta.suffix < apkSufNone {
		return -1
	}
	if tb.token == apkSuffix && tb.suffix < apkSufNone {
		return 1
	}
	if ta.token > tb.token {
		return -1
	}
	return 1
}
