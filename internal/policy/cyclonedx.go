package policy

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// CycloneDX VEX in JSON, spec versions 1.4 to 1.6: the vulnerabilities
// array, each with an analysis and the components it affects, referenced
// by bom-ref, by BOM-Link ("urn:cdx:serial/version#bom-ref") or by PURL.

type cdxDocument struct {
	SerialNumber string `json:"serialNumber"`
	Metadata     struct {
		Timestamp string        `json:"timestamp"`
		Component *cdxComponent `json:"component"`
		Authors   []struct {
			Name string `json:"name"`
		} `json:"authors"`
	} `json:"metadata"`
	Components      []cdxComponent     `json:"components"`
	Vulnerabilities []cdxVulnerability `json:"vulnerabilities"`
}

type cdxComponent struct {
	BOMRef  string `json:"bom-ref"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	Version string `json:"version"`
	PURL    string `json:"purl"`
	Hashes  []struct {
		Alg     string `json:"alg"`
		Content string `json:"content"`
	} `json:"hashes"`
	Components []cdxComponent `json:"components"`
}

type cdxVulnerability struct {
	ID         string `json:"id"`
	References []struct {
		ID string `json:"id"`
	} `json:"references"`
	Analysis *struct {
		State         string       `json:"state"`
		Justification string       `json:"justification"`
		Response      stringOrList `json:"response"`
		Detail        string       `json:"detail"`
		FirstIssued   string       `json:"firstIssued"`
		LastUpdated   string       `json:"lastUpdated"`
	} `json:"analysis"`
	Affects []struct {
		Ref      string          `json:"ref"`
		Versions json.RawMessage `json:"versions"`
	} `json:"affects"`
}

type cdxVersion struct {
	Version string `json:"version"`
	Range   string `json:"range"`
	Status  string `json:"status"`
}

// cdxStates maps CycloneDX analysis states onto VEX statuses.
var cdxStates = map[string]VEXStatus{
	"not_affected":           NotAffected,
	"false_positive":         NotAffected,
	"resolved":               Fixed,
	"resolved_with_pedigree": Fixed,
	"exploitable":            Affected,
	"in_triage":              UnderInvestigation,
}

// ParseCycloneDXVEX reads the vulnerabilities of a CycloneDX JSON BOM as
// VEX statements. A vulnerability without an analysis is not a statement
// and is passed over; affects entries pave cannot resolve to a package or
// image are left out with a warning.
func ParseCycloneDXVEX(data []byte, file string) (*VEXDocument, error) {
	if len(data) > MaxVEXSize {
		return nil, fmt.Errorf("vex: %s: larger than %d bytes", file, MaxVEXSize)
	}
	var raw cdxDocument
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("vex: %s: cyclonedx: %w", file, jsonError(data, err))
	}
	doc := &VEXDocument{Format: CycloneDXVEX, ID: raw.SerialNumber, File: file}
	if len(raw.Metadata.Authors) > 0 {
		doc.Author = raw.Metadata.Authors[0].Name
	}
	if t, ok := parseTime(raw.Metadata.Timestamp); ok {
		doc.Timestamp = t
	} else {
		doc.warnf("metadata.timestamp %q is not RFC 3339", raw.Metadata.Timestamp)
	}
	refs := map[string]*cdxComponent{}
	if raw.Metadata.Component != nil {
		indexComponents(refs, []cdxComponent{*raw.Metadata.Component})
	}
	indexComponents(refs, raw.Components)
	for i := range raw.Vulnerabilities {
		if st, ok := cdxStatement(doc, refs, i, &raw.Vulnerabilities[i]); ok {
			doc.Statements = append(doc.Statements, st)
		}
	}
	if len(doc.Statements) == 0 && len(doc.Warnings) == 0 {
		doc.warnf("no vulnerability with an analysis: not a VEX document")
	}
	return doc, nil
}

// indexComponents records every component with a bom-ref, nested ones too.
func indexComponents(refs map[string]*cdxComponent, cs []cdxComponent) {
	for i := range cs {
		c := &cs[i]
		if c.BOMRef != "" {
			if _, dup := refs[c.BOMRef]; !dup {
				refs[c.BOMRef] = c
			}
		}
		indexComponents(refs, c.Components)
	}
}

func cdxStatement(doc *VEXDocument, refs map[string]*cdxComponent, i int, v *cdxVulnerability) (VEXStatement, bool) {
	st := VEXStatement{Index: i, Vulnerability: strings.TrimSpace(v.ID)}
	where := fmt.Sprintf("vulnerabilities[%d]", i)
	if v.Analysis == nil {
		return st, false
	}
	if st.Vulnerability == "" {
		doc.warnf("%s: no id; skipped", where)
		return st, false
	}
	where += " (" + st.Vulnerability + ")"
	for _, r := range v.References {
		if a := strings.TrimSpace(r.ID); a != "" && !strings.EqualFold(a, st.Vulnerability) {
			st.Aliases = append(st.Aliases, a)
		}
	}
	a := v.Analysis
	status, ok := cdxStates[a.State]
	if !ok {
		doc.warnf("%s: analysis.state %q is not a CycloneDX state; skipped", where, a.State)
		return st, false
	}
	st.Status, st.State, st.Justification, st.Impact = status, a.State, a.Justification, a.Detail
	if a.State == "not_affected" && a.Justification == "" && a.Detail == "" {
		doc.warnf("%s: not_affected without justification or detail; skipped", where)
		return st, false
	}
	st.Timestamp = doc.Timestamp
	for _, ts := range []string{a.FirstIssued, a.LastUpdated} {
		if ts == "" {
			continue
		}
		if t, ok := parseTime(ts); ok {
			st.Timestamp = t
		} else {
			doc.warnf("%s: analysis timestamp %q is not RFC 3339; using the document's", where, ts)
		}
	}
	for _, af := range v.Affects {
		p, ok := cdxProduct(doc, refs, where, af.Ref)
		if !ok {
			continue
		}
		if len(af.Versions) > 0 && string(af.Versions) != "null" {
			vs, ok := cdxVersions(doc, where, af.Ref, af.Versions, status)
			if !ok {
				continue
			}
			p.Versions = vs
		}
		if p, ok = checkProduct(doc, where, p, status); ok {
			st.Products = append(st.Products, p)
		}
	}
	if len(st.Products) == 0 {
		if len(v.Affects) == 0 {
			doc.warnf("%s: no affects entries; skipped", where)
		}
		return st, false
	}
	return st, true
}

// cdxProduct resolves an affects ref to the package or image it names.
func cdxProduct(doc *VEXDocument, refs map[string]*cdxComponent, where, ref string) (VEXProduct, bool) {
	key := ref
	if rest, ok := cutPrefixFold(ref, "urn:cdx:"); ok {
		_, frag, found := strings.Cut(rest, "#")
		if !found {
			doc.warnf("%s: BOM-Link %q names a whole BOM, not a component; skipped", where, ref)
			return VEXProduct{}, false
		}
		if d, err := url.PathUnescape(frag); err == nil {
			frag = d
		}
		key = frag
	}
	if c, ok := refs[key]; ok {
		return cdxComponentProduct(doc, where, ref, c)
	}
	if _, ok := cutPrefixFold(key, "pkg:"); ok {
		return VEXProduct{ID: ref, PURL: key}, true
	}
	doc.warnf("%s: affects ref %q is not a component of this document nor a package URL; skipped", where, ref)
	return VEXProduct{}, false
}

func cdxComponentProduct(doc *VEXDocument, where, ref string, c *cdxComponent) (VEXProduct, bool) {
	p := VEXProduct{ID: ref}
	if c.PURL != "" {
		p.PURL = c.PURL
		return p, true
	}
	if c.Type == "container" {
		for _, h := range c.Hashes {
			if strings.EqualFold(h.Alg, "SHA-256") && h.Content != "" {
				p.Digest = "sha256:" + strings.ToLower(h.Content)
			}
		}
		switch {
		case isDigest(c.Version):
			p.Image = c.Name + "@" + c.Version
		case c.Version != "":
			p.Image = c.Name + ":" + c.Version
		default:
			p.Image = c.Name
		}
		if _, ok := parseImageRef(p.Image); ok || p.Digest != "" {
			if !ok {
				p.Image = ""
			}
			return p, true
		}
	}
	doc.warnf("%s: affects ref %q names component %q, which has no package URL; skipped", where, ref, c.Name)
	return p, false
}

// cdxVersions reads affects[].versions: the exact versions the statement
// holds for. Entries whose status contradicts the analysis are ignored,
// and version ranges are not supported (a statement is never widened to
// cover what pave cannot compare).
func cdxVersions(doc *VEXDocument, where, ref string, raw json.RawMessage, status VEXStatus) ([]string, bool) {
	var list []cdxVersion
	if err := json.Unmarshal(raw, &list); err != nil {
		var one cdxVersion // some published examples use a bare object
		if json.Unmarshal(raw, &one) != nil {
			doc.warnf("%s: affects %q: versions is neither a list nor an object; skipped", where, ref)
			return nil, false
		}
		list = []cdxVersion{one}
	}
	var out []string
	ranges := 0
	for _, v := range list {
		agrees := v.Status == "" || v.Status == "unknown" ||
			(status.Suppresses() == (v.Status == "unaffected"))
		if !agrees {
			continue
		}
		switch {
		case v.Version != "":
			out = append(out, v.Version)
		case v.Range != "":
			ranges++
		}
	}
	if ranges > 0 {
		doc.warnf("%s: affects %q: %d version range(s) not supported; only exact versions are used", where, ref, ranges)
	}
	if len(out) == 0 {
		if ranges == 0 {
			doc.warnf("%s: affects %q: no version entry agrees with state; skipped", where, ref)
		}
		return nil, false
	}
	return out, true
}
