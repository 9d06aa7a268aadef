package inspect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The request and reply bodies are read by a single-pass JSON scanner
// rather than decoded into maps: it validates the grammar (RFC 8259),
// records each string value's byte span and text, and builds nothing
// else. Re-encoding after a redaction copies the body and splices in only
// the strings that changed, so everything else reaches the vendor byte
// for byte as the client sent it. encoding/json into map[string]any cost
// about three times as much on a 16 KB prompt.

// maxDepth bounds nesting, as a hostile body could otherwise recurse
// without end.
const maxDepth = 256

var errSyntax = errors.New("invalid JSON")

// span is a string value in the body.
type strSpan struct {
	start, end int // the token, quotes included
	text       string
}

type member struct {
	key string
	val *strSpan // nil unless the value is a string
}

type jscan struct {
	b     []byte
	i     int
	doc   *Doc
	spans []strSpan // parallel to doc.Parts for body parts
}

func (s *jscan) errf(what string) error {
	return fmt.Errorf("%w: %s at byte %d", ErrNotJSON, what, s.i)
}

func (s *jscan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// parseBody scans a whole body whose top level must be an object.
func parseBody(d *Doc, b []byte) error {
	s := &jscan{b: b, doc: d}
	s.ws()
	if s.i >= len(b) || b[s.i] != '{' {
		return fmt.Errorf("%w: the top level is not an object", ErrNotJSON)
	}
	if err := s.object("", 0, true); err != nil {
		return err
	}
	s.ws()
	if s.i != len(b) {
		return s.errf("data after the object")
	}
	d.raw = b
	d.spans = s.spans
	return nil
}

func (s *jscan) value(path string, depth int) (*strSpan, error) {
	if depth > maxDepth {
		return nil, s.errf("nested too deeply")
	}
	s.ws()
	if s.i >= len(s.b) {
		return nil, s.errf("unexpected end")
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return nil, s.object(path, depth+1, false)
	case c == '[':
		return nil, s.array(path, depth+1)
	case c == '"':
		sp, err := s.str()
		return &sp, err
	case c == 't':
		return nil, s.lit("true")
	case c == 'f':
		return nil, s.lit("false")
	case c == 'n':
		return nil, s.lit("null")
	case c == '-' || c >= '0' && c <= '9':
		return nil, s.num()
	}
	return nil, s.errf("unexpected character")
}

func (s *jscan) lit(w string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(w)) {
		return s.errf("bad literal")
	}
	s.i += len(w)
	return nil
}

func (s *jscan) num() error {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		s.i = i
		return s.errf("bad number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			s.i = i
			return s.errf("bad number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			s.i = i
			return s.errf("bad number")
		}
	}
	s.i = i
	return nil
}

// str scans a string token and decodes it. It jumps from backslash to
// backslash and to the closing quote with bytes.IndexByte (each byte is
// searched once), checking the bytes between for control characters in
// one tight loop.
func (s *jscan) str() (strSpan, error) {
	start := s.i
	i := s.i + 1
	esc := false
	bs := -1 // offset of the next backslash at or after i; len(s.b) when none
	for {
		if bs < i {
			if k := bytes.IndexByte(s.b[i:], '\\'); k >= 0 {
				bs = i + k
			} else {
				bs = len(s.b)
			}
		}
		seg := s.b[i:bs]
		q := bytes.IndexByte(seg, '"')
		if q >= 0 {
			seg = seg[:q]
		}
		for _, c := range seg {
			if c < 0x20 {
				s.i = i
				return strSpan{}, s.errf("control character in string")
			}
		}
		i += len(seg)
		if q >= 0 {
			i++
			s.i = i
			raw := s.b[start:i]
			if !esc {
				return strSpan{start, i, string(raw[1 : len(raw)-1])}, nil
			}
			return strSpan{start, i, unescape(raw[1 : len(raw)-1])}, nil
		}
		if i >= len(s.b) {
			s.i = i
			return strSpan{}, s.errf("unterminated string")
		}
		// a backslash
		esc = true
		if i+1 >= len(s.b) {
			s.i = i
			return strSpan{}, s.errf("bad escape")
		}
		switch s.b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if i+6 > len(s.b) || !isHex4(s.b[i+2:i+6]) {
				s.i = i
				return strSpan{}, s.errf("bad escape")
			}
			i += 6
		default:
			s.i = i
			return strSpan{}, s.errf("bad escape")
		}
	}
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func (s *jscan) object(path string, depth int, top bool) error {
	s.i++ // '{'
	var ms []member
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return s.errf("want a key")
		}
		k, err := s.str()
		if err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.errf("want ':'")
		}
		s.i++
		s.ws()
		vstart := s.i
		p := "" // the member's path, built only for what holds text
		if s.i < len(s.b) && (s.b[s.i] == '{' || s.b[s.i] == '[') {
			p = join(path, k.text)
		}
		v, err := s.value(p, depth)
		if err != nil {
			return err
		}
		if top {
			switch k.text {
			case "usage":
				s.doc.usageRaw = s.b[vstart:s.i]
			case "model":
				if v != nil {
					s.doc.Model = v.text
				}
			case "stream":
				s.doc.Stream = string(s.b[vstart:s.i]) == "true"
			case "stream_options":
				s.doc.streamOptions = true
			}
		}
		if v != nil {
			ms = append(ms, member{key: k.text, val: v})
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.errf("unexpected end")
		}
		if s.b[s.i] == ',' {
			s.i++
			continue
		}
		if s.b[s.i] != '}' {
			return s.errf("want ',' or '}'")
		}
		s.i++
		break
	}
	var sib map[string]any
	for _, m := range ms {
		switch {
		case skipKeys[m.key]:
			continue
		case binaryKeys[m.key]:
			s.doc.Skipped++
			continue
		case m.key == "data":
			if sib == nil {
				sib = map[string]any{}
				for _, o := range ms {
					if o.key == "type" || o.key == "format" || o.key == "media_type" {
						sib[o.key] = o.val.text
					}
				}
			}
			if isBinaryData(sib) {
				s.doc.Skipped++
				continue
			}
		}
		if isDataURL(m.val.text) {
			s.doc.Skipped++
			continue
		}
		s.addPart(join(path, m.key), *m.val)
	}
	return nil
}

