package vercmp

import "strings"

// composerOrder orders Packagist versions as Composer does: each version
// is normalised by composer/semver's VersionParser::normalize ("v1.0" →
// 1.0.0.0, "1.0RC1" → 1.0.0.0-RC1, "1.x-dev" →
// 1.9999999.9999999.9999999-dev) and the normal forms are ordered by
// PHP's version_compare. Branch names ("dev-main", "master") normalise to
// dev-* names that Composer never orders against versions: they are
// invalid here.
var composerOrder = &scheme[composerVersion]{name: "Packagist", parse: parseComposer, cmp: cmpComposer}

// composerVersion is a normal form: numbers, then an optional stability
// word with its numbers, then an optional dev flag.
type composerVersion struct {
	nums     string // numbers separated by '.', ':' or '-' (a date), or a classical major[.n[.n[.n]]]
	classic  bool   // nums is classical: pad to four numbers
	branch   bool   // numbers may be x (a numeric dev branch, 9999999)
	word     int    // composerNone or a rank
	wordNums string // digits separated by '.' or '-'
	dev      bool
}

// version_compare ranks, doubled so that "nothing left" fits between RC
// and numbers: a version that ends where the other goes on with a number
// is smaller, one that goes on with dev, alpha, beta or RC is larger, one
// that goes on with a patch level is smaller.
const (
	composerUnknown = -2 // "stable" written in capitals, which PHP does not know
	composerDev     = 0
	composerAlpha   = 2
	composerBeta    = 4
	composerRC      = 6
	composerEnd     = 7
	composerNumber  = 8
	composerPatch   = 10
	composerNone    = -100
)

const phpSpace = " \t\n\r\x00\x0b"

func parseComposer(s string) (composerVersion, string) {
	var v composerVersion
	s = strings.Trim(s, phpSpace)
	if s == "" {
		return v, "empty"
	}
	// "1.0.0 as 2.0": the part before the alias.
	if i := strings.IndexAny(s, " \t\n\v\f\r"); i > 0 && !strings.ContainsRune(s[:i], ',') {
		rest := strings.TrimLeft(s[i:], " ")
		if len(rest) < len(s[i:]) && strings.HasPrefix(rest, "as ") {
			alias := strings.TrimLeft(rest[3:], " ")
			if alias != "" && !strings.ContainsAny(alias, ", \t\n\v\f\r") {
				s = s[:i]
			}
		}
	}
	// "@stable" and the other stability flags.
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		f := s[at+1:]
		for _, w := range [...]string{"stable", "rc", "beta", "alpha", "dev"} {
			if len(f) == len(w) && hasPrefixFold(f, w) {
				s = s[:at]
				break
			}
		}
	}
	if s == "master" || s == "trunk" || s == "default" || len(s) >= 4 && hasPrefixFold(s, "dev-") {
		return v, "a dev branch, which Composer does not order"
	}
	// Build metadata: "+..." without blanks after a part without commas.
	if p := strings.IndexByte(s, '+'); p > 0 && !strings.ContainsAny(s[:p], ", \t\n\v\f\r") &&
		p < len(s)-1 && !strings.ContainsAny(s[p+1:], " \t\n\v\f\r") {
		s = s[:p]
	}
	if v, ok := composerClassical(s); ok {
		return v, ""
	}
	if v, ok := composerDate(s); ok {
		return v, ""
	}
	if v, ok := composerBranch(s); ok {
		return v, ""
	}
	return v, "not a version Composer can normalise"
}

func trimV(s string) string {
	if s != "" && (s[0] == 'v' || s[0] == 'V') {
		return s[1:]
	}
	return s
}

// composerClassical matches ^v?(\d{1,5}+)(\.\d++)?(\.\d++)?(\.\d++)? and
// the modifiers.
func composerClassical(s string) (composerVersion, bool) {
	v := composerVersion{classic: true, word: composerNone}
	s = trimV(s)
	n := digitPrefix(s)
	if n == 0 || n > 5 {
		return v, false
	}
	i := n
	for k := 0; k < 3 && i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]); k++ {
		i++
		i += digitPrefix(s[i:])
	}
	v.nums = s[:i]
	return v, composerModifier(s[i:], &v)
}

// composerDate matches ^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2})
// and the modifiers.
func composerDate(s string) (composerVersion, bool) {
	v := composerVersion{word: composerNone}
	s = trimV(s)
	end := 0
	for end < len(s) && (isDigit(s[end]) || s[end] == '.' || s[end] == ':' || s[end] == '-') {
		end++
	}
	// The date ends with a digit; a separator after it belongs to the
	// modifier.
	for end > 0 && !isDigit(s[end-1]) {
		end--
	}
	if end < len(s) && s[end] == ':' {
		return v, false
	}
	if !dateMatch(s[:end], 0, 0, 0) {
		return v, false
	}
	v.nums = s[:end]
	return v, composerModifier(s[end:], &v)
}

// dateMatch matches d from i: phase 0 wants the four-digit year, phase 1
// two-digit groups (count so far n, at most 6), phase 2 groups of one to
// three digits (at most 2), each group but the first optionally after
// one of ".:-".
func dateMatch(d string, i, phase, n int) bool {
	if phase == 0 {
		return len(d) >= 4 && digitPrefix(d[:4]) == 4 && dateMatch(d, 4, 1, 0)
	}
	if i == len(d) {
		return phase == 2 || n >= 1
	}
	j := i
	if d[j] == '.' || d[j] == ':' || d[j] == '-' {
		j++
	}
	run := digitPrefix(d[j:])
	if phase == 1 && n < 6 && run >= 2 && dateMatch(d, j+2, 1, n+1) {
		return true
	}
	if phase == 1 && n < 1 {
		return false
	}
	if phase == 1 {
		phase, n = 2, 0
	}
	if n >= 2 {
		return false
	}
	for k := 1; k <= 3 && k <= run; k++ {
		if dateMatch(d, j+k, 2, n+1) {
			return true
		}
	}
	return false
}

