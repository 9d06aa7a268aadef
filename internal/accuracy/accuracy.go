// Package accuracy measures pave's vulnerability matching against
// osv-scanner's on the same OSV records and the same inputs, finding by
// finding.
//
// Both tools report one entry per vulnerability per package, grouping the
// records that alias each other (pave: a finding with its id and aliases;
// osv-scanner: a group with its ids and aliases). Compare reduces both to
// (ecosystem, package name, version) and, per package, joins every id the
// two sides name through their aliases: each joined set is one
// vulnerability, reported by both tools, by pave only or by osv-scanner
// only. Grouping differences (two pave findings for one osv-scanner
// group) therefore do not count as disagreements; they are counted apart.
//
// BuildZips writes the record trees in osv.dev's export layout
// (<ecosystem>/all.zip), which osv-scanner's offline mode reads and pave's
// database builder imports, so both sides read the very same bytes.
package accuracy

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/pavesec/pave/internal/inventory"
	pavejson "github.com/pavesec/pave/internal/report/json"
)

// MaxDocument bounds the size of a scan report the readers accept.
const MaxDocument = 1 << 30

// Key identifies a package version across the two tools.
type Key struct {
	Ecosystem string // OSV ecosystem base: "Go", "PyPI", "npm", "crates.io", "Debian"
	Name      string // PyPI names PEP 503-normalised
	Version   string // Go versions without "v"
}

func (k Key) String() string { return k.Ecosystem + "/" + k.Name + "@" + k.Version }

// Finding is one reported vulnerability of one package version.
type Finding struct {
	Key
	IDs []string // the record ids and aliases the tool names for it
}

// ecosystemOf maps pave's inventory ecosystems to OSV's bases.
var ecosystemOf = map[string]string{
	"golang":   "Go",
	"npm":      "npm",
	"pypi":     "PyPI",
	"maven":    "Maven",
	"cargo":    "crates.io",
	"gem":      "RubyGems",
	"composer": "Packagist",
	"nuget":    "NuGet",
	"deb":      "Debian",
	"apk":      "Alpine",
}

var pep503 = regexp.MustCompile(`[-_.]+`)

// NewKey normalises an OSV ecosystem (base or "Debian:12"), a name and a
// version into a Key.
func NewKey(ecosystem, name, version string) Key {
	eco, _, _ := strings.Cut(ecosystem, ":")
	switch eco {
	case "PyPI":
		name = strings.ToLower(pep503.ReplaceAllString(name, "-"))
	case "Go":
		version = strings.TrimPrefix(version, "v")
		version = strings.TrimPrefix(version, "go")
	}
	return Key{Ecosystem: eco, Name: name, Version: version}
}

// Side is what one tool reported: its findings and, when the report
// lists them, every package it inventoried.
type Side struct {
	Findings []Finding
	Packages map[Key]bool
}

func (s *Side) add(o *Side) {
	s.Findings = append(s.Findings, o.Findings...)
	if s.Packages == nil {
		s.Packages = map[Key]bool{}
	}
	for k := range o.Packages {
		s.Packages[k] = true
	}
}

// Merge joins the reports of several runs of one tool.
func Merge(sides ...*Side) *Side {
	out := &Side{Packages: map[Key]bool{}}
	for _, s := range sides {
		out.add(s)
	}
	return out
}

// paveKey reduces one of pave's packages to a Key.
func paveKey(p *inventory.Package) Key {
	eco := ecosystemOf[string(p.Ecosystem)]
	if eco == "" {
		eco = string(p.Ecosystem)
	}
	if p.Ecosystem == inventory.RPM {
		eco = rpmDistro(p.PURL)
	}
	return NewKey(eco, p.Name, p.Version)
}

// ReadPave reads pave's JSON scan report (pave scan -f json).
func ReadPave(r io.Reader) (*Side, error) {
	scan, err := pavejson.Read(io.LimitReader(r, MaxDocument))
	if err != nil {
		return nil, fmt.Errorf("accuracy: pave report: %w", err)
	}
	out := &Side{Packages: map[Key]bool{}}
	for i := range scan.Packages {
		out.Packages[paveKey(&scan.Packages[i])] = true
	}
	for _, f := range scan.Findings {
		if f.Vuln == nil || f.Package == nil {
			continue
		}
		ids := append([]string{f.Vuln.ID}, f.Vuln.Aliases...)
		k := paveKey(f.Package)
		out.Findings = append(out.Findings, Finding{Key: k, IDs: ids})
		out.Packages[k] = true
	}
	return out, nil
}

