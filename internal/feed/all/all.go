// Package all lists every feed pave can import, with its parsers and the
// real public URLs it is downloaded from by default.
package all

import (
	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/feed/debian"
	"github.com/pavesec/pave/internal/feed/osvfeed"
)

// Feeds returns the known feeds, in import order.
func Feeds() []feed.Feed {
	return []feed.Feed{
		{Name: "osv", Description: "OSV records (JSON or YAML, one per file, or osv.dev's per-ecosystem all.zip)",
			Parsers: []feed.Parser{osvfeed.New()}, URLs: osvfeed.DefaultURLs},
		{Name: "debian", Description: "Debian security tracker JSON and DSA/DLA/DTSA lists",
			Parsers: []feed.Parser{debian.NewTracker(), debian.NewList()}, URLs: debian.DefaultURLs()},
	}
}
