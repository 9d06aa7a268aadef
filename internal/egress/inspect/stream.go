package inspect

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Accumulator scans the text of a streamed reply as it grows, a window
// at a time, so a long stream is inspected without holding a chunk back
// and without rescanning it whole at the end. Windows overlap by
// overlapBytes so a value split across two windows is still found; a hit
// is reported once.
type Accumulator struct {
	Detectors []Detector
	Hits      []Hit // offsets are within the whole stream's text
	buf       []byte
	base      int // stream offset of buf[0]
	scanned   int // stream offset up to which buf has been scanned
	seen      map[int]bool
	last      string // channel of the last text added
}

const (
	scanEvery    = 4 << 10
	overlapBytes = 512
	keepBytes    = 64 << 10
)

// Add appends a delta of a channel's text.
func (a *Accumulator) Add(channel, text string) {
	if a == nil || len(a.Detectors) == 0 || text == "" {
		return
	}
	if channel != a.last && len(a.buf) > 0 {
		a.buf = append(a.buf, "\n\n"...)
	}
	a.last = channel
	a.buf = append(a.buf, text...)
	if a.base+len(a.buf)-a.scanned >= scanEvery {
		a.scan()
	}
}

// Finish scans what is left.
func (a *Accumulator) Finish() {
	if a == nil || len(a.Detectors) == 0 {
		return
	}
	a.scan()
}

func (a *Accumulator) scan() {
	from := max(a.scanned-overlapBytes, a.base)
	win := a.buf[from-a.base:]
	if len(win) == 0 {
		return
	}
	if a.seen == nil {
		a.seen = map[int]bool{}
	}
	for _, h := range ScanText(string(win), a.Detectors) {
		h.Start += from
		h.End += from
		if a.seen[h.Start] {
			continue
		}
		a.seen[h.Start] = true
		a.Hits = append(a.Hits, h)
	}
	a.scanned = a.base + len(a.buf)
	if len(a.buf) > keepBytes {
		drop := len(a.buf) - overlapBytes
		a.buf = append(a.buf[:0], a.buf[drop:]...)
		a.base += drop
	}
}

// Stream wraps a server-sent-events reply body. It reads the vendor's
// events as they come; it records the usage they report and hands their
// text deltas to the Accumulator; with an active Rewriter it rewrites the
// deltas (restore, response redaction) and returns rewritten events,
// otherwise it returns the vendor's bytes unchanged and parses them only
// after they are handed on (at the next Read), so observation adds no
// delay to a chunk.
type Stream struct {
	Usage Usage
	Bytes int64 // bytes read from the vendor
	Done  bool  // the vendor's stream ended cleanly (EOF)
	Err   error // a read error other than EOF

	src     io.ReadCloser
	rw      *Rewriter
	events  bool // return whole events (rewriting or dropping), not raw reads
	strip   bool // drop OpenAI's usage-only chunk
	acc     *Accumulator
	partial []byte
	queued  []byte // pass-through: bytes returned but not yet parsed
	out     []byte // rewrite: events ready to return
	rbuf    []byte
	ended   bool
	tmpl    map[string]*template
}

// template is the last delta event of a channel: flushing held text
// re-sends it with that text.
type template struct {
	name string
	obj  map[string]any
	set  func(string)
}

// NewStream wraps src. rw and acc may be nil.
func NewStream(src io.ReadCloser, rw *Rewriter, acc *Accumulator) *Stream {
	if !rw.Active() {
		rw = nil
	}
	return &Stream{src: src, rw: rw, acc: acc, events: rw != nil}
}

// DropUsageChunks removes OpenAI's final usage-only chunk ("choices":[]
// with "usage") from what the client receives, after reading its usage:
// for streams where the gateway, not the client, asked for usage.
func (s *Stream) DropUsageChunks() {
	s.strip = true
	s.events = true
}

