package inspect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"

	"github.com/pavesec/pave/internal/pii"
)

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

// Keyed wraps a detector so that its hits carry "hmac-sha256:<hex>", an
// HMAC-SHA256 of the value under key, instead of a plain SHA-256. A plain
// hash of a low-entropy value (a phone number, a national id) can be
// reversed by trying every value; a keyed one cannot without the key.
// Placeholders derive from the keyed hash too.
func Keyed(d Detector, key []byte) Detector { return keyed{d, key} }

type keyed struct {
	d   Detector
	key []byte
}

func (k keyed) Detect(text []byte) []Hit {
	hs := k.d.Detect(text)
	for i := range hs {
		m := hmac.New(sha256.New, k.key)
		m.Write(text[hs[i].Start:hs[i].End])
		hs[i].Hash = "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
	}
	return hs
}
