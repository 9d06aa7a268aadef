package all

import (
	"net/url"
	"testing"
)

// TestFeeds: names are unique, every feed has a parser, parser names are
// unique across feeds, and default URLs are absolute https URLs.
func TestFeeds(t *testing.T) {
	feeds := map[string]bool{}
	parsers := map[string]string{}
	for _, f := range Feeds() {
		if f.Name == "" || feeds[f.Name] {
			t.Errorf("feed name %q empty or repeated", f.Name)
		}
		feeds[f.Name] = true
		if len(f.Parsers) == 0 || f.Description == "" {
			t.Errorf("feed %s: no parser or no description", f.Name)
		}
		for _, p := range f.Parsers {
			if other, ok := parsers[p.Name()]; ok {
				t.Errorf("parser %s in feeds %s and %s", p.Name(), other, f.Name)
			}
			parsers[p.Name()] = f.Name
		}
		if len(f.URLs) == 0 {
			t.Errorf("feed %s: no default URL", f.Name)
		}
		for _, u := range f.URLs {
			pu, err := url.Parse(u)
			if err != nil || pu.Scheme != "https" || pu.Host == "" {
				t.Errorf("feed %s: default URL %q is not an absolute https URL", f.Name, u)
			}
		}
	}
}
