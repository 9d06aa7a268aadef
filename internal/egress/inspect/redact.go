package inspect

import (
	"sort"
	"strings"
)

// placeholderPrefix starts every placeholder.
const placeholderPrefix = "[REDACTED:"

// Placeholder is the stable stand-in for a hit's value:
// "[REDACTED:<label>:<first 6 hex digits of its hash>]". The same value
// always gets the same placeholder, so a conversation stays coherent
// across turns, and 24 bits of a SHA-256 tell the vendor nothing usable
// about a credential.
func Placeholder(h Hit) string {
	hx := h.Hash
	if i := strings.LastIndexByte(hx, ':'); i >= 0 {
		hx = hx[i+1:]
	}
	if len(hx) > 6 {
		hx = hx[:6]
	}
	return placeholderPrefix + h.Label + ":" + hx + "]"
}

// Vault maps the placeholders of one exchange to the values they stand
// for. It lives only in memory, for the length of one request.
type Vault map[string]string

// Redact replaces each hit's text in its part with its placeholder and
// returns the vault to undo it. hits must be sorted, as Scan returns
// them; regions are skipped.
func Redact(parts []*Part, hits []PartHit) Vault {
	v := Vault{}
	vals := make([]PartHit, 0, len(hits))
	for _, h := range hits {
		if !h.Region() {
			vals = append(vals, h)
		}
	}
	hits = vals
	for i := len(hits) - 1; i >= 0; {
		pi := hits[i].Part
		text := parts[pi].Text
		for ; i >= 0 && hits[i].Part == pi; i-- {
			h := hits[i]
			ph := Placeholder(h.Hit)
			v[ph] = text[h.Start:h.End]
			text = text[:h.Start] + ph + text[h.End:]
		}
		parts[pi].Text = text
		if parts[pi].set != nil {
			parts[pi].set(text)
		}
	}
	return v
}

// RedactText replaces hits (sorted, non-overlapping) in text.
func RedactText(text string, hits []Hit) string {
	for i := len(hits) - 1; i >= 0; i-- {
		h := hits[i]
		if h.Region() {
			continue
		}
		text = text[:h.Start] + Placeholder(h) + text[h.End:]
	}
	return text
}

// Restore puts back the values of the vault's placeholders in text.
func (v Vault) Restore(text string) string {
	if len(v) == 0 || !strings.Contains(text, placeholderPrefix) {
		return text
	}
	var b strings.Builder
	for {
		i := strings.Index(text, placeholderPrefix)
		if i < 0 {
			break
		}
		j := strings.IndexByte(text[i:], ']')
		if j < 0 {
			break
		}
		ph := text[i : i+j+1]
		b.WriteString(text[:i])
		if orig, ok := v[ph]; ok {
			b.WriteString(orig)
		} else {
			b.WriteString(ph)
		}
		text = text[i+j+1:]
	}
	b.WriteString(text)
	return b.String()
}

// Rewriter rewrites the text of one reply: new secrets the model wrote
// are redacted when Detectors is set, then the vault's placeholders are
// restored. For streamed replies Push holds back the trailing run of
// non-space characters of each channel (at most maxHold bytes), so a
// placeholder or a token split across two deltas is whole before it is
// rewritten; Flush releases it.
type Rewriter struct {
	Vault     Vault
	Detectors []Detector // nil: no response redaction
	// Hits are the values redacted from the reply (with offsets relative
	// to the text they were found in).
	Hits []Hit
	held map[string]string
}

const maxHold = 256

// Active reports whether the rewriter changes anything.
func (r *Rewriter) Active() bool { return r != nil && (len(r.Vault) > 0 || len(r.Detectors) > 0) }

// Whole rewrites a complete text.
func (r *Rewriter) Whole(text string) string {
	if len(r.Detectors) > 0 {
		if hs := ScanText(text, r.Detectors); len(hs) > 0 {
			r.Hits = append(r.Hits, hs...)
			text = RedactText(text, hs)
		}
	}
	return r.Vault.Restore(text)
}

// Push takes the next delta of a channel and returns the text to send
// now.
func (r *Rewriter) Push(channel, delta string) string {
	if r.held == nil {
		r.held = map[string]string{}
	}
	t := r.held[channel] + delta
	cut := strings.LastIndexAny(t, " \t\r\n") + 1
	if len(t)-cut > maxHold {
		cut = len(t) - maxHold
	}
	r.held[channel] = t[cut:]
	if cut == 0 {
		return ""
	}
	return r.Whole(t[:cut])
}

// Flush returns the rewritten text held for a channel.
func (r *Rewriter) Flush(channel string) string {
	t := r.held[channel]
	delete(r.held, channel)
	if t == "" {
		return ""
	}
	return r.Whole(t)
}

// Held lists the channels holding text, sorted.
func (r *Rewriter) Held() []string {
	var out []string
	for c, t := range r.held {
		if t != "" {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}
