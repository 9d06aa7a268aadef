// Package vercmp orders versions the way each packaging ecosystem does:
// dpkg (epochs, tildes), apk, rpm EVR, SemVer, PEP 440, Maven, RubyGems,
// NuGet, Go, Packagist. The vulnerability matcher uses it to place a
// package's version among an advisory's introduced/fixed events.
package vercmp

import (
	"fmt"
	"strings"
)

// Comparer orders the versions of one ecosystem.
//
// Compare is a total preorder over all strings, valid or not: it is
// reflexive, antisymmetric (Compare(a,b) == -Compare(b,a)) and transitive,
// so sorting with it is well defined even on garbage. Versions the
// ecosystem calls equal ("1.0" and "1.0.0" in Maven) compare as 0. Valid
// reports whether a string is a version of the ecosystem at all; the
// matcher refuses to decide on invalid versions rather than guess.
type Comparer interface {
	Compare(a, b string) int
	Valid(v string) error
}

var registry = map[string]Comparer{}

// register is called by each implementation's init.
func register(c Comparer, ecosystems ...string) {
	for _, e := range ecosystems {
		registry[e] = c
	}
}

// For returns the comparer for an OSV ecosystem name ("PyPI", "Debian:12",
// "crates.io"); anything after a colon is ignored.
func For(ecosystem string) (Comparer, error) {
	base, _, _ := strings.Cut(ecosystem, ":")
	if c, ok := registry[base]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("no version ordering for ecosystem %q", ecosystem)
}
