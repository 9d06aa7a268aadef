package spdx

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// LicenseKind says what a licence string is.
type LicenseKind int

// The kinds of licence string.
const (
	// LicenseName is free text: not an SPDX id or expression.
	LicenseName LicenseKind = iota
	// LicenseIDKind is one SPDX license id ("MIT").
	LicenseIDKind
	// LicenseExpression is a valid SPDX expression other than a single id:
	// "MIT OR Apache-2.0", "GPL-2.0-or-later WITH Classpath-exception-2.0",
	// "LicenseRef-foo", "GPL-2.0+".
	LicenseExpression
)

// Classify says what s is and returns it in canonical form (trimmed, for
// a name).
func Classify(s string) (LicenseKind, string) {
	s = strings.TrimSpace(s)
	if id, ok := LicenseID(s); ok {
		return LicenseIDKind, id
	}
	if e, _, ok := Expression(s); ok {
		return LicenseExpression, e
	}
	return LicenseName, s
}

// licenses turns package licence strings into licenseDeclared values and
// remembers the LicenseRefs it had to define.
type licenses struct {
	refs map[string]ExtractedLicensingInfo
}

func newLicenses() *licenses { return &licenses{refs: map[string]ExtractedLicensingInfo{}} }

// declared joins a package's licences with AND: SPDX ids and expressions
// as they are, anything else as a LicenseRef defined in the document.
func (l *licenses) declared(in []string) string {
	var parts []string
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		var part string
		if id, ok := LicenseID(s); ok {
			part = id
		} else if e, refs, ok := Expression(s); ok {
			part = e
			for _, r := range refs {
				l.define(r, s, "named in the expression "+s)
			}
			if len(in) > 1 && strings.Contains(e, " ") {
				part = "(" + e + ")"
			}
		} else {
			part = l.ref(s)
		}
		if !slices.Contains(parts, part) {
			parts = append(parts, part)
		}
	}
	if len(parts) == 0 {
		return NoAssertion
	}
	return strings.Join(parts, " AND ")
}

// ref returns the LicenseRef for a licence name, defining it. The id is
// the name made an idstring, with a hash of the name appended when that
// lost characters, so that different names never share an id.
func (l *licenses) ref(name string) string {
	base := IDString(name)
	id := "LicenseRef-" + trimID(base, 64)
	if base != name || len(base) > 64 {
		sum := sha256.Sum256([]byte(name))
		if base == "" {
			id = "LicenseRef-" + hex.EncodeToString(sum[:4])
		} else {
			id += "-" + hex.EncodeToString(sum[:4])
		}
	}
	l.define(id, name, "")
	return id
}

func (l *licenses) define(id, text, comment string) {
	if _, ok := l.refs[id]; ok {
		return
	}
	e := ExtractedLicensingInfo{LicenseID: id, ExtractedText: text, Comment: comment}
	if comment == "" {
		e.Name = text
	}
	l.refs[id] = e
}

// extracted returns the defined LicenseRefs sorted by id.
func (l *licenses) extracted() []ExtractedLicensingInfo {
	out := make([]ExtractedLicensingInfo, 0, len(l.refs))
	for _, e := range l.refs {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b ExtractedLicensingInfo) int { return strings.Compare(a.LicenseID, b.LicenseID) })
	if len(out) == 0 {
		return nil
	}
	return out
}
