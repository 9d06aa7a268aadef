package accuracy

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// record is the part of an OSV record Explain shows.
type record struct {
	ID        string   `json:"id"`
	Aliases   []string `json:"aliases"`
	Withdrawn string   `json:"withdrawn"`
	Affected  []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Type   string              `json:"type"`
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
		Versions []string `json:"versions"`
	} `json:"affected"`
}

// Explain writes, for every disagreement, the affected entries of the
// records involved that name the package: each range's type and events,
// and whether the version is in the explicit versions list. recs holds
// the records by id (ReadZipRecords).
func (c Comparison) Explain(w io.Writer, recs map[string]json.RawMessage) error {
	var b strings.Builder
	for _, it := range c.Items {
		if it.Outcome == Both {
			continue
		}
		fmt.Fprintf(&b, "%s %s %s\n", it.Outcome, it.Key, strings.Join(it.ids(), ","))
		for _, id := range it.ids() {
			raw, ok := recs[id]
			if !ok {
				continue
			}
			var r record
			if err := json.Unmarshal(raw, &r); err != nil {
				fmt.Fprintf(&b, "  %s: unreadable: %v\n", id, err)
				continue
			}
			if r.Withdrawn != "" {
				fmt.Fprintf(&b, "  %s: withdrawn %s\n", id, r.Withdrawn)
			}
			for _, a := range r.Affected {
				if NewKey(a.Package.Ecosystem, a.Package.Name, it.Version).Name != it.Name && !strings.EqualFold(a.Package.Name, it.Name) {
					continue
				}
				fmt.Fprintf(&b, "  %s %s/%s:", id, a.Package.Ecosystem, a.Package.Name)
				for _, rg := range a.Ranges {
					fmt.Fprintf(&b, " %s[", rg.Type)
					for i, e := range rg.Events {
						if i > 0 {
							b.WriteString(" ")
						}
						keys := make([]string, 0, len(e))
						for k := range e {
							keys = append(keys, k)
						}
						slices.Sort(keys)
						for _, k := range keys {
							fmt.Fprintf(&b, "%s=%s", k, e[k])
						}
					}
					b.WriteString("]")
				}
				if len(a.Versions) > 0 {
					fmt.Fprintf(&b, " versions(%d) listed=%v", len(a.Versions), slices.Contains(a.Versions, it.Version))
				}
				b.WriteString("\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
