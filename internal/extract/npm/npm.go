// Package npm extracts JavaScript packages (ecosystem npm): lockfiles of
// npm (package-lock.json, npm-shrinkwrap.json), yarn (classic and Berry)
// and pnpm, and installed packages found through their package.json under
// node_modules or in Debian's node module directories.
//
// Every extractor here reads one file, returns what it could parse and, for
// a partly bad file, an error naming the place. Names keep their scope
// ("@babel/core"); package URLs carry the scope as namespace
// (pkg:npm/%40babel/core@7.24.0).
package npm

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/pavesec/pave/internal/inventory"
)

// Size limits. Real lockfiles of large monorepos reach tens of megabytes;
// anything past these is refused rather than parsed.
const (
	maxLockfileSize    = 256 << 20
	maxPackageJSONSize = 8 << 20
	maxNameLen         = 214 // npm's own limit on package names
	maxVersionLen      = 256
	maxLicenseLen      = 256
	maxNesting         = 128 // package-lock v1 dependency nesting
)

// newPackage builds an npm package, or returns false when name or version
// is not one npm could have installed.
func newPackage(name, version string, line int) (inventory.Package, bool) {
	name, version = strings.TrimSpace(name), strings.TrimSpace(version)
	if !validName(name) || !validVersion(version) {
		return inventory.Package{}, false
	}
	ns, base := splitScope(name)
	p := inventory.Package{
		Name:      name,
		Version:   version,
		Ecosystem: inventory.NPM,
		PURL:      inventory.PURL(inventory.NPM, ns, base, version, nil),
	}
	if line > 0 {
		p.Locations = []inventory.Location{{Line: line}}
	}
	return p, true
}

// splitScope splits "@scope/name" into ("@scope", "name").
func splitScope(name string) (ns, base string) {
	if strings.HasPrefix(name, "@") {
		if i := strings.IndexByte(name, '/'); i > 0 {
			return name[:i], name[i+1:]
		}
	}
	return "", name
}

// validName accepts what npm accepts closely enough to reject garbage:
// no blanks or control characters, a scope only as "@scope/name".
func validName(name string) bool {
	if name == "" || len(name) > maxNameLen || strings.HasPrefix(name, ".") {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c == 0x7f || c == '\\' || c == '"' {
			return false
		}
	}
	if strings.HasPrefix(name, "@") {
		ns, base := splitScope(name)
		return len(ns) > 1 && base != "" && !strings.Contains(base, "/")
	}
	return !strings.Contains(name, "/")
}

// validVersion rejects empty versions and references that are not
// versions at all (paths, URLs, aliases left unresolved).
func validVersion(v string) bool {
	if v == "" || len(v) > maxVersionLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return !strings.ContainsAny(v, ":/\\")
}

// splitNameAt splits "name@rest" or "@scope/name@rest" at the '@' that ends
// the name. ok is false when there is no such '@'.
func splitNameAt(s string) (name, rest string, ok bool) {
	start := 0
	if strings.HasPrefix(s, "@") {
		start = 1
	}
	i := strings.IndexByte(s[start:], '@')
	if i < 0 {
		return "", "", false
	}
	i += start
	if i == 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// licenses reads package.json's "license" (a string or a legacy
// {"type": ...} object) and the legacy "licenses" array.
func licenses(license, legacy json.RawMessage) []string {
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s != "" && len(s) <= maxLicenseLen && !strings.ContainsAny(s, "\n\r") {
			out = append(out, s)
		}
	}
	one := func(raw json.RawMessage) {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			return
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			add(s)
			return
		}
		var o struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(raw, &o) == nil {
			add(o.Type)
		}
	}
	one(license)
	if len(bytes.TrimSpace(legacy)) > 0 {
		var arr []json.RawMessage
		if json.Unmarshal(legacy, &arr) == nil {
			for _, raw := range arr {
				one(raw)
			}
		} else {
			one(legacy)
		}
	}
	return out
}
