// Package inspect reads the bodies AI clients send to vendors and the
// replies they get, finds secrets and personal data in their text, and
// rewrites that text: redaction with stable placeholders, and the restore
// of those placeholders in replies.
//
// A request body is parsed as the vendor's JSON (OpenAI chat completions,
// responses and embeddings; Anthropic messages; any other JSON for
// pass-through routes) into Parts: every string value a model reads —
// message content as a string or as content parts, system prompts, tool
// results and tool-call arguments, embedding and responses input, text
// documents — each with a setter, so the body can be re-encoded with
// parts replaced. Binary payloads (base64 images, audio, files, data:
// URLs) are not text: they are skipped and counted, so the audit log can
// say how much passed unread.
//
// Detectors are pluggable (SecretDetector wraps internal/secret); all of
// them run over one buffer holding every part, so a request costs one
// pass per detector whatever its shape.
package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pavesec/pave/internal/secret"
)

// Hit is one sensitive value found in a text. It never holds the value:
// Hash is "sha256:<hex>" of it, Masked a form safe to log.
type Hit struct {
	Rule       string // stable rule id ("PAVE-SEC-001", "pii/email")
	Label      string // short slug for placeholders ("aws-access-key-id")
	Category   string // "secret", "pii", ...
	Start, End int    // byte offsets in the text handed to Detect
	Masked     string
	Hash       string
}

// Detector finds sensitive values in text. Implementations must be safe
// for concurrent use, and must not keep text (or slices of it) after
// Detect returns: callers reuse the buffer (ScanBuffer).
type Detector interface {
	Detect(text []byte) []Hit
}

// SecretDetector adapts the secret engine (secret.Default() when e is
// nil).
func SecretDetector(e *secret.Engine) Detector {
	if e == nil {
		e = secret.Default()
	}
	return secretDetector{e}
}

type secretDetector struct{ e *secret.Engine }

func (d secretDetector) Detect(text []byte) []Hit {
	ms := d.e.Scan(text)
	if len(ms) == 0 {
		return nil
	}
	out := make([]Hit, len(ms))
	for i, m := range ms {
		out[i] = Hit{Rule: m.Rule.ID, Label: Slug(m.Rule.Title), Category: "secret",
			Start: m.Start, End: m.End, Masked: m.Masked, Hash: m.Hash}
	}
	return out
}

// DetectorFunc adapts a function to Detector.
type DetectorFunc func(text []byte) []Hit

// Detect calls f.
func (f DetectorFunc) Detect(text []byte) []Hit { return f(text) }

// Slug turns a title into a lower-case, dash-separated label of at most
// 32 bytes, cut at a word boundary, without parenthesised asides:
// "AWS access key id" →
// "aws-access-key-id".
func Slug(title string) string {
	var b strings.Builder
	dash := false
	depth := 0 // parenthesised asides make labels long: drop them
	for _, r := range strings.ToLower(title) {
		switch {
		case r == '(':
			depth++
		case r == ')':
			depth = max(0, depth-1)
		case depth > 0:
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	s := b.String()
	for len(s) > 32 {
		i := strings.LastIndexByte(s[:32], '-')
		if i <= 0 {
			s = s[:32]
			break
		}
		s = s[:i]
	}
	if s == "" {
		return "secret"
	}
	return s
}

// Format is a vendor's wire format.
type Format string

// Formats.
const (
	OpenAI    Format = "openai"
	Anthropic Format = "anthropic"
	Generic   Format = "generic" // any JSON: every string is text
)

// Errors a request parse returns; callers map them to a failure policy.
var (
	ErrNotJSON  = errors.New("inspect: body is not a JSON object")
	ErrTooLarge = errors.New("inspect: body larger than the inspection limit")
)

// Part is one text a model reads.
type Part struct {
	Path string // JSON path, "messages[2].content[0].text"
	Text string
	set  func(string)
}

// Doc is a parsed request or response body.
type Doc struct {
	Format  Format
	Model   string
	Stream  bool
	Parts   []*Part
	Skipped int // binary parts passed unread

	raw   []byte         // the body parsed, when parsed from bytes
	spans []strSpan      // the string tokens of Parts, for raw bodies
	repl  map[int]string // replaced parts of a raw body

	usageRaw      []byte // the top-level "usage" value, if any
	streamOptions bool   // the body has a top-level "stream_options"
}

// WantsStreamUsage reports an OpenAI-style streamed request that did not
// set stream_options: the vendor will report no usage unless asked.
func (d *Doc) WantsStreamUsage() bool { return d.Stream && !d.streamOptions && len(d.raw) > 0 }

// WithStreamUsage adds "stream_options":{"include_usage":true} to a JSON
// object body (the body Encode returned), so an OpenAI stream ends with
// a usage chunk.
func WithStreamUsage(body []byte) []byte {
	i := bytes.LastIndexByte(body, '}')
	if i < 0 {
		return body
	}
	out := make([]byte, 0, len(body)+40)
	out = append(out, body[:i]...)
	out = append(out, `,"stream_options":{"include_usage":true}`...)
	return append(out, body[i:]...)
}

// Parse reads a request body of the given format. An empty body (GET
// /v1/models) is a Doc without parts. Every format is read the same way
// (every string a model could read is a part, identifiers and binary
// payloads are not); the format names the vendor for callers.
func Parse(f Format, body []byte) (*Doc, error) {
	d := &Doc{Format: f}
	if len(bytes.TrimSpace(body)) == 0 {
		return d, nil
	}
	if err := parseBody(d, body); err != nil {
		return nil, err
	}
	return d, nil
}

// skipKeys hold identifiers and enumerations, never text a person wrote.
var skipKeys = map[string]bool{
	"model": true, "role": true, "type": true, "id": true, "object": true,
	"tool_call_id": true, "tool_use_id": true, "call_id": true, "media_type": true,
	"detail": true, "encoding_format": true, "format": true, "stop_reason": true, "finish_reason": true,
	"previous_response_id": true, "service_tier": true, "reasoning_effort": true,
}

// binaryKeys hold opaque or base64 payloads.
var binaryKeys = map[string]bool{
	"file_data": true, "b64_json": true, "signature": true, "encrypted_content": true,
	"redacted_thinking": true,
}

func (d *Doc) walk(v any, path string) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			child := x[k]
			if s, ok := child.(string); ok {
				switch {
				case skipKeys[k]:
					continue
				case binaryKeys[k] || k == "data" && isBinaryData(x):
					d.Skipped++
					continue
				case isDataURL(s):
					d.Skipped++
					continue
				}
				d.Parts = append(d.Parts, &Part{Path: p, Text: s, set: func(n string) { x[k] = n }})
				continue
			}
			d.walk(child, p)
		}
	case []any:
		for i, child := range x {
			p := fmt.Sprintf("%s[%d]", path, i)
			if s, ok := child.(string); ok {
				if isDataURL(s) {
					d.Skipped++
					continue
				}
				d.Parts = append(d.Parts, &Part{Path: p, Text: s, set: func(n string) { x[i] = n }})
				continue
			}
			d.walk(child, p)
		}
	}
}