// usageOnly reports OpenAI's usage chunk: no choices, a usage object.
func usageOnly(payload []byte) bool {
	return bytes.Contains(payload, []byte(`"choices":[]`)) && hasUsageObject(payload)
}

// Accumulator returns the accumulator NewStream was given.
func (s *Stream) Accumulator() *Accumulator { return s.acc }

// Read implements io.Reader.
func (s *Stream) Read(p []byte) (int, error) {
	if !s.events {
		return s.readThrough(p)
	}
	for len(s.out) == 0 {
		if s.ended {
			if s.Err != nil {
				return 0, s.Err
			}
			return 0, io.EOF
		}
		if s.rbuf == nil {
			s.rbuf = make([]byte, 32<<10)
		}
		n, err := s.src.Read(s.rbuf)
		s.Bytes += int64(n)
		s.feed(s.rbuf[:n])
		if err != nil {
			s.end(err)
		}
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

func (s *Stream) readThrough(p []byte) (int, error) {
	if len(s.queued) > 0 {
		s.feed(s.queued)
		s.queued = s.queued[:0]
	}
	if s.ended {
		return 0, io.EOF
	}
	n, err := s.src.Read(p)
	s.Bytes += int64(n)
	s.queued = append(s.queued, p[:n]...)
	if err != nil {
		s.feed(s.queued)
		s.queued = nil
		s.end(err)
	}
	return n, err
}

func (s *Stream) end(err error) {
	s.ended = true
	if errors.Is(err, io.EOF) {
		s.Done = true
	} else {
		s.Err = err
	}
	switch {
	case len(bytes.TrimSpace(s.partial)) > 0:
		s.event(s.partial) // a last event without its blank line
	case s.events:
		s.out = append(s.out, s.partial...) // trailing blank lines stay
	}
	s.partial = nil
	if s.rw != nil {
		s.flush(s.rw.Held())
	}
	s.acc.Finish()
}

// Close closes the vendor's body; a stream closed before its end is not
// Done.
func (s *Stream) Close() error {
	if len(s.queued) > 0 {
		s.feed(s.queued)
		s.queued = nil
	}
	return s.src.Close()
}

// feed splits complete events off the front of the buffered bytes.
func (s *Stream) feed(b []byte) {
	s.partial = append(s.partial, b...)
	for {
		i, n := eventEnd(s.partial)
		if i < 0 {
			return
		}
		s.event(s.partial[:i+n])
		s.partial = s.partial[i+n:]
	}
}

// eventEnd finds the blank line that ends the first event.
func eventEnd(b []byte) (int, int) {
	i := bytes.Index(b, []byte("\n\n"))
	j := bytes.Index(b, []byte("\r\n\r\n"))
	switch {
	case j >= 0 && (i < 0 || j < i):
		return j, 4
	case i >= 0:
		return i, 2
	}
	return -1, 0
}

// event handles one event's bytes (its terminating blank line included).
func (s *Stream) event(raw []byte) {
	var name string
	var data [][]byte
	var other [][]byte
	for _, line := range bytes.Split(bytes.TrimRight(raw, "\r\n"), []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		switch {
		case bytes.HasPrefix(line, []byte("data:")):
			data = append(data, bytes.TrimPrefix(bytes.TrimPrefix(line, []byte("data:")), []byte(" ")))
		case bytes.HasPrefix(line, []byte("event:")):
			name = string(bytes.TrimSpace(line[len("event:"):]))
			other = append(other, line)
		default:
			other = append(other, line)
		}
	}
	payload := bytes.Join(data, []byte("\n"))
	drop := s.strip && usageOnly(payload)
	if s.rw == nil {
		s.observe(payload)
		if s.events && !drop {
			s.out = append(s.out, raw...)
		}
		return
	}
	obj, ok := decodeObject(payload)
	if !ok {
		if bytes.Equal(bytes.TrimSpace(payload), []byte("[DONE]")) {
			s.flush(s.rw.Held())
		}
		s.out = append(s.out, raw...)
		return
	}
	s.Usage.from(obj)
	if drop {
		return
	}
	ds, flush := deltasOf(obj)
	for _, d := range ds {
		s.acc.Add(d.channel, d.text)
	}
	ending := matchHeld(append(s.rw.Held(), channelsOf(ds)...), flush)
	inEvent := map[string]bool{}
	for _, d := range ds {
		inEvent[d.channel] = true
	}
	var before []string
	for _, c := range ending {
		if !inEvent[c] {
			before = append(before, c)
		}
	}
	s.flush(before)
	skip := map[string]bool{}
	changed := false
	for _, d := range ds {
		skip[d.path] = true
		t := s.rw.Push(d.channel, d.text)
		if slices.Contains(ending, d.channel) {
			t += s.rw.Flush(d.channel) // the event that carries the last delta ends the channel
		}
		if t != d.text {
			d.set(t)
			changed = true
		}
		if s.tmpl == nil {
			s.tmpl = map[string]*template{}
		}
		s.tmpl[d.channel] = &template{name: name, obj: obj, set: d.set}
	}
	doc := &Doc{}
	doc.walk(obj, "")
	for _, p := range doc.Parts {
		if !skip[p.Path] {
			if t := s.rw.Whole(p.Text); t != p.Text {
				p.set(t)
				changed = true
			}
		}
	}
	if !changed {
		s.out = append(s.out, raw...) // the vendor's bytes, as they were
		return
	}
	s.out = appendEvent(s.out, other, obj)
}

// observe reads an event that passes unchanged: its usage, decoded only
// when the event has one, and its text deltas, found by the single-pass
// scanner (no map is built) by their paths in the three stream formats.
func (s *Stream) observe(payload []byte) {
	if hasUsageObject(payload) {
		if obj, ok := decodeObject(payload); ok {
			s.Usage.from(obj)
		}
	}
	if s.acc == nil || len(s.acc.Detectors) == 0 || !bytes.Contains(payload, []byte(`delta`)) {
		return
	}
	d := &Doc{}
	if parseBody(d, payload) != nil {
		return
	}
	for _, p := range d.Parts {
		if deltaPath(p.Path) {
			s.acc.Add(p.Path, p.Text)
		}
	}
}

// hasUsageObject reports a "usage" member whose value is an object: with
// include_usage OpenAI puts "usage":null in every chunk, and only the
// last one is worth decoding.
func hasUsageObject(payload []byte) bool {
	for rest := payload; ; {
		i := bytes.Index(rest, []byte(`"usage"`))
		if i < 0 {
			return false
		}
		rest = rest[i+len(`"usage"`):]
		j := 0
		for j < len(rest) && (rest[j] == ' ' || rest[j] == '\t' || rest[j] == '\n' || rest[j] == '\r' || rest[j] == ':') {
			j++
		}
		if j < len(rest) && rest[j] == '{' {
			return true
		}
	}
}

// deltaPath reports the paths of text deltas: OpenAI chat
// (choices[i].delta.content, tool-call arguments), the responses API
// (delta) and Anthropic (delta.text, delta.partial_json, delta.thinking).
func deltaPath(p string) bool {
	switch {
	case p == "delta", p == "delta.text", p == "delta.partial_json", p == "delta.thinking":
		return true
	case strings.HasPrefix(p, "choices["):
		return strings.HasSuffix(p, ".delta.content") || strings.Contains(p, ".delta.tool_calls[") && strings.HasSuffix(p, ".function.arguments")
	}
	return false
}

// flush sends the held text of channels as copies of their last delta
// events.
func (s *Stream) flush(channels []string) {
	for _, c := range channels {
		t := s.rw.Flush(c)
		tp := s.tmpl[c]
		if t == "" || tp == nil {
			continue
		}
		tp.set(t)
		var other [][]byte
		if tp.name != "" {
			other = [][]byte{[]byte("event: " + tp.name)}
		}
		s.out = appendEvent(s.out, other, tp.obj)
	}
}

func appendEvent(out []byte, other [][]byte, obj map[string]any) []byte {
	for _, l := range other {
		out = append(out, l...)
		out = append(out, '\n')
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(obj) // a decoded object always encodes
	out = append(out, "data: "...)
	out = append(out, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
	return append(out, '\n', '\n')
}

// matchHeld picks the held channels a terminal event ends: exact names,
// or names under a prefix ending in '.' or '*' (all).
func matchHeld(held, flush []string) []string {
	var out []string
	for _, h := range held {
		for _, f := range flush {
			if f == "*" || h == f || strings.HasPrefix(h, f+".") {
				out = append(out, h)
				break
			}
		}
	}
	return out
}

func channelsOf(ds []delta) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.channel
	}
	return out
}

type delta struct {
	channel, path, text string
	set                 func(string)
}

// deltasOf finds the text deltas of a stream event, in the three stream
// formats, and the channels the event ends.
func deltasOf(obj map[string]any) (ds []delta, flush []string) {
	typ, _ := obj["type"].(string)
	switch {
	case typ == "content_block_delta": // Anthropic
		idx := numString(obj["index"])
		if d, ok := obj["delta"].(map[string]any); ok {
			for _, k := range []string{"text", "partial_json", "thinking"} {
				if t, ok := d[k].(string); ok {
					ds = append(ds, delta{"block" + idx, "delta." + k, t, func(n string) { d[k] = n }})
				}
			}
		}
	case typ == "content_block_stop":
		flush = append(flush, "block"+numString(obj["index"]))
	case typ == "message_stop" || typ == "response.completed" || typ == "response.incomplete" || typ == "response.failed":
		flush = append(flush, "*")
	case typ == "response.output_text.delta" || typ == "response.function_call_arguments.delta" || typ == "response.refusal.delta":
		if t, ok := obj["delta"].(string); ok {
			ds = append(ds, delta{respChannel(obj, typ), "delta", t, func(n string) { obj["delta"] = n }})
		}
	case typ == "response.output_text.done" || typ == "response.function_call_arguments.done" || typ == "response.refusal.done":
		flush = append(flush, respChannel(obj, typ))
	case typ == "":
		choices, _ := obj["choices"].([]any)
		for ci, c := range choices {
			cm, ok := c.(map[string]any)
			if !ok {
				continue
			}
			idx := numString(cm["index"])
			if d, ok := cm["delta"].(map[string]any); ok {
				base := "choices[" + strconv.Itoa(ci) + "].delta."
				if t, ok := d["content"].(string); ok {
					ds = append(ds, delta{"choice" + idx, base + "content", t, func(n string) { d["content"] = n }})
				}
				tcs, _ := d["tool_calls"].([]any)
				for ti, tc := range tcs {
					tm, _ := tc.(map[string]any)
					fn, _ := tm["function"].(map[string]any)
					if a, ok := fn["arguments"].(string); ok {
						ch := "choice" + idx + ".tool" + numString(tm["index"])
						ds = append(ds, delta{ch, base + "tool_calls[" + strconv.Itoa(ti) + "].function.arguments", a, func(n string) { fn["arguments"] = n }})
					}
				}
			}
			if fr, ok := cm["finish_reason"].(string); ok && fr != "" {
				flush = append(flush, "choice"+idx)
			}
		}
	}
	return ds, flush
}

func respChannel(obj map[string]any, typ string) string {
	item, _ := obj["item_id"].(string)
	kind := "text"
	if strings.Contains(typ, "arguments") {
		kind = "args"
	} else if strings.Contains(typ, "refusal") {
		kind = "refusal"
	}
	return "resp." + item + "." + kind + numString(obj["content_index"])
}

func numString(v any) string {
	if n, ok := v.(json.Number); ok {
		return n.String()
	}
	return "0"
}
