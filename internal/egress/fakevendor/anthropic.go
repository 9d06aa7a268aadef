package fakevendor

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// anthropicError writes Anthropic's error body.
func (v *Vendor) anthropicError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("request-id", v.id("req_"))
	writeJSON(w, status, map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": msg}})
}

func (v *Vendor) serveAnthropic(w http.ResponseWriter, r *http.Request, body []byte) {
	key := r.Header.Get("x-api-key")
	if key == "" {
		v.anthropicError(w, 401, "authentication_error", "x-api-key header is required")
		return
	}
	if v.o.AnthropicKey != "" && key != v.o.AnthropicKey {
		v.anthropicError(w, 401, "authentication_error", "invalid x-api-key")
		return
	}
	if r.Header.Get("anthropic-version") == "" {
		v.anthropicError(w, 400, "invalid_request_error", "anthropic-version: header is required")
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/v1/models" {
		created := v.o.Now().UTC().Format(time.RFC3339)
		data := []any{
			map[string]any{"type": "model", "id": "claude-sonnet-4-20250514", "display_name": "Claude Sonnet 4", "created_at": created},
			map[string]any{"type": "model", "id": "claude-3-5-haiku-20241022", "display_name": "Claude Haiku 3.5", "created_at": created},
		}
		writeJSON(w, 200, map[string]any{"data": data, "has_more": false, "first_id": "claude-sonnet-4-20250514", "last_id": "claude-3-5-haiku-20241022"})
		return
	}
	if r.Method != http.MethodPost {
		v.anthropicError(w, 405, "invalid_request_error", "Method Not Allowed")
		return
	}
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil || req == nil {
		v.anthropicError(w, 400, "invalid_request_error", "There was an issue with your request body: invalid JSON")
		return
	}
	model, _ := req["model"].(string)
	msgs, ok := req["messages"].([]any)
	switch {
	case model == "":
		v.anthropicError(w, 400, "invalid_request_error", "model: Field required")
		return
	case !ok:
		v.anthropicError(w, 400, "invalid_request_error", "messages: Field required")
		return
	}
	var prompt string
	var all strings.Builder
	all.WriteString(textOf(req["system"]))
	for _, m := range msgs {
		mm, _ := m.(map[string]any)
		t := textOf(mm["content"])
		all.WriteString(t)
		if mm["role"] == "user" {
			prompt = t
		}
	}
	in := tokens(all.String())
	if r.URL.Path == "/v1/messages/count_tokens" {
		writeJSON(w, 200, map[string]any{"input_tokens": in})
		return
	}
	if _, ok := req["max_tokens"].(float64); !ok {
		v.anthropicError(w, 400, "invalid_request_error", "max_tokens: Field required")
		return
	}
	ans := v.answer(prompt)
	out := tokens(ans)
	id := v.id("msg_")
	usage := func(input, output int64) map[string]any {
		return map[string]any{"input_tokens": input, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
			"output_tokens": output, "service_tier": "standard"}
	}
	msg := func(content []any, stop any, u map[string]any) map[string]any {
		return map[string]any{"id": id, "type": "message", "role": "assistant", "model": model, "content": content,
			"stop_reason": stop, "stop_sequence": nil, "usage": u}
	}
	w.Header().Set("request-id", v.id("req_"))
	if stream, _ := req["stream"].(bool); !stream {
		writeJSON(w, 200, msg([]any{map[string]any{"type": "text", "text": ans}}, "end_turn", usage(in, out)))
		return
	}
	s := startSSE(w)
	s.event("message_start", map[string]any{"type": "message_start", "message": msg([]any{}, nil, usage(in, 1))})
	s.event("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "text", "text": ""}})
	s.event("ping", map[string]any{"type": "ping"})
	pieces := v.split(ans)
	for i, p := range pieces {
		v.pace(r.Context(), i, len(pieces))
		if r.Context().Err() != nil {
			return
		}
		s.event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "text_delta", "text": p}})
		v.Sent.Add(1)
	}
	s.event("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	s.event("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": "end_turn", "stop_sequence": nil},
		"usage": map[string]any{"output_tokens": out}})
	s.event("message_stop", map[string]any{"type": "message_stop"})
}