// rpmDistro names the OSV ecosystem of an RPM package from its package
// URL's namespace ("pkg:rpm/almalinux/...").
func rpmDistro(purl string) string {
	ns, _, _ := strings.Cut(strings.TrimPrefix(purl, "pkg:rpm/"), "/")
	switch ns {
	case "almalinux":
		return "AlmaLinux"
	case "rocky":
		return "Rocky Linux"
	case "redhat", "rhel":
		return "Red Hat"
	}
	return "rpm:" + ns
}

// osvScannerDoc is the part of osv-scanner's JSON output (models.VulnerabilityResults) read here.
type osvScannerDoc struct {
	Results []struct {
		Packages []struct {
			Package struct {
				Name      string `json:"name"`
				Version   string `json:"version"`
				Ecosystem string `json:"ecosystem"`
			} `json:"package"`
			Groups []struct {
				IDs     []string `json:"ids"`
				Aliases []string `json:"aliases"`
			} `json:"groups"`
		} `json:"packages"`
	} `json:"results"`
}

// ReadOSVScanner reads osv-scanner's JSON output (--format json; with
// --all-packages, Packages holds its whole inventory).
func ReadOSVScanner(r io.Reader) (*Side, error) {
	var doc osvScannerDoc
	if err := json.NewDecoder(io.LimitReader(r, MaxDocument)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("accuracy: osv-scanner report: %w", err)
	}
	out := &Side{Packages: map[Key]bool{}}
	for _, res := range doc.Results {
		for _, p := range res.Packages {
			k := NewKey(p.Package.Ecosystem, p.Package.Name, p.Package.Version)
			out.Packages[k] = true
			for _, g := range p.Groups {
				ids := append(slices.Clone(g.IDs), g.Aliases...)
				if len(ids) == 0 {
					continue
				}
				out.Findings = append(out.Findings, Finding{Key: k, IDs: ids})
			}
		}
	}
	return out, nil
}

// Outcome says which tools report a vulnerability.
type Outcome int

// Outcomes.
const (
	Both Outcome = iota
	OnlyPave
	OnlyOSVScanner
)

func (o Outcome) String() string {
	switch o {
	case Both:
		return "both"
	case OnlyPave:
		return "only-pave"
	}
	return "only-osv-scanner"
}

// Item is one vulnerability of one package version.
type Item struct {
	Key
	Outcome Outcome
	// PaveIDs and OSVIDs are the ids each tool names (sorted, unique).
	PaveIDs, OSVIDs []string
	// Unseen is true when the tool that does not report the
	// vulnerability did not inventory the package either: a difference
	// in extraction, not in matching.
	Unseen bool
	// PaveFindings and OSVGroups count the entries each tool reports for
	// it: more than one on a side is a grouping difference.
	PaveFindings, OSVGroups int
}

// Comparison is the outcome of Compare.
type Comparison struct {
	Items []Item // sorted by key, then ids
}

// Compare joins the two tools' findings per package version.
func Compare(paveSide, osvSide *Side) Comparison {
	pave, osvs := paveSide.Findings, osvSide.Findings
	type entry struct {
		ids  []string
		pave bool
	}
	byKey := map[Key][]entry{}
	for _, f := range pave {
		byKey[f.Key] = append(byKey[f.Key], entry{ids: f.IDs, pave: true})
	}
	for _, f := range osvs {
		byKey[f.Key] = append(byKey[f.Key], entry{ids: f.IDs})
	}
	var c Comparison
	for k, es := range byKey {
		// Union-find over the entries: two entries sharing an id are one
		// vulnerability.
		parent := make([]int, len(es))
		for i := range parent {
			parent[i] = i
		}
		find := func(i int) int {
			for parent[i] != i {
				parent[i] = parent[parent[i]]
				i = parent[i]
			}
			return i
		}
		owner := map[string]int{}
		for i, e := range es {
			for _, id := range e.ids {
				if j, ok := owner[id]; ok {
					parent[find(i)] = find(j)
				} else {
					owner[id] = i
				}
			}
		}
		items := map[int]*Item{}
		var roots []int
		// Identical entries (the same package found at two locations) count once.
		seen := map[string]bool{}
		for i, e := range es {
			sig := strings.Join(uniqSorted(e.ids), ",")
			if e.pave {
				sig = "pave:" + sig
			}
			dup := seen[sig]
			seen[sig] = true
			r := find(i)
			it := items[r]
			if it == nil {
				it = &Item{Key: k}
				items[r] = it
				roots = append(roots, r)
			}
			if e.pave {
				it.PaveIDs = append(it.PaveIDs, e.ids...)
				if !dup {
					it.PaveFindings++
				}
			} else {
				it.OSVIDs = append(it.OSVIDs, e.ids...)
				if !dup {
					it.OSVGroups++
				}
			}
		}
		for _, r := range roots {
			it := items[r]
			it.PaveIDs, it.OSVIDs = uniqSorted(it.PaveIDs), uniqSorted(it.OSVIDs)
			switch {
			case it.PaveFindings > 0 && it.OSVGroups > 0:
				it.Outcome = Both
			case it.PaveFindings > 0:
				it.Outcome = OnlyPave
			default:
				it.Outcome = OnlyOSVScanner
			}
			switch it.Outcome {
			case OnlyPave:
				it.Unseen = !osvSide.Packages[k]
			case OnlyOSVScanner:
				it.Unseen = !paveSide.Packages[k]
			}
			c.Items = append(c.Items, *it)
		}
	}
	// Sort by key, then ids, computing each item's ids once.
	type sortable struct {
		it  Item
		ids []string
	}
	ss := make([]sortable, len(c.Items))
	for i, it := range c.Items {
		ss[i] = sortable{it, it.ids()}
	}
	slices.SortFunc(ss, func(a, b sortable) int {
		return cmp.Or(
			cmp.Compare(a.it.Ecosystem, b.it.Ecosystem),
			cmp.Compare(a.it.Name, b.it.Name),
			cmp.Compare(a.it.Version, b.it.Version),
			slices.Compare(a.ids, b.ids),
		)
	})
	for i := range ss {
		c.Items[i] = ss[i].it
	}
	return c
}

