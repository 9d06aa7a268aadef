package inventory

import (
	"slices"
	"strings"
)

// PURL builds a package URL (https://github.com/package-url/purl-spec) of
// type eco. namespace may be empty; qualifiers with empty values are
// dropped and the rest are sorted by key, as the spec requires.
func PURL(eco Ecosystem, namespace, name, version string, qualifiers map[string]string) string {
	var b strings.Builder
	b.WriteString("pkg:")
	b.WriteString(string(eco))
	b.WriteByte('/')
	if namespace != "" {
		for i, seg := range strings.Split(strings.Trim(namespace, "/"), "/") {
			if i > 0 {
				b.WriteByte('/')
			}
			b.WriteString(escape(seg))
		}
		b.WriteByte('/')
	}
	b.WriteString(escape(name))
	if version != "" {
		b.WriteByte('@')
		b.WriteString(escape(version))
	}
	keys := make([]string, 0, len(qualifiers))
	for k, v := range qualifiers {
		if v != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(strings.ToLower(k))
		b.WriteByte('=')
		b.WriteString(escape(qualifiers[k]))
	}
	return b.String()
}

// escape percent-encodes everything but the PURL spec's unreserved set
// (ALPHA / DIGIT / "-" / "." / "_" / "~"). ':' is kept too, as the spec
// allows and as every reference implementation does for versions with
// epochs ("1:2.3-4").
func escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == ':':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
