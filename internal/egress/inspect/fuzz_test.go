package inspect

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

func seedBodies(f *testing.F, file string) {
	b, err := os.ReadFile(file)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":"key AKIA4HKQ7ZR2MXW3PT6N"}]}`))
	f.Add([]byte(`{"input":["a",{"x":["data:image/png;base64,AA"]}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"a":"\u00e9\ud800"}`))
}

// fuzzParse checks the parser's invariants: no panic; a Doc only without
// an error; only valid JSON accepted (encoding/json agrees); an unchanged
// body re-encodes byte for byte; with every part changed it re-encodes to
// JSON that parses to as many parts; redacting every part and restoring
// gives the texts back.
func fuzzParse(t *testing.T, f Format, body []byte) {
	d, err := Parse(f, body)
	if err != nil {
		if d != nil {
			t.Fatal("a Doc with an error")
		}
		trimmed := bytes.TrimSpace(body)
		if json.Valid(body) && len(trimmed) > 0 && trimmed[0] == '{' && !strings.Contains(err.Error(), "nested too deeply") {
			t.Fatalf("rejected a valid object: %v", err)
		}
		return
	}
	if len(d.raw) == 0 {
		return
	}
	same, err := d.Encode()
	if err != nil || !bytes.Equal(same, body) {
		t.Fatalf("an unchanged body re-encodes differently (%v)", err)
	}
	if !json.Valid(body) {
		t.Fatalf("accepted invalid JSON %q", body)
	}
	for i, p := range d.Parts {
		sp := d.spans[i]
		var want string
		if err := json.Unmarshal(body[sp.start:sp.end], &want); err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		if utf8.Valid(body[sp.start:sp.end]) && p.Text != want {
			t.Fatalf("part %d decodes to %q, encoding/json says %q", i, p.Text, want)
		}
		p.Set(p.Text + "\u2028<&>\"\x00")
	}
	out, err := d.Encode()
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	d2, err := Parse(f, out)
	if err != nil {
		t.Fatalf("re-parse of %s: %v", out, err)
	}
	if len(d2.Parts) != len(d.Parts) || d2.Skipped != d.Skipped {
		t.Fatalf("%d parts (%d skipped) became %d (%d)", len(d.Parts), d.Skipped, len(d2.Parts), d2.Skipped)
	}
	var hits []PartHit
	orig := make([]string, len(d.Parts))
	for i, p := range d.Parts {
		orig[i] = p.Text
		if len(p.Text) > 0 {
			hits = append(hits, PartHit{Part: i, Hit: Hit{Label: "x", Hash: "sha256:" + string(rune('a'+i%26)), End: len(p.Text)}})
		}
	}
	v := Redact(d.Parts, hits)
	for i, p := range d.Parts {
		if got := v.Restore(p.Text); got != orig[i] && !bytes.Contains([]byte(orig[i]), []byte(placeholderPrefix)) {
			t.Fatalf("part %d: restore gave %q, want %q", i, got, orig[i])
		}
	}
}

func FuzzParseOpenAI(f *testing.F) {
	seedBodies(f, "testdata/openai-chat.json")
	f.Fuzz(func(t *testing.T, body []byte) { fuzzParse(t, OpenAI, body) })
}

func FuzzParseAnthropic(f *testing.F) {
	seedBodies(f, "testdata/anthropic-messages.json")
	f.Fuzz(func(t *testing.T, body []byte) { fuzzParse(t, Anthropic, body) })
}

// chunked returns b in reads of at most n bytes.
type chunked struct {
	b []byte
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), c.n, len(c.b))
	copy(p, c.b[:k])
	c.b = c.b[k:]
	return k, nil
}

func (c *chunked) Close() error { return nil }

// FuzzStream feeds arbitrary event streams in arbitrary read sizes.
// Without a rewriter the bytes must pass unchanged; with one, no panic
// and a clean end.
func FuzzStream(f *testing.F) {
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"[REDACTED:x:abc\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"def] ok\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"), uint8(7))
	f.Add([]byte("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hi AKIA4HKQ7ZR2MXW3PT6N\"}}\n\nevent: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"), uint8(3))
	f.Add([]byte("event: response.output_text.delta\r\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"m\",\"content_index\":0,\"delta\":\"x\"}\r\n\r\n"), uint8(1))
	f.Add([]byte(": comment\n\ndata: {\"usage\":{\"prompt_tokens\":3}}\n\n"), uint8(200))
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		size := int(n)%64 + 1
		s := NewStream(&chunked{bytes.Clone(data), size}, nil, &Accumulator{Detectors: []Detector{SecretDetector(nil)}})
		out, err := io.ReadAll(s)
		if err != nil || !bytes.Equal(out, data) || !s.Done {
			t.Fatalf("pass-through changed the stream (err %v, done %v)", err, s.Done)
		}
		s = NewStream(&chunked{bytes.Clone(data), size}, nil, nil)
		s.DropUsageChunks()
		out, err = io.ReadAll(s)
		if err != nil || !s.Done || len(out) > len(data) {
			t.Fatalf("drop usage: err %v done %v, %d bytes from %d", err, s.Done, len(out), len(data))
		}
		if !bytes.Contains(data, []byte(`"choices":[]`)) && !bytes.Equal(out, data) {
			t.Fatalf("drop usage changed a stream without usage chunks")
		}
		rw := &Rewriter{Vault: Vault{"[REDACTED:x:abcdef]": "secret value"}, Detectors: []Detector{SecretDetector(nil)}}
		s = NewStream(&chunked{bytes.Clone(data), size}, rw, nil)
		if _, err := io.ReadAll(s); err != nil || !s.Done {
			t.Fatalf("rewrite: err %v done %v", err, s.Done)
		}
		if len(rw.Held()) != 0 {
			t.Fatalf("text still held at the end: %v", rw.Held())
		}
	})
}
