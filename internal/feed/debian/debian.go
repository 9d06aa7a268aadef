// Package debian converts Debian's security data into OSV records:
//
//   - the security tracker's JSON export
//     (https://security-tracker.debian.org/tracker/data/json), read by
//     NewTracker: one record "DEBIAN-<CVE>" per (issue, source package),
//     one affected entry per release;
//   - the advisory lists data/DSA/list, data/DLA/list and data/DTSA/list
//     of the security-tracker repository (and the same entries as
//     aquasecurity/vuln-list-debian JSON files), read by NewList: one
//     record per advisory, "DSA-5375-1", with its CVEs in Upstream.
//
// Conventions (docs/feeds-distro.md has the field-by-field mapping):
//
//   - Ecosystems are "Debian:<version>" as in Debian's distro-info data
//     and osv.dev: "Debian:3.0" (woody) … "Debian:12" (bookworm),
//     "Debian:14" (forky), and "Debian:unstable" for sid. Ecosystem maps
//     a codename.
//   - Package names are source package names; ranges are ECOSYSTEM
//     (dpkg ordering), introduced "0", fixed when Debian has a fix.
//   - A release that was never affected (tracker fixed_version "0", list
//     "<not-affected>") gets no affected entry; an issue or advisory left
//     with none gets no record.
//   - Affected.EcosystemSpecific holds a Specific: the distribution
//     severity ("unimportant", "low", "medium", "high"), and for a release
//     without a fix, why (Status: "no-dsa", "ignored", "postponed",
//     "end-of-life", "undetermined", "removed"), so the matcher can tell
//     "fix pending" from "will not be fixed" (WontFix marks the latter).
//
// A CVE that affects several source packages yields several tracker
// records with the same ID, one per package: the database builder merges
// records that share an ID by concatenating their affected entries (the
// package names never overlap). Streaming the 70 MB export one entry at
// a time, the parser cannot merge them itself without holding the whole
// document.
package debian

import (
	"encoding/json"
	"strings"
)

// Severity values in Specific.Severity: Debian's urgencies, without the
// "**" that marks an urgency the tracker copied from NVD.
const (
	SeverityUnimportant = "unimportant"
	SeverityLow         = "low"
	SeverityMedium      = "medium"
	SeverityHigh        = "high"
)

// Status values in Specific.Status: why a release has no fixed version.
// An affected entry without a fixed event and without a Status is plainly
// unfixed ("open"): a fix is expected.
const (
	// StatusNoDSA: the security team will not issue an advisory (minor
	// issue); a fix may still come through a point release.
	StatusNoDSA = "no-dsa"
	// StatusIgnored: Debian will not fix the issue in this release.
	StatusIgnored = "ignored"
	// StatusPostponed: the fix is deferred to a later update.
	StatusPostponed = "postponed"
	// StatusEndOfLife: the package is no longer security-supported in
	// this release.
	StatusEndOfLife = "end-of-life"
	// StatusUndetermined: nobody has yet checked whether this release is
	// affected.
	StatusUndetermined = "undetermined"
	// StatusRemoved: the package was removed from the release.
	StatusRemoved = "removed"
)

// Specific is the EcosystemSpecific of a Debian affected entry.
type Specific struct {
	Severity string `json:"severity,omitempty"`
	Status   string `json:"status,omitempty"`
	// NoDSA is the tracker's comment on a no-dsa/ignored/postponed
	// decision, verbatim ("Minor issue").
	NoDSA string `json:"nodsa,omitempty"`
	// NoDSAReason is the tracker's nodsa_reason verbatim: "ignored",
	// "postponed", or empty for a plain no-dsa.
	NoDSAReason string `json:"nodsa_reason,omitempty"`
	// NextPointUpdate: the fix is queued for the release's next point
	// release.
	NextPointUpdate bool `json:"next_point_update,omitempty"`
	// WontFix is set with Status no-dsa, ignored or end-of-life: Debian
	// does not plan a security update for this release. It repeats
	// Status for readers that look for a "wont-fix" marker.
	WontFix bool `json:"wont-fix,omitempty"`
}

// setStatus sets Status and the WontFix it implies.
func (s *Specific) setStatus(status string) {
	s.Status = status
	s.WontFix = status == StatusNoDSA || status == StatusIgnored || status == StatusEndOfLife
}

// raw returns s as JSON, nil when s is empty.
func (s Specific) raw() json.RawMessage {
	if s == (Specific{}) {
		return nil
	}
	b, _ := json.Marshal(s) // strings and a bool: cannot fail
	return b
}

// release returns the version of a Debian codename as distro-info
// publishes it, and its place in release order. sid is "unstable".
func release(codename string) (version string, order int, ok bool) {
	switch codename {
	case "buzz":
		return "1.1", 1, true
	case "rex":
		return "1.2", 2, true
	case "bo":
		return "1.3", 3, true
	case "hamm":
		return "2.0", 4, true
	case "slink":
		return "2.1", 5, true
	case "potato":
		return "2.2", 6, true
	case "woody":
		return "3.0", 7, true
	case "sarge":
		return "3.1", 8, true
	case "etch":
		return "4.0", 9, true
	case "lenny":
		return "5.0", 10, true
	case "squeeze":
		return "6.0", 11, true
	case "wheezy":
		return "7", 12, true
	case "jessie":
		return "8", 13, true
	case "stretch":
		return "9", 14, true
	case "buster":
		return "10", 15, true
	case "bullseye":
		return "11", 16, true
	case "bookworm":
		return "12", 17, true
	case "trixie":
		return "13", 18, true
	case "forky":
		return "14", 19, true
	case "duke":
		return "15", 20, true
	case "sid", "unstable":
		return "unstable", 100, true
	}
	return "", 0, false
}

// Ecosystem returns the OSV ecosystem of a Debian codename ("bookworm" →
// "Debian:12", "sid" → "Debian:unstable"), or false for a codename this
// package does not know.
func Ecosystem(codename string) (string, bool) {
	v, _, ok := release(codename)
	if !ok {
		return "", false
	}
	return "Debian:" + v, true
}

// severity maps a tracker urgency to Specific.Severity: "**" (copied from
// NVD) dropped; "not yet assigned" and "end-of-life" (not severities) and
// anything unknown give "".
func severity(urgency string) string {
	u := strings.TrimSuffix(strings.TrimSpace(urgency), "**")
	switch u {
	case SeverityUnimportant, SeverityLow, SeverityMedium, SeverityHigh:
		return u
	}
	return ""
}

// validVersion reports whether v can be a Debian version as the tracker
// accepts it: [A-Za-z0-9.+~:-], at most 256 bytes.
func validVersion(v string) bool {
	if v == "" || len(v) > 256 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".+~:-", c) >= 0) {
			return false
		}
	}
	return true
}

// validPackage reports whether n can be a package name as the tracker
// accepts it: [A-Za-z0-9.+-], starting with an alphanumeric, at most 128
// bytes.
func validPackage(n string) bool {
	if n == "" || len(n) > 128 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || strings.IndexByte(".+-", c) < 0) {
			return false
		}
	}
	return true
}
