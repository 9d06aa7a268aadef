package vercmp

import (
	"bytes"
	"strings"
)

// gemOrder orders RubyGems versions as Gem::Version#<=> does (rubygems
// lib/rubygems/version.rb, 2025): a '-' reads as ".pre.", the version is
// canonicalised (trailing zeros after a letter or dot dropped, and in a
// prerelease the zeros before the first letter), then split into runs of
// digits and of letters, compared in turn with 0 for a missing segment:
// letters (by bytes) before numbers, numbers by value.
//
// Gem::Version reads an empty or blank string as "0"; here it is invalid,
// so that a missing version never matches as the lowest one.
var gemOrder = &scheme[string]{name: "RubyGems", parse: parseGem, cmp: cmpGem}

const rubySpace = " \t\n\v\f\r"

// parseGem is Gem::Version.correct?: optional blanks around
// [0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?.
func parseGem(v string) (string, string) {
	s := strings.Trim(v, rubySpace)
	if s == "" {
		return v, "empty"
	}
	n := digitPrefix(s)
	if n == 0 {
		return v, "does not start with a digit"
	}
	s = s[n:]
	for s != "" && s[0] == '.' {
		n = 1
		for n < len(s) && isAlnum(s[n]) {
			n++
		}
		if n == 1 {
			return v, "empty segment after '.'"
		}
		s = s[n:]
	}
	if s != "" && s[0] == '-' {
		for first := true; s != ""; first = false {
			if !first && s[0] != '.' {
				break
			}
			n = 1
			for n < len(s) && (isAlnum(s[n]) || s[n] == '-') {
				n++
			}
			if n == 1 {
				return v, "empty prerelease segment"
			}
			s = s[n:]
		}
	}
	if s != "" {
		return v, "unexpected character"
	}
	return v, ""
}

// gemCanonical returns the canonical string that Gem::Version splits into
// segments, built in buf.
func gemCanonical(v string, buf []byte) []byte {
	v = strings.Trim(v, rubySpace)
	b := buf[:0]
	pre := false
	for i := 0; i < len(v); i++ {
		if v[i] == '-' {
			b = append(b, ".pre."...)
			pre = true
			continue
		}
		if isAlpha(v[i]) {
			pre = true
		}
		b = append(b, v[i])
	}
	// sub(/(?<=[a-zA-Z.])[.0]+\z/, "")
	k := len(b)
	for k > 0 && (b[k-1] == '.' || b[k-1] == '0') {
		k--
	}
	switch {
	case k == len(b):
	case k > 0 && isAlpha(b[k-1]):
		b = b[:k]
	default:
		for i := k; i < len(b)-1; i++ {
			if b[i] == '.' {
				b = b[:i+1]
				break
			}
		}
	}
	// sub!(/(?<=\.|\A)[0.]+(?=[a-zA-Z])/, "") for a prerelease.
	if pre {
		for i := 0; i < len(b); i++ {
			if i > 0 && b[i-1] != '.' {
				continue
			}
			j := i
			for j < len(b) && (b[j] == '0' || b[j] == '.') {
				j++
			}
			if j > i && j < len(b) && isAlpha(b[j]) {
				b = append(b[:i], b[j:]...)
				break
			}
		}
	}
	return b
}

// gemSegment returns the next run of digits or letters at or after i.
func gemSegment(b []byte, i int) (seg []byte, next int) {
	for i < len(b) && !isAlnum(b[i]) {
		i++
	}
	j := i
	if j < len(b) && isDigit(b[j]) {
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	} else {
		for j < len(b) && isAlpha(b[j]) {
			j++
		}
	}
	return b[i:j], j
}

func cmpGem(a, b string) int {
	var ba, bb [64]byte
	x, y := gemCanonical(a, ba[:]), gemCanonical(b, bb[:])
	i, j := 0, 0
	for {
		sx, ni := gemSegment(x, i)
		sy, nj := gemSegment(y, j)
		if len(sx) == 0 && len(sy) == 0 {
			return 0
		}
		if c := cmpGemSegment(sx, sy); c != 0 {
			return c
		}
		i, j = ni, nj
	}
}

// cmpGemSegment orders one segment; an empty one is a missing segment,
// which compares as 0.
func cmpGemSegment(x, y []byte) int {
	xs, ys := len(x) > 0 && isAlpha(x[0]), len(y) > 0 && isAlpha(y[0])
	switch {
	case xs && ys:
		return bytes.Compare(x, y)
	case xs:
		return -1
	case ys:
		return 1
	}
	return cmpDigits(x, y)
}
