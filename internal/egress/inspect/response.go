package inspect

import (
	"bytes"
	"encoding/json"
)

// Usage is the token count a vendor reported for one exchange.
type Usage struct {
	Input, Output, Total int64
	Seen                 bool // the reply carried a usage object
}

// merge folds a usage object (OpenAI's prompt/completion_tokens or the
// input/output_tokens of Anthropic and the responses API) into u. Counts
// in streams are cumulative, so the largest seen wins.
func (u *Usage) merge(obj map[string]any) {
	if obj == nil {
		return
	}
	u.Seen = true
	num := func(keys ...string) int64 {
		for _, k := range keys {
			if n, ok := obj[k].(json.Number); ok {
				if v, err := n.Int64(); err == nil {
					return v
				}
			}
		}
		return 0
	}
	u.Input = max(u.Input, num("input_tokens", "prompt_tokens"))
	u.Output = max(u.Output, num("output_tokens", "completion_tokens"))
	u.Total = max(u.Total, num("total_tokens"), u.Input+u.Output)
}

// usageOf finds the usage object of a reply or stream event: at the top,
// or under "message" (Anthropic message_start) or "response" (responses
// API events).
func (u *Usage) from(root map[string]any) {
	if m, ok := root["usage"].(map[string]any); ok {
		u.merge(m)
	}
	for _, k := range []string{"message", "response"} {
		if inner, ok := root[k].(map[string]any); ok {
			if m, ok := inner["usage"].(map[string]any); ok {
				u.merge(m)
			}
		}
	}
}

// ParseResponse reads a non-streamed JSON reply: its text parts (every
// string but identifiers and binary payloads) and its usage (the
// top-level "usage" object of OpenAI and Anthropic replies).
func ParseResponse(body []byte) (*Doc, Usage, error) {
	var u Usage
	d, err := Parse(Generic, body)
	if err != nil {
		return nil, u, err
	}
	if m, ok := usageObject(d.usageRaw); ok {
		u.merge(m)
	}
	return d, u, nil
}

// usageObject reads the members of a usage object that Parse has already
// checked, as decodeObject would but with only the numbers at its top
// level kept (all merge reads): encoding/json's decoder cost as much as
// the rest of a small reply's parse.
func usageObject(b []byte) (map[string]any, bool) {
	s := &jscan{b: b, doc: &Doc{}}
	s.ws()
	if s.i >= len(b) || b[s.i] != '{' {
		return nil, false
	}
	s.i++
	m := map[string]any{}
	for {
		s.ws()
		if s.i >= len(b) {
			return nil, false
		}
		switch b[s.i] {
		case '}':
			return m, true
		case ',':
			s.i++
			continue
		}
		k, err := s.str()
		if err != nil {
			return nil, false
		}
		s.ws()
		if s.i >= len(b) || b[s.i] != ':' {
			return nil, false
		}
		s.i++
		s.ws()
		vs := s.i
		if _, err := s.value("", 0); err != nil {
			return nil, false
		}
		if c := b[vs]; c == '-' || c >= '0' && c <= '9' {
			m[k.text] = json.Number(b[vs:s.i])
		} else {
			delete(m, k.text) // a later duplicate replaces an earlier one
		}
	}
}

// decodeObject decodes a JSON object with numbers kept as json.Number.
func decodeObject(b []byte) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}