// composerModifier matches the modifier regex
// [._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?$
// (case-insensitive) and records it the way normalize expands it.
func composerModifier(m string, v *composerVersion) bool {
	if m == "" {
		return true
	}
	rest := m
	if rest[0] == '.' || rest[0] == '_' || rest[0] == '-' {
		rest = rest[1:]
	}
	word, n := matchLabel(rest, "stable", "beta", "b", "rc", "alpha", "a", "patch", "pl", "p")
	if n > 0 {
		after := rest[n:]
		// Possessive ((?:[.-]?\d+)*+).
		k := 0
		for {
			j := k
			if j < len(after) && (after[j] == '.' || after[j] == '-') {
				j++
			}
			d := digitPrefix(after[j:])
			if d == 0 {
				break
			}
			k = j + d
		}
		if composerDevTail(after[k:]) {
			if word == "stable" && rest[:n] == "stable" {
				return true // normalize returns the bare version
			}
			v.word = composerWordRank(word)
			v.wordNums = after[:k]
			v.dev = after[k:] != ""
			return true
		}
	}
	// No stability word: the separator, if any, is dev's own or the
	// modifier's.
	if composerDevTail(m) || (m[0] == '.' || m[0] == '_' || m[0] == '-') && composerDevTail(m[1:]) {
		v.dev = true
		return true
	}
	return false
}

// composerDevTail matches ([.-]?dev)?$ case-insensitively.
func composerDevTail(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == '.' || s[0] == '-' {
		s = s[1:]
	}
	return len(s) == 3 && hasPrefixFold(s, "dev")
}

func composerWordRank(w string) int {
	switch w {
	case "beta", "b":
		return composerBeta
	case "alpha", "a":
		return composerAlpha
	case "rc":
		return composerRC
	case "patch", "pl", "p":
		return composerPatch
	}
	return composerUnknown // "stable" in capitals: version_compare does not know it
}

// composerBranch is normalize's last resort: (.*?)[.-]?dev$ whose prefix
// normalizeBranch turns into numbers: ^v?(\d++)(\.(?:\d++|[xX*]))? (up to
// three times).
func composerBranch(s string) (composerVersion, bool) {
	v := composerVersion{classic: true, branch: true, word: composerNone, dev: true}
	if len(s) < 3 || !hasPrefixFold(s[len(s)-3:], "dev") {
		return v, false
	}
	name := s[:len(s)-3]
	if name != "" && (name[len(name)-1] == '.' || name[len(name)-1] == '-') {
		name = name[:len(name)-1]
	}
	name = trimV(strings.Trim(name, phpSpace))
	n := digitPrefix(name)
	if n == 0 {
		return v, false
	}
	i := n
	for k := 0; k < 3 && i+1 < len(name) && name[i] == '.'; k++ {
		if c := name[i+1]; c == 'x' || c == 'X' || c == '*' {
			i += 2
			continue
		}
		d := digitPrefix(name[i+1:])
		if d == 0 {
			break
		}
		i += 1 + d
	}
	if i != len(name) {
		return v, false
	}
	v.nums = name
	return v, true
}

// composerElems walks the elements of a normal form as version_compare
// sees them after canonicalisation.
type composerElems struct {
	v     composerVersion
	stage int    // 0 numbers, 1 word, 2 word numbers, 3 dev, 4 end
	rest  string // what is left of the current stage's text
	count int    // numbers given in stage 0
}

func (e *composerElems) init(v composerVersion) {
	e.v, e.stage, e.rest, e.count = v, 0, v.nums, 0
}

// next returns the rank of the next element and, for a number, its
// digits ("x" counts as 9999999).
func (e *composerElems) next() (int, string) {
	for {
		switch e.stage {
		case 0:
			if e.rest != "" {
				if e.rest[0] == '.' || e.rest[0] == ':' || e.rest[0] == '-' {
					e.rest = e.rest[1:]
				}
				d := digitPrefix(e.rest)
				num := e.rest[:d]
				if d == 0 && e.rest != "" { // x, X or * in a branch
					num = "9999999"
					d = 1
				}
				e.rest = e.rest[d:]
				e.count++
				return composerNumber, num
			}
			if e.v.classic && e.count < 4 {
				e.count++
				if e.v.branch {
					return composerNumber, "9999999"
				}
				return composerNumber, "0"
			}
			e.stage = 1
		case 1:
			e.stage = 2
			e.rest = e.v.wordNums
			if e.v.word != composerNone {
				return e.v.word, ""
			}
			e.stage = 3
		case 2:
			if e.rest != "" {
				if e.rest[0] == '.' || e.rest[0] == '-' {
					e.rest = e.rest[1:]
				}
				d := digitPrefix(e.rest)
				num := e.rest[:d]
				e.rest = e.rest[d:]
				return composerNumber, num
			}
			e.stage = 3
		case 3:
			e.stage = 4
			if e.v.dev {
				return composerDev, ""
			}
		default:
			return composerEnd, ""
		}
	}
}

func cmpComposer(a, b composerVersion) int {
	var x, y composerElems
	x.init(a)
	y.init(b)
	for {
		rx, nx := x.next()
		ry, ny := y.next()
		if rx == composerEnd && ry == composerEnd {
			return 0
		}
		if rx != ry {
			return sign(rx - ry)
		}
		if rx == composerNumber {
			if c := cmpDigits(nx, ny); c != 0 {
				return c
			}
		}
	}
}
