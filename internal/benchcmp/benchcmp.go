// Package benchcmp compares the package sets of two SBOMs, so that the
// SBOM benchmark can say how many of the packages a reference tool (Syft,
// Trivy, osv-scalibr) finds pave also finds, and which it misses.
//
// It reads pave's JSON scan document, Syft's JSON, CycloneDX JSON and SPDX
// 2.x JSON, detecting the format from the document itself. Every package
// is reduced to a Key (type, name, version) derived from its package URL,
// normalised so that spelling differences between tools that do not
// change the package's identity (percent-encoding, the Debian epoch as a
// qualifier, PyPI name normalisation, a Go version's "v" prefix, Go
// module path case) do not count as disagreements.
package benchcmp

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	pavejson "github.com/pavesec/pave/internal/report/json"
)

// MaxDocument bounds the size of a document Load reads.
const MaxDocument = 1 << 30

// Key identifies a package across tools.
type Key struct {
	Type    string // package-URL type: deb, npm, pypi, maven, gem, golang, ...
	Name    string // normalised name; Maven keeps only the artifact ID
	Version string // normalised version
}

func (k Key) String() string { return k.Type + "/" + k.Name + "@" + k.Version }

// Format names a document format Load understands.
type Format string

// The formats Load detects.
const (
	FormatPave      Format = "pave"
	FormatSyft      Format = "syft"
	FormatCycloneDX Format = "cyclonedx"
	FormatSPDX      Format = "spdx"
)

// Set is the packages one document lists.
type Set struct {
	Format Format
	Tool   string       // producer, as the document names it
	Keys   map[Key]bool // distinct packages
	// Raw counts the package entries in the document, before merging
	// duplicates; NoPURL counts those skipped for lack of a usable
	// package URL (Syft's "binary" entries, files, the OS itself).
	Raw, NoPURL int
}

// ErrUnknownFormat is returned for a JSON document of no known format.
var ErrUnknownFormat = errors.New("benchcmp: unknown document format")