func (it *Item) ids() []string {
	return uniqSorted(append(slices.Clone(it.PaveIDs), it.OSVIDs...))
}

// IDs returns every id either tool names for the item.
func (it *Item) IDs() []string { return it.ids() }

func uniqSorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// Total counts one ecosystem's items.
type Total struct {
	Ecosystem                                 string
	Pave, OSVScanner, Both, OnlyPave, OnlyOSV int
	Packages                                  int // package versions with at least one item
	GroupingDiffs                             int // items where a side reports more than one entry
	// UnseenPave and UnseenOSV count the OnlyPave (OnlyOSV) items whose
	// package the other tool did not inventory.
	UnseenPave, UnseenOSV int
}

// Totals counts the items per ecosystem, with a last row "all".
func (c Comparison) Totals() []Total {
	by := map[string]*Total{}
	all := &Total{Ecosystem: "all"}
	pkgs := map[Key]bool{}
	for _, it := range c.Items {
		t := by[it.Ecosystem]
		if t == nil {
			t = &Total{Ecosystem: it.Ecosystem}
			by[it.Ecosystem] = t
		}
		for _, t := range []*Total{t, all} {
			switch it.Outcome {
			case Both:
				t.Both++
				t.Pave++
				t.OSVScanner++
			case OnlyPave:
				t.OnlyPave++
				t.Pave++
				if it.Unseen {
					t.UnseenPave++
				}
			case OnlyOSVScanner:
				t.OnlyOSV++
				t.OSVScanner++
				if it.Unseen {
					t.UnseenOSV++
				}
			}
			if it.PaveFindings > 1 || it.OSVGroups > 1 {
				t.GroupingDiffs++
			}
			if !pkgs[it.Key] {
				t.Packages++
			}
		}
		pkgs[it.Key] = true
	}
	out := make([]Total, 0, len(by)+1)
	for _, t := range by {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b Total) int { return cmp.Compare(a.Ecosystem, b.Ecosystem) })
	return append(out, *all)
}

// WriteTable writes the totals as a Markdown table.
func (c Comparison) WriteTable(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| ecosystem | packages | pave | osv-scanner | both | only pave | only osv-scanner | grouping differs |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, t := range c.Totals() {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %s | %s | %d |\n",
			t.Ecosystem, t.Packages, t.Pave, t.OSVScanner, t.Both,
			withUnseen(t.OnlyPave, t.UnseenPave), withUnseen(t.OnlyOSV, t.UnseenOSV), t.GroupingDiffs)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// withUnseen writes n, and how many of them the other tool did not
// inventory: "12 (10 unseen)".
func withUnseen(n, unseen int) string {
	if unseen == 0 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d (%d unseen)", n, unseen)
}

// WriteDisagreements writes one line per item the tools disagree on
// (and, with grouping, per item whose grouping differs).
func (c Comparison) WriteDisagreements(w io.Writer, grouping bool) error {
	var b strings.Builder
	for _, it := range c.Items {
		switch {
		case it.Outcome != Both:
			why := "matching"
			if it.Unseen {
				why = "unseen"
			}
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", it.Outcome, why, it.Key, strings.Join(it.ids(), ","))
		case grouping && (it.PaveFindings > 1 || it.OSVGroups > 1):
			fmt.Fprintf(&b, "grouping\t%s\tpave %d finding(s) %s; osv-scanner %d group(s) %s\n",
				it.Key, it.PaveFindings, strings.Join(it.PaveIDs, ","), it.OSVGroups, strings.Join(it.OSVIDs, ","))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
