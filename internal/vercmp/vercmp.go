// Package vercmp orders versions the way each packaging ecosystem does:
// dpkg (epochs, tildes), apk, rpm EVR, SemVer, PEP 440, Maven, RubyGems,
// NuGet, Go, Packagist. The vulnerability matcher uses it to place a
// package's version among an advisory's introduced/fixed events.
//
// Every comparer parses without allocating and orders all strings, valid
// or not: a string its ecosystem rejects sorts before every valid version,
// and invalid strings order among themselves by their bytes. docs/versions.md
// states the rules of each ecosystem.
package vercmp

import (
	"fmt"
	"slices"
	"strings"
	"sync"
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

var (
	registry     = map[string]Comparer{}
	registryOnce sync.Once
)

// register records c as the comparer of each OSV ecosystem name. Only
// registerAll calls it, once, before the first lookup.
func register(c Comparer, ecosystems ...string) {
	for _, e := range ecosystems {
		registry[e] = c
	}
}

// registerAll is the one list of ecosystems this package orders.
func registerAll() {
	register(dpkgOrder, "Debian", "Ubuntu")
	register(apkOrder, "Alpine", "Wolfi", "Chainguard")
	register(rpmOrder, "AlmaLinux", "Rocky Linux", "Red Hat", "openSUSE", "SUSE",
		"Mageia", "openEuler", "Azure Linux")
	register(goOrder, "Go")
	register(npmOrder, "npm")
	register(semverOrder, "crates.io", "Hex", "SwiftURL", "SEMVER")
	register(pubOrder, "Pub")
	register(pep440Order, "PyPI")
	register(mavenOrder, "Maven")
	register(gemOrder, "RubyGems")
	register(nugetOrder, "NuGet")
	register(composerOrder, "Packagist")
}

// Ecosystems returns the OSV ecosystem names For knows, sorted.
func Ecosystems() []string {
	registryOnce.Do(registerAll)
	names := make([]string, 0, len(registry))
	for e := range registry {
		names = append(names, e)
	}
	slices.Sort(names)
	return names
}

// For returns the comparer for an OSV ecosystem name ("PyPI", "Debian:12",
// "crates.io"); anything after a colon is ignored.
func For(ecosystem string) (Comparer, error) {
	registryOnce.Do(registerAll)
	base, _, _ := strings.Cut(ecosystem, ":")
	if c, ok := registry[base]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("no version ordering for ecosystem %q", ecosystem)
}

// scheme is a Comparer built from a parser and an order on parsed
// versions. parse returns a constant reason when the string is not a
// version, so that Compare never allocates.
type scheme[V any] struct {
	name  string
	parse func(string) (V, string)
	cmp   func(a, b V) int
}

// Compare orders a and b: invalid strings before valid ones, invalid
// strings among themselves by bytes, valid ones by the ecosystem's rules.
func (s *scheme[V]) Compare(a, b string) int {
	if a == b {
		return 0
	}
	va, ra := s.parse(a)
	vb, rb := s.parse(b)
	switch {
	case ra != "" && rb != "":
		return strings.Compare(a, b)
	case ra != "":
		return -1
	case rb != "":
		return 1
	}
	return sign(s.cmp(va, vb))
}

// Valid returns nil when v is a version of the ecosystem and otherwise an
// error naming what is wrong.
func (s *scheme[V]) Valid(v string) error {
	if _, reason := s.parse(v); reason != "" {
		return fmt.Errorf("%s: %q is not a version: %s", s.name, v, reason)
	}
	return nil
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// cmpDigits compares two strings of ASCII digits as unbounded
// non-negative integers ("007" == "7", "10" > "9").
func cmpDigits[T ~string | ~[]byte](a, b T) int {
	for len(a) > 0 && a[0] == '0' {
		a = a[1:]
	}
	for len(b) > 0 && b[0] == '0' {
		b = b[1:]
	}
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }

// allDigits reports whether s is non-empty and only ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// digitPrefix returns the length of the run of ASCII digits at the start of s.
func digitPrefix(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}