// Load reads one SBOM document.
func Load(r io.Reader) (*Set, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("benchcmp: read: %w", err)
	}
	if len(data) > MaxDocument {
		return nil, fmt.Errorf("benchcmp: document larger than %d bytes", MaxDocument)
	}
	var probe struct {
		Schema      json.RawMessage `json:"schema"` // a string in pave's, an object in Syft's
		BOMFormat   string          `json:"bomFormat"`
		SPDXVersion string          `json:"spdxVersion"`
		Artifacts   json.RawMessage `json:"artifacts"`
		Descriptor  json.RawMessage `json:"descriptor"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("benchcmp: decode: %w", err)
	}
	set := &Set{Keys: map[Key]bool{}}
	switch {
	case len(probe.Schema) > 0 && probe.Schema[0] == '"':
		set.Format = FormatPave
		err = loadPave(data, set)
	case probe.BOMFormat == "CycloneDX":
		set.Format = FormatCycloneDX
		err = loadCycloneDX(data, set)
	case strings.HasPrefix(probe.SPDXVersion, "SPDX-"):
		set.Format = FormatSPDX
		err = loadSPDX(data, set)
	case probe.Artifacts != nil && probe.Descriptor != nil:
		set.Format = FormatSyft
		err = loadSyft(data, set)
	default:
		return nil, ErrUnknownFormat
	}
	if err != nil {
		return nil, fmt.Errorf("benchcmp: %s: %w", set.Format, err)
	}
	return set, nil
}

func (s *Set) add(purl string) {
	s.Raw++
	k, ok := ParsePURL(purl)
	if !ok {
		s.NoPURL++
		return
	}
	s.Keys[k] = true
}

func loadPave(data []byte, s *Set) error {
	scan, err := pavejson.Read(bytes.NewReader(data))
	if err != nil {
		return err
	}
	s.Tool = strings.TrimSpace(scan.Tool.Name + " " + scan.Tool.Version)
	for i := range scan.Packages {
		s.add(scan.Packages[i].PURL)
	}
	return nil
}

func loadSyft(data []byte, s *Set) error {
	var doc struct {
		Descriptor struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"descriptor"`
		Artifacts []struct {
			PURL string `json:"purl"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	s.Tool = strings.TrimSpace(doc.Descriptor.Name + " " + doc.Descriptor.Version)
	for _, a := range doc.Artifacts {
		s.add(a.PURL)
	}
	return nil
}

// cdxComponent is a CycloneDX component; components nest.
type cdxComponent struct {
	Type       string         `json:"type"`
	Name       string         `json:"name"`
	Version    string         `json:"version"`
	PURL       string         `json:"purl"`
	Components []cdxComponent `json:"components"`
}

// maxDepth bounds component nesting.
const maxDepth = 64

func loadCycloneDX(data []byte, s *Set) error {
	var doc struct {
		Metadata struct {
			Tools json.RawMessage `json:"tools"`
		} `json:"metadata"`
		Components []cdxComponent `json:"components"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	s.Tool = cdxTool(doc.Metadata.Tools)
	var walk func(cs []cdxComponent, depth int) error
	walk = func(cs []cdxComponent, depth int) error {
		if depth > maxDepth {
			return fmt.Errorf("components nested deeper than %d", maxDepth)
		}
		for _, c := range cs {
			// Operating systems, files and applications without a purl
			// are not packages.
			if c.PURL != "" || c.Type == "library" {
				s.add(c.PURL)
			}
			if err := walk(c.Components, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(doc.Components, 0)
}

// cdxTool names the producer from metadata.tools, which CycloneDX 1.5
// made an object ({"components": [...]}) while older versions use an array.
func cdxTool(raw json.RawMessage) string {
	type tool struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	var list []tool
	if err := json.Unmarshal(raw, &list); err != nil {
		var obj struct {
			Components []tool `json:"components"`
		}
		if json.Unmarshal(raw, &obj) != nil {
			return ""
		}
		list = obj.Components
	}
	var names []string
	for _, t := range list {
		names = append(names, strings.TrimSpace(t.Name+" "+t.Version))
	}
	return strings.Join(names, ", ")
}

func loadSPDX(data []byte, s *Set) error {
	var doc struct {
		CreationInfo struct {
			Creators []string `json:"creators"`
		} `json:"creationInfo"`
		Packages []struct {
			ExternalRefs []struct {
				Type    string `json:"referenceType"`
				Locator string `json:"referenceLocator"`
			} `json:"externalRefs"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	for _, c := range doc.CreationInfo.Creators {
		if t, ok := strings.CutPrefix(c, "Tool: "); ok {
			s.Tool = t
		}
	}
	for _, p := range doc.Packages {
		purl := ""
		for _, r := range p.ExternalRefs {
			if r.Type == "purl" {
				purl = r.Locator
				break
			}
		}
		s.add(purl)
	}
	return nil
}

// ParsePURL reduces a package URL to a Key. It reports false for an empty
// or malformed PURL, or one without a version.
func ParsePURL(purl string) (Key, bool) {
	rest, ok := strings.CutPrefix(purl, "pkg:")
	if !ok {
		return Key{}, false
	}
	rest, _, _ = strings.Cut(rest, "#")
	rest, query, _ := strings.Cut(rest, "?")
	// The version follows the last "@" after the last "/": an npm scope
	// written unencoded ("@types/node@1.0") is part of the name.
	at := strings.LastIndexByte(rest, '@')
	if at < 0 || at < strings.LastIndexByte(rest, '/') {
		return Key{}, false
	}
	rest, version := rest[:at], rest[at+1:]
	typ, path, ok := strings.Cut(strings.Trim(rest, "/"), "/")
	if !ok || typ == "" || path == "" {
		return Key{}, false
	}
	typ = strings.ToLower(typ)
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		u, err := url.PathUnescape(seg)
		if err != nil {
			return Key{}, false
		}
		segs[i] = u
	}
	v, err := url.PathUnescape(version)
	if err != nil || v == "" {
		return Key{}, false
	}
	quals, err := url.ParseQuery(query)
	if err != nil {
		quals = url.Values{}
	}
	k := normalise(typ, segs, v, quals)
	// Normalising can empty a name ("pkg:pypi/.@1").
	if k.Name == "" || k.Version == "" {
		return Key{}, false
	}
	return k, true
}

func normalise(typ string, segs []string, version string, quals url.Values) Key {
	name := strings.Join(segs, "/")
	switch typ {
	case "deb", "rpm", "apk":
		// The namespace is the distribution ("debian"), which tools spell
		// differently; the epoch is either in the version or a qualifier.
		name = segs[len(segs)-1]
		if e := quals.Get("epoch"); e != "" && e != "0" && !strings.Contains(version, ":") {
			version = e + ":" + version
		}
	case "maven":
		// Tools disagree on the group of a jar that carries no pom.properties;
		// the artifact ID and version identify it well enough.
		name = segs[len(segs)-1]
	case "pypi":
		name = pypiName(name)
		version = strings.ToLower(version)
	case "golang":
		// Module paths are case-sensitive, but some tools lower-case them
		// in PURLs ("github.com/burntsushi/toml"), as the PURL spec once
		// asked for the golang type.
		name = strings.ToLower(name)
		version = strings.TrimPrefix(version, "v")
		if name == "stdlib" {
			version = strings.TrimPrefix(version, "go")
		}
	case "gem", "npm", "cargo", "composer", "nuget":
		if typ != "npm" && typ != "composer" {
			break
		}
		name = strings.ToLower(name)
	}
	return Key{Type: typ, Name: name, Version: version}
}

// pypiName normalises a PyPI project name as PEP 503 does: lower case,
// runs of "-", "_" and "." become one "-".
func pypiName(s string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(s) {
		if r == '-' || r == '_' || r == '.' {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		b.WriteRune(r)
	}
	return b.String()
}

// TypeStats is the comparison for one package type.
type TypeStats struct {
	Type  string `json:"type"`
	Ref   int    `json:"ref"`   // packages of this type in the reference
	Got   int    `json:"got"`   // packages of this type in the candidate
	Found int    `json:"found"` // reference packages the candidate also has
	// Missing are reference packages the candidate lacks; Extra are
	// candidate packages the reference lacks. Both sorted.
	Missing []Key `json:"missing,omitempty"`
	Extra   []Key `json:"extra,omitempty"`
}

// Result compares a candidate set with a reference set.
type Result struct {
	Ref, Got  int         // distinct packages in each
	Found     int         // reference packages the candidate also has
	Recall    float64     // Found / Ref (1 when Ref is 0)
	Precision float64     // Found / Got: share of candidate packages the reference confirms
	Types     []TypeStats // by type, sorted
}

// Compare compares got against ref.
func Compare(ref, got map[Key]bool) Result {
	byType := map[string]*TypeStats{}
	stats := func(t string) *TypeStats {
		s, ok := byType[t]
		if !ok {
			s = &TypeStats{Type: t}
			byType[t] = s
		}
		return s
	}
	r := Result{Ref: len(ref), Got: len(got)}
	for k := range ref {
		s := stats(k.Type)
		s.Ref++
		if got[k] {
			s.Found++
			r.Found++
		} else {
			s.Missing = append(s.Missing, k)
		}
	}
	for k := range got {
		s := stats(k.Type)
		s.Got++
		if !ref[k] {
			s.Extra = append(s.Extra, k)
		}
	}
	r.Recall, r.Precision = ratio(r.Found, r.Ref), ratio(r.Found, r.Got)
	for _, s := range byType {
		slices.SortFunc(s.Missing, compareKeys)
		slices.SortFunc(s.Extra, compareKeys)
		r.Types = append(r.Types, *s)
	}
	slices.SortFunc(r.Types, func(a, b TypeStats) int { return strings.Compare(a.Type, b.Type) })
	return r
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 1
	}
	return float64(n) / float64(d)
}

func compareKeys(a, b Key) int {
	return cmp.Or(strings.Compare(a.Type, b.Type), strings.Compare(a.Name, b.Name), strings.Compare(a.Version, b.Version))
}

// WriteText writes r as a plain report: totals, a line per type, then the
// missing (and, if extra is true, the extra) packages grouped by type, at
// most limit of each per type (0: all).
func WriteText(w io.Writer, refName, gotName string, r Result, extra bool, limit int) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s finds %d of the %d packages %s finds: recall %.2f%% (%s lists %d, %d not in %s)\n",
		gotName, r.Found, r.Ref, refName, 100*r.Recall, gotName, r.Got, r.Got-r.Found, refName)
	fmt.Fprintf(&b, "%-10s %8s %8s %8s %8s\n", "type", refName, gotName, "both", "recall")
	for _, s := range r.Types {
		fmt.Fprintf(&b, "%-10s %8d %8d %8d %7.1f%%\n", s.Type, s.Ref, s.Got, s.Found, 100*ratio(s.Found, s.Ref))
	}
	list := func(title string, keys []Key, typ string) {
		if len(keys) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s %s (%d):\n", title, typ, len(keys))
		for i, k := range keys {
			if limit > 0 && i == limit {
				fmt.Fprintf(&b, "  ... %d more\n", len(keys)-limit)
				break
			}
			fmt.Fprintf(&b, "  %s@%s\n", k.Name, k.Version)
		}
	}
	for _, s := range r.Types {
		list("missing from "+gotName+":", s.Missing, s.Type)
	}
	if extra {
		for _, s := range r.Types {
			list("only in "+gotName+":", s.Extra, s.Type)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}
