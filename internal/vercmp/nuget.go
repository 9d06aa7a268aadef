package vercmp

import "strings"

// nugetOrder orders NuGet versions as NuGet.Versioning's NuGetVersion and
// VersionComparer.Default do: one to four numbers (missing ones are 0,
// leading zeros ignored), then release labels (a version without labels
// after any with), compared label by label: labels that parse as a
// 32-bit integer numerically and before the others, the others as ASCII
// without case; build metadata after '+' is ignored.
var nugetOrder = &scheme[nugetVersion]{name: "NuGet", parse: parseNuGet, cmp: cmpNuGet}

type nugetVersion struct {
	nums   [4]string // digits, "" for a missing part
	labels string    // dot-separated release labels, "" for none
}

const maxInt32 = "2147483647"

// parseNuGet follows NuGetVersion.TryParse (NuGetVersionFactory.cs and
// SemanticVersion.ParseSections), except that an empty number ("1..2",
// "1.") and a number above 2^31-1 (which NuGet's parser wraps) are
// invalid here, and only ASCII blanks are trimmed.
func parseNuGet(s string) (nugetVersion, string) {
	var v nugetVersion
	s = strings.Trim(s, " \t\n\v\f\r")
	if s == "" {
		return v, "empty"
	}
	ver, rest := s, ""
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		if i == len(s)-1 {
			return v, "ends with '-' or '+'"
		}
		ver, rest = s[:i], s[i:]
	}
	for k := 0; ; k++ {
		if k == 4 {
			return v, "more than four numbers"
		}
		part, more, found := strings.Cut(ver, ".")
		if !allDigits(part) {
			if part == "" {
				return v, "empty number"
			}
			return v, "number with a character other than a digit"
		}
		if cmpDigits(part, maxInt32) > 0 {
			return v, "number larger than 2^31-1"
		}
		v.nums[k] = part
		if !found {
			break
		}
		ver = more
	}
	if strings.HasSuffix(rest, "+") {
		return v, "ends with '+'"
	}
	meta, hasMeta := "", false
	if strings.HasPrefix(rest, "-") {
		v.labels, meta, hasMeta = strings.Cut(rest[1:], "+")
		if why := checkIdents(v.labels, true); why != "" {
			return v, "release label " + why
		}
	} else if rest != "" {
		meta, hasMeta = rest[1:], true
	}
	if hasMeta {
		if why := checkIdents(meta, false); why != "" {
			return v, "metadata " + why
		}
	}
	return v, ""
}

func cmpNuGet(a, b nugetVersion) int {
	for i := range a.nums {
		if c := cmpDigits(a.nums[i], b.nums[i]); c != 0 {
			return c
		}
	}
	switch {
	case a.labels == "" && b.labels == "":
		return 0
	case a.labels == "":
		return 1
	case b.labels == "":
		return -1
	}
	for x, y := a.labels, b.labels; ; {
		if x == "" || y == "" {
			return sign(len(x) - len(y)) // the one with labels left is greater
		}
		var lx, ly string
		lx, x, _ = strings.Cut(x, ".")
		ly, y, _ = strings.Cut(y, ".")
		if c := cmpNuGetLabel(lx, ly); c != 0 {
			return c
		}
	}
}

// nugetInt reports whether a label is what int.TryParse accepts among
// label characters: an optional '-' and digits within 32 bits.
func nugetInt(s string) (neg bool, digits string, ok bool) {
	neg = strings.HasPrefix(s, "-")
	digits = strings.TrimPrefix(s, "-")
	if !allDigits(digits) {
		return false, "", false
	}
	limit := maxInt32
	if neg {
		limit = "2147483648"
	}
	return neg, digits, cmpDigits(digits, limit) <= 0
}

func cmpNuGetLabel(x, y string) int {
	nx, dx, okx := nugetInt(x)
	ny, dy, oky := nugetInt(y)
	switch {
	case okx && oky:
		// -0 == 0.
		zx, zy := strings.TrimLeft(dx, "0") == "", strings.TrimLeft(dy, "0") == ""
		nx, ny = nx && !zx, ny && !zy
		switch {
		case nx && ny:
			return cmpDigits(dy, dx)
		case nx:
			return -1
		case ny:
			return 1
		}
		return cmpDigits(dx, dy)
	case okx:
		return -1
	case oky:
		return 1
	}
	return cmpFold(x, y)
}