// join is the path of member key of the object at path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (s *jscan) array(path string, depth int) error {
	s.i++ // '['
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for n := 0; ; n++ {
		s.ws()
		p := "" // built only for what holds text
		if s.i < len(s.b) && (s.b[s.i] == '{' || s.b[s.i] == '[' || s.b[s.i] == '"') {
			p = path + "[" + strconv.Itoa(n) + "]"
		}
		v, err := s.value(p, depth)
		if err != nil {
			return err
		}
		if v != nil {
			if isDataURL(v.text) {
				s.doc.Skipped++
			} else {
				s.addPart(p, *v)
			}
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.errf("unexpected end")
		}
		if s.b[s.i] == ',' {
			s.i++
			continue
		}
		if s.b[s.i] != ']' {
			return s.errf("want ',' or ']'")
		}
		s.i++
		return nil
	}
}

func (s *jscan) addPart(path string, v strSpan) {
	d := s.doc
	idx := len(s.spans)
	s.spans = append(s.spans, v)
	p := &Part{Path: path, Text: v.text}
	p.set = func(t string) {
		if d.repl == nil {
			d.repl = map[int]string{}
		}
		d.repl[idx] = t
	}
	d.Parts = append(d.Parts, p)
}

// encodeBody copies the body with the replaced strings spliced in.
func (d *Doc) encodeBody() ([]byte, error) {
	if len(d.repl) == 0 {
		return d.raw, nil
	}
	idx := make([]int, 0, len(d.repl))
	for i := range d.repl {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool { return d.spans[idx[a]].start < d.spans[idx[b]].start })
	out := make([]byte, 0, len(d.raw)+64*len(idx))
	last := 0
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, i := range idx {
		sp := d.spans[i]
		out = append(out, d.raw[last:sp.start]...)
		buf.Reset()
		if err := enc.Encode(d.repl[i]); err != nil {
			return nil, fmt.Errorf("inspect: encode: %w", err)
		}
		out = append(out, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
		last = sp.end
	}
	return append(out, d.raw[last:]...), nil
}

// unescape decodes the inside of a string token whose escapes str has
// checked, as encoding/json does: a lone or mismatched surrogate becomes
// U+FFFD.
func unescape(raw []byte) string {
	// a strings.Builder hands its bytes over as the string: one copy of
	// the text, not two (a []byte, then string(buf))
	var buf strings.Builder
	buf.Grow(len(raw))
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\\')
		if j < 0 {
			buf.Write(raw[i:])
			break
		}
		buf.Write(raw[i : i+j])
		i += j
		c := raw[i+1]
		i += 2
		switch c {
		case 'n':
			buf.WriteByte('\n')
		case 't':
			buf.WriteByte('\t')
		case 'r':
			buf.WriteByte('\r')
		case 'b':
			buf.WriteByte('\b')
		case 'f':
			buf.WriteByte('\f')
		case 'u':
			r := hex4(raw[i:])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 = hex4(raw[i+2:])
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			buf.WriteRune(r)
		default: // '"', '\\', '/'
			buf.WriteByte(c)
		}
	}
	return buf.String()
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
