// Package all lists every feed pave can import, with its parsers and the
// real public URLs it is downloaded from by default.
package all

import (
	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/feed/alpine"
	"github.com/pavesec/pave/internal/feed/debian"
	"github.com/pavesec/pave/internal/feed/epss"
	"github.com/pavesec/pave/internal/feed/ghsacsv"
	"github.com/pavesec/pave/internal/feed/kev"
	"github.com/pavesec/pave/internal/feed/npmadvisory"
	"github.com/pavesec/pave/internal/feed/nvd"
	"github.com/pavesec/pave/internal/feed/osvfeed"
	"github.com/pavesec/pave/internal/feed/rubysec"
)

// Feeds returns the known feeds, in import order.
func Feeds() []feed.Feed {
	return []feed.Feed{
		{Name: "osv", Description: "OSV records (JSON or YAML, one per file, or osv.dev's per-ecosystem all.zip): Go, PyPI, crates.io, GHSA, AlmaLinux, ...",
			Parsers: []feed.Parser{osvfeed.New()}, URLs: osvfeed.DefaultURLs},
		{Name: "debian", Description: "Debian security tracker JSON and DSA/DLA/DTSA lists",
			Parsers: []feed.Parser{debian.NewTracker(), debian.NewList()}, URLs: debian.DefaultURLs()},
		{Name: "alpine", Description: "Alpine and Wolfi secdb (JSON or YAML)",
			Parsers: []feed.Parser{alpine.New()}, URLs: alpine.DefaultURLs()},
		{Name: "wolfi", Description: "Wolfi secdb (JSON)",
			Parsers: []feed.Parser{alpine.NewWolfi()}, URLs: []string{"https://packages.wolfi.dev/os/security.json"}},
		{Name: "rubysec", Description: "RubySec ruby-advisory-db (native YAML)",
			Parsers: []feed.Parser{rubysec.New()}, URLs: rubysec.DefaultURLs},
		{Name: "ghsa-csv", Description: "GitHub-reviewed advisories as CSV (cve_or_ghsa,published,summary,package,introduced,fixed,severity,cwes)",
			Parsers: []feed.Parser{ghsacsv.New()}, URLs: ghsacsv.DefaultURLs},
		{Name: "npm-advisory", Description: "Node.js security WG legacy npm advisories (JSON)",
			Parsers: []feed.Parser{npmadvisory.New()}, URLs: npmadvisory.DefaultURLs},
		{Name: "nvd", Description: "NVD CVE API 2.0 pages and 1.1 JSON feeds: CVSS vectors per CVE",
			Parsers: []feed.Parser{nvd.New()}, URLs: nvd.DefaultURLs(), Enrichment: true},
		{Name: "kev", Description: "CISA Known Exploited Vulnerabilities catalog (JSON or CSV)",
			Parsers: []feed.Parser{kev.New()}, URLs: kev.DefaultURLs(), Enrichment: true},
		{Name: "epss", Description: "FIRST EPSS daily scores (CSV, gzip)",
			Parsers: []feed.Parser{epss.New()}, URLs: epss.DefaultURLs(), Enrichment: true},
	}
}
