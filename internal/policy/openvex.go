package policy

import (
	"encoding/json"
	"fmt"
	"strings"
)

// OpenVEX JSON, v0.2.0 (https://github.com/openvex/spec), also reading the
// v0.0.1 shapes still in the wild: a vulnerability given as a bare string,
// products as strings and subcomponents on the statement.

type ovDocument struct {
	ID          string        `json:"@id"`
	Author      string        `json:"author"`
	Timestamp   string        `json:"timestamp"`
	LastUpdated string        `json:"last_updated"`
	Statements  []ovStatement `json:"statements"`
}

type ovStatement struct {
	Vulnerability   json.RawMessage   `json:"vulnerability"`
	Products        []json.RawMessage `json:"products"`
	Subcomponents   []json.RawMessage `json:"subcomponents"` // v0.0.1
	Status          string            `json:"status"`
	Justification   string            `json:"justification"`
	ImpactStatement string            `json:"impact_statement"`
	StatusNotes     string            `json:"status_notes"`
	Timestamp       string            `json:"timestamp"`
	LastUpdated     string            `json:"last_updated"`
}

type ovVulnerability struct {
	ID      string   `json:"@id"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
}

type ovComponent struct {
	ID            string            `json:"@id"`
	Identifiers   map[string]string `json:"identifiers"`
	Hashes        map[string]string `json:"hashes"`
	Subcomponents []json.RawMessage `json:"subcomponents"`
}

// ParseOpenVEX reads an OpenVEX JSON document. Statements pave cannot use
// (no vulnerability name, an unknown status, not_affected without a
// justification or impact statement, no product it can match) are left
// out with a warning on the document.
func ParseOpenVEX(data []byte, file string) (*VEXDocument, error) {
	if len(data) > MaxVEXSize {
		return nil, fmt.Errorf("vex: %s: larger than %d bytes", file, MaxVEXSize)
	}
	var raw ovDocument
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("vex: %s: openvex: %w", file, jsonError(data, err))
	}
	doc := &VEXDocument{Format: OpenVEX, ID: raw.ID, File: file, Author: raw.Author}
	if t, ok := parseTime(raw.Timestamp); ok {
		doc.Timestamp = t
	} else {
		doc.warnf("document timestamp %q is not RFC 3339", raw.Timestamp)
	}
	if len(raw.Statements) == 0 {
		doc.warnf("no statements")
	}
	for i := range raw.Statements {
		if st, ok := openVEXStatement(doc, i, &raw.Statements[i]); ok {
			doc.Statements = append(doc.Statements, st)
		}
	}
	return doc, nil
}

func openVEXStatement(doc *VEXDocument, i int, rs *ovStatement) (VEXStatement, bool) {
	st := VEXStatement{
		Index:         i,
		Status:        VEXStatus(rs.Status),
		State:         rs.Status,
		Justification: rs.Justification,
		Impact:        rs.ImpactStatement,
	}
	where := fmt.Sprintf("statements[%d]", i)
	var v ovVulnerability
	if err := json.Unmarshal(rs.Vulnerability, &v); err != nil {
		var name string
		if json.Unmarshal(rs.Vulnerability, &name) == nil {
			v.Name = name
		}
	}
	st.Vulnerability = strings.TrimSpace(v.Name)
	if st.Vulnerability == "" {
		doc.warnf("%s: no vulnerability name; skipped", where)
		return st, false
	}
	where += " (" + st.Vulnerability + ")"
	for _, a := range v.Aliases {
		if a = strings.TrimSpace(a); a != "" && !strings.EqualFold(a, st.Vulnerability) {
			st.Aliases = append(st.Aliases, a)
		}
	}
	switch st.Status {
	case NotAffected:
		if st.Justification == "" && st.Impact == "" {
			doc.warnf("%s: not_affected without justification or impact_statement (required by the spec); skipped", where)
			return st, false
		}
	case Fixed:
		if rs.StatusNotes != "" {
			st.Impact = rs.StatusNotes
		}
	case Affected, UnderInvestigation:
	default:
		doc.warnf("%s: unknown status %q; skipped", where, rs.Status)
		return st, false
	}
	st.Timestamp = doc.Timestamp
	for _, ts := range []string{rs.Timestamp, rs.LastUpdated} {
		if ts == "" {
			continue
		}
		if t, ok := parseTime(ts); ok {
			st.Timestamp = t
		} else {
			doc.warnf("%s: timestamp %q is not RFC 3339; using the document's", where, ts)
		}
	}
	var legacySubs []VEXProduct
	for _, rc := range rs.Subcomponents {
		if c, ok := openVEXComponent(doc, where, rc, st.Status); ok {
			legacySubs = append(legacySubs, c)
		}
	}
	for _, rp := range rs.Products {
		p, ok := openVEXComponent(doc, where, rp, st.Status)
		if !ok {
			continue
		}
		var c ovComponent
		_ = json.Unmarshal(rp, &c) // already decoded once by openVEXComponent
		for _, rc := range c.Subcomponents {
			if sc, ok := openVEXComponent(doc, where, rc, st.Status); ok {
				p.Subcomponents = append(p.Subcomponents, sc)
			}
		}
		if len(c.Subcomponents) > 0 && len(p.Subcomponents) == 0 {
			continue // every subcomponent was unusable: never widen to the product
		}
		p.Subcomponents = append(p.Subcomponents, legacySubs...)
		st.Products = append(st.Products, p)
	}
	if len(st.Products) == 0 {
		doc.warnf("%s: no product pave can match; skipped", where)
		return st, false
	}
	return st, true
}

// openVEXComponent reads a product or subcomponent: an object with @id,
// identifiers and hashes, or (v0.0.1) a bare identifier string.
func openVEXComponent(doc *VEXDocument, where string, raw json.RawMessage, status VEXStatus) (VEXProduct, bool) {
	var c ovComponent
	if err := json.Unmarshal(raw, &c); err != nil {
		var id string
		if json.Unmarshal(raw, &id) != nil {
			doc.warnf("%s: product is neither an object nor a string; skipped", where)
			return VEXProduct{}, false
		}
		c.ID = id
	}
	p, ok := productFromID(c.ID)
	if !ok {
		p = VEXProduct{ID: c.ID}
	}
	if p.PURL == "" && c.Identifiers["purl"] != "" {
		p.PURL, ok = c.Identifiers["purl"], true
	}
	for alg, sum := range c.Hashes {
		if strings.EqualFold(strings.ReplaceAll(alg, "-", ""), "sha256") && sum != "" {
			p.Digest, ok = "sha256:"+strings.ToLower(sum), true
		}
	}
	if !ok {
		doc.warnf("%s: product %q has no package URL, image reference or sha-256 hash; skipped", where, c.ID)
		return p, false
	}
	return checkProduct(doc, where, p, status)
}

// checkProduct rejects products that cannot be matched, and "fixed"
// statements about a package with no version: "these versions contain the
// fix" means nothing without a version, and honouring it would hide the
// vulnerability in every version.
func checkProduct(doc *VEXDocument, where string, p VEXProduct, status VEXStatus) (VEXProduct, bool) {
	if p.PURL == "" {
		return p, true
	}
	u, err := parsePURL(p.PURL)
	if err != nil {
		doc.warnf("%s: product %q: %v; skipped", where, p.PURL, err)
		return p, false
	}
	if status == Fixed && u.typ != "oci" && u.version == "" && len(p.Versions) == 0 {
		doc.warnf("%s: fixed status for %q, which has no version; skipped", where, p.PURL)
		return p, false
	}
	return p, true
}
