package discover

import (
	"bytes"
	_ "embed" // the built-in catalogue is data, kept in catalogue.json
	"encoding/json"
	"fmt"
	"net"
	"strings"
)

//go:embed catalogue.json
var builtinCatalogue []byte

// Endpoint is one catalogue entry: a vendor's hosts of one kind.
type Endpoint struct {
	Vendor string   `json:"vendor" yaml:"vendor"` // stable id: "openai", "github-copilot", ...
	Kind   string   `json:"kind" yaml:"kind"`     // "api", "chat", "assistant" or user-defined
	Hosts  []string `json:"hosts" yaml:"hosts"`   // DNS names, a label may hold one '*'
	Source string   `json:"source,omitempty" yaml:"source"`
}

// Catalogue matches host names against AI vendor endpoints. Build it with
// NewCatalogue; the zero value matches nothing.
type Catalogue struct {
	exact map[string]*Endpoint
	// wild maps a pattern's last two labels, which are literal, to the
	// patterns ending in them, so a lookup tries only a few patterns.
	wild map[string][]wildPattern
	all  []*Endpoint
}

type wildPattern struct {
	labels []string
	ep     *Endpoint
}

// Builtin returns the built-in endpoints, parsed afresh from the embedded
// catalogue.json.
func Builtin() ([]Endpoint, error) {
	var doc struct {
		Comment string     `json:"comment"`
		Entries []Endpoint `json:"entries"`
	}
	d := json.NewDecoder(bytes.NewReader(builtinCatalogue))
	d.DisallowUnknownFields()
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("discover: built-in catalogue: %w", err)
	}
	return doc.Entries, nil
}

// NewCatalogue builds a matcher over endpoints. A host listed twice keeps
// its first entry, so endpoints given first (from configuration) win.
func NewCatalogue(endpoints []Endpoint) (*Catalogue, error) {
	c := &Catalogue{exact: map[string]*Endpoint{}, wild: map[string][]wildPattern{}}
	seen := map[string]bool{}
	for i := range endpoints {
		ep := endpoints[i]
		if ep.Vendor == "" || len(ep.Hosts) == 0 {
			return nil, fmt.Errorf("discover: catalogue entry %d: vendor and hosts are required", i+1)
		}
		ep.Hosts = append([]string(nil), ep.Hosts...)
		p := &ep
		c.all = append(c.all, p)
		for _, h := range ep.Hosts {
			h = Normalize(h)
			if err := checkPattern(h); err != nil {
				return nil, fmt.Errorf("discover: catalogue entry %s: %w", ep.Vendor, err)
			}
			if seen[h] {
				continue
			}
			seen[h] = true
			if !strings.Contains(h, "*") {
				c.exact[h] = p
				continue
			}
			labels := strings.Split(h, ".")
			key := strings.Join(labels[len(labels)-2:], ".")
			c.wild[key] = append(c.wild[key], wildPattern{labels: labels, ep: p})
		}
	}
	return c, nil
}

// checkPattern accepts lowercase DNS names of at least two labels whose
// last two labels are literal and whose other labels hold at most one '*'.
func checkPattern(h string) error {
	labels := strings.Split(h, ".")
	if len(labels) < 2 || len(h) > 253 {
		return fmt.Errorf("host pattern %q: want a DNS name of two or more labels", h)
	}
	for i, l := range labels {
		if l == "" || len(l) > 63 {
			return fmt.Errorf("host pattern %q: empty or overlong label", h)
		}
		stars := strings.Count(l, "*")
		if stars > 1 || (stars == 1 && i >= len(labels)-2) {
			return fmt.Errorf("host pattern %q: '*' allowed once a label, not in the last two labels", h)
		}
		for _, r := range l {
			if !(r == '-' || r == '*' || r == '_' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9') {
				return fmt.Errorf("host pattern %q: character %q", h, r)
			}
		}
	}
	return nil
}

// Normalize lowercases a host name, drops a port, IPv6 brackets and a
// trailing dot.
func Normalize(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// Match returns the endpoint whose hosts match host (normalised first), or
// nil. An exact name wins over a pattern; among patterns the first listed
// wins.
func (c *Catalogue) Match(host string) *Endpoint {
	if c == nil || c.exact == nil {
		return nil
	}
	host = Normalize(host)
	if ep := c.exact[host]; ep != nil {
		return ep
	}
	last := strings.LastIndexByte(host, '.')
	if last <= 0 {
		return nil
	}
	prev := strings.LastIndexByte(host[:last], '.')
	cands := c.wild[host[prev+1:]]
	if len(cands) == 0 {
		return nil
	}
	labels := strings.Split(host, ".")
	for _, p := range cands {
		if matchLabels(p.labels, labels) {
			return p.ep
		}
	}
	return nil
}

// Endpoints returns the catalogue's entries in order.
func (c *Catalogue) Endpoints() []Endpoint {
	out := make([]Endpoint, len(c.all))
	for i, p := range c.all {
		out[i] = *p
	}
	return out
}

func matchLabels(pat, labels []string) bool {
	if len(pat) != len(labels) {
		return false
	}
	for i, p := range pat {
		if !matchLabel(p, labels[i]) {
			return false
		}
	}
	return true
}

// matchLabel matches one label against a pattern with at most one '*',
// which stands for one or more characters.
func matchLabel(p, l string) bool {
	star := strings.IndexByte(p, '*')
	if star < 0 {
		return p == l
	}
	pre, suf := p[:star], p[star+1:]
	return len(l) > len(pre)+len(suf) && strings.HasPrefix(l, pre) && strings.HasSuffix(l, suf)
}