// isBinaryData reports whether the "data" member of obj is a binary
// payload: Anthropic's {"type":"base64","data":...} sources, OpenAI's
// input_audio {"data":...,"format":"wav"}. Anthropic's text documents
// ({"type":"text","media_type":"text/plain","data":...}) are text.
func isBinaryData(obj map[string]any) bool {
	t, _ := obj["type"].(string)
	if t == "base64" {
		return true
	}
	if _, ok := obj["format"]; ok && t == "" {
		return true
	}
	mt, _ := obj["media_type"].(string)
	return mt != "" && !strings.HasPrefix(mt, "text/") && !strings.Contains(mt, "json") && !strings.Contains(mt, "xml")
}

func isDataURL(s string) bool {
	if !strings.HasPrefix(s, "data:") {
		return false
	}
	head := s[:min(len(s), 128)]
	return strings.Contains(head, ";base64,")
}

// Encode returns the body with every part's current text: the original
// bytes, with only the replaced strings re-encoded.
func (d *Doc) Encode() ([]byte, error) { return d.encodeBody() }

// PartHit is a hit located in one part.
type PartHit struct {
	Part int // index in Doc.Parts
	Hit      // offsets within the part's text
}

// Scan runs the detectors over every part and returns the hits, sorted by
// part and offset, overlapping values resolved to the first detector's.
func Scan(parts []*Part, ds []Detector) []PartHit {
	hs, _ := ScanBuffer(nil, parts, ds)
	return hs
}

// ScanBuffer is Scan joining the parts' text in buf, grown as needed; it
// returns the buffer for the caller to reuse, which spares a copy of the
// whole prompt's size per request.
func ScanBuffer(buf []byte, parts []*Part, ds []Detector) ([]PartHit, []byte) {
	if len(parts) == 0 || len(ds) == 0 {
		return nil, buf
	}
	const sep = "\n\n"
	starts := make([]int, len(parts))
	n := 0
	for i, p := range parts {
		starts[i] = n
		n += len(p.Text) + len(sep)
	}
	if cap(buf) < n {
		buf = make([]byte, 0, n)
	}
	buf = buf[:0]
	for _, p := range parts {
		buf = append(buf, p.Text...)
		buf = append(buf, sep...)
	}
	var out []PartHit
	for _, det := range ds {
		for _, h := range det.Detect(buf) {
			i := sort.SearchInts(starts, h.Start+1) - 1
			if i < 0 {
				continue
			}
			h.Start -= starts[i]
			h.End -= starts[i]
			h.End = min(h.End, len(parts[i].Text))
			if h.Start >= h.End {
				continue
			}
			out = append(out, PartHit{Part: i, Hit: h})
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Part != out[b].Part {
			return out[a].Part < out[b].Part
		}
		return out[a].Start < out[b].Start
	})
	// values never overlap one another; regions (Hit.Region) may hold
	// values and are kept beside them
	kept := out[:0]
	last := -1
	for _, h := range out {
		if h.Region() {
			kept = append(kept, h)
			continue
		}
		if last >= 0 && kept[last].Part == h.Part && kept[last].End > h.Start {
			continue
		}
		kept = append(kept, h)
		last = len(kept) - 1
	}
	return kept, buf
}

// ScanText runs the detectors over one text.
func ScanText(text string, ds []Detector) []Hit {
	hs := Scan([]*Part{{Text: text}}, ds)
	out := make([]Hit, len(hs))
	for i, h := range hs {
		out[i] = h.Hit
	}
	return out
}

// Set replaces the part's text in the document it came from.
func (p *Part) Set(text string) {
	p.Text = text
	if p.set != nil {
		p.set(text)
	}
}
