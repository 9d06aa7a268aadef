// Package fakevendor is an in-process stand-in for the AI vendors the
// gateway talks to, for tests and benchmarks: an http.Handler that speaks
// the OpenAI API (chat completions, responses, embeddings, models) and
// the Anthropic Messages API as the vendors do on the wire — the same
// JSON shapes, the same server-sent events in the same order, flushed one
// event at a time, the same authentication checks and the vendors' own
// error bodies and statuses. The vendors are outside this machine; this
// is the faithful emulation the tests need of them.
//
// The model "answers" by echoing the last user message ("You said: ..."),
// or with Options.Reply, so a test controls exactly what comes back.
// Token counts are estimated at four bytes a token.
package fakevendor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Vendor.
type Options struct {
	// OpenAIKey and AnthropicKey are the keys the vendor accepts; any
	// non-empty key when empty.
	OpenAIKey, AnthropicKey string
	// Reply returns the answer to a prompt (the last user message's
	// text); "You said: " + prompt when nil.
	Reply func(prompt string) string
	// Split cuts a streamed answer into deltas; one word (with its
	// following space) a delta when nil.
	Split func(answer string) []string
	// Pace, when set, is called before delta i of n is sent, with the
	// request's context; a test blocks in it to hold the stream.
	Pace func(ctx context.Context, i, n int)
	// Now is the clock for "created" fields; time.Now when nil.
	Now func() time.Time
}

// Request is a request the vendor received.
type Request struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// Vendor is the fake. It is safe for concurrent use.
type Vendor struct {
	o    Options
	ids  atomic.Int64
	mu   sync.Mutex
	reqs []Request
	// Sent counts stream deltas written (and flushed) so far.
	Sent atomic.Int64
}

// New returns a fake vendor.
func New(o Options) *Vendor {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Vendor{o: o}
}

// Requests returns the requests received so far.
func (v *Vendor) Requests() []Request {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]Request(nil), v.reqs...)
}

// Last returns the last request received (zero when none).
func (v *Vendor) Last() Request {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.reqs) == 0 {
		return Request{}
	}
	return v.reqs[len(v.reqs)-1]
}

// Reset forgets the requests received so far.
func (v *Vendor) Reset() {
	v.mu.Lock()
	v.reqs = nil
	v.mu.Unlock()
}

// ServeHTTP implements http.Handler.
func (v *Vendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	v.mu.Lock()
	v.reqs = append(v.reqs, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	v.mu.Unlock()
	anthropic := r.URL.Path == "/v1/messages" || r.URL.Path == "/v1/messages/count_tokens" ||
		r.URL.Path == "/v1/models" && r.Header.Get("anthropic-version") != ""
	if anthropic {
		v.serveAnthropic(w, r, body)
		return
	}
	v.serveOpenAI(w, r, body)
}

func (v *Vendor) id(prefix string) string {
	return fmt.Sprintf("%s%024d", prefix, v.ids.Add(1))
}

func (v *Vendor) answer(prompt string) string {
	if v.o.Reply != nil {
		return v.o.Reply(prompt)
	}
	return "You said: " + prompt
}

func (v *Vendor) split(answer string) []string {
	if v.o.Split != nil {
		return v.o.Split(answer)
	}
	var out []string
	for answer != "" {
		i := strings.IndexByte(answer, ' ')
		if i < 0 {
			out = append(out, answer)
			break
		}
		out = append(out, answer[:i+1])
		answer = answer[i+1:]
	}
	return out
}

// tokens estimates a token count: four bytes a token, at least one.
func tokens(s string) int64 { return int64(max(1, (len(s)+3)/4)) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// sse writes server-sent events and flushes each.
type sse struct {
	w  http.ResponseWriter
	fl http.Flusher
}

func startSSE(w http.ResponseWriter) *sse {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	return &sse{w: w, fl: fl}
}

// event writes one event; name is omitted when empty (OpenAI chat).
func (s *sse) event(name string, data any) {
	var b bytes.Buffer
	if name != "" {
		b.WriteString("event: " + name + "\n")
	}
	b.WriteString("data: ")
	switch d := data.(type) {
	case string:
		b.WriteString(d)
	default:
		j, _ := json.Marshal(d)
		b.Write(j)
	}
	b.WriteString("\n\n")
	s.w.Write(b.Bytes())
	if s.fl != nil {
		s.fl.Flush()
	}
}

// pace calls Options.Pace and counts the delta.
func (v *Vendor) pace(ctx context.Context, i, n int) {
	if v.o.Pace != nil {
		v.o.Pace(ctx, i, n)
	}
}

// embedding is a deterministic 8-dimensional vector for a text.
func embedding(s string) []float64 {
	sum := sha256.Sum256([]byte(s))
	out := make([]float64, 8)
	for i := range out {
		out[i] = float64(int(sum[i])-128) / 128
	}
	return out
}

// textOf gathers the text of a message content: a string, or an array of
// parts with "text".
func textOf(c any) string {
	switch x := c.(type) {
	case string:
		return x
	case []any:
		var parts []string
		for _, p := range x {
			if m, ok := p.(map[string]any); ok {
				if t, ok := m["text"].(string); ok {
					parts = append(parts, t)
				}
			}
		}
		return strings.Join(parts, "\n")
	}
	return ""
}
