package inspect

import "github.com/pavesec/pave/internal/pii"

// PIIDetector adapts the personal-data engine: e-mails, phones, IBANs,
// cards, national ids, organisation patterns and pasted source code.
// Placeholders use the rule's short name ("[REDACTED:email:1a2b3c]").
func PIIDetector(e *pii.Engine) Detector { return piiDetector{e} }

type piiDetector struct{ e *pii.Engine }

func (d piiDetector) Detect(text []byte) []Hit {
	ms := d.e.Scan(text)
	if len(ms) == 0 {
		return nil
	}
	out := make([]Hit, len(ms))
	for i, m := range ms {
		label := m.Rule.Name
		if label == "" {
			label = Slug(m.Rule.Title)
		}
		out[i] = Hit{Rule: m.Rule.ID, Label: Slug(label), Category: m.Category,
			Start: m.Start, End: m.End, Masked: m.Masked, Hash: m.Hash}
	}
	return out
}

// Region reports hits that describe a region (a pasted block of source
// code) rather than a value: they may contain other hits, are never
// replaced by a placeholder, and only audit or block.
func (h Hit) Region() bool { return h.Category == pii.CategorySourceCode }
