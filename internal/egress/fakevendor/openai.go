package fakevendor

import (
	"encoding/json"
	"net/http"
	"strings"
)

// openaiError writes OpenAI's error body.
func openaiError(w http.ResponseWriter, status int, msg, typ string, param, code any) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": param, "code": code}})
}

func (v *Vendor) serveOpenAI(w http.ResponseWriter, r *http.Request, body []byte) {
	auth := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || key == "" {
		openaiError(w, 401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.", "invalid_request_error", nil, nil)
		return
	}
	if v.o.OpenAIKey != "" && key != v.o.OpenAIKey {
		shown := key
		if len(key) > 8 {
			shown = key[:3] + strings.Repeat("*", 10) + key[len(key)-4:]
		}
		openaiError(w, 401, "Incorrect API key provided: "+shown+". You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", nil, "invalid_api_key")
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
		now := v.o.Now().Unix()
		var data []map[string]any
		for _, m := range []string{"gpt-4o", "gpt-4o-mini", "text-embedding-3-small"} {
			data = append(data, map[string]any{"id": m, "object": "model", "created": now, "owned_by": "system"})
		}
		writeJSON(w, 200, map[string]any{"object": "list", "data": data})
		return
	case r.Method != http.MethodPost || !(r.URL.Path == "/v1/chat/completions" || r.URL.Path == "/v1/responses" || r.URL.Path == "/v1/embeddings"):
		openaiError(w, 404, "Invalid URL ("+r.Method+" "+r.URL.Path+")", "invalid_request_error", nil, nil)
		return
	}
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil || req == nil {
		openaiError(w, 400, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)", "invalid_request_error", nil, nil)
		return
	}
	model, _ := req["model"].(string)
	if model == "" {
		openaiError(w, 400, "you must provide a model parameter", "invalid_request_error", nil, nil)
		return
	}
	switch r.URL.Path {
	case "/v1/chat/completions":
		v.chat(w, r, req, model)
	case "/v1/responses":
		v.responses(w, r, req, model)
	case "/v1/embeddings":
		v.embeddings(w, req, model)
	}
}

func (v *Vendor) chat(w http.ResponseWriter, r *http.Request, req map[string]any, model string) {
	msgs, ok := req["messages"].([]any)
	if !ok {
		openaiError(w, 400, "Missing required parameter: 'messages'.", "invalid_request_error", "messages", "missing_required_parameter")
		return
	}
	var prompt, all strings.Builder
	for _, m := range msgs {
		mm, _ := m.(map[string]any)
		t := textOf(mm["content"])
		all.WriteString(t)
		if mm["role"] == "user" {
			prompt.Reset()
			prompt.WriteString(t)
		}
	}
	ans := v.answer(prompt.String())
	in, out := tokens(all.String()), tokens(ans)
	usage := map[string]any{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out,
		"prompt_tokens_details":     map[string]any{"cached_tokens": 0, "audio_tokens": 0},
		"completion_tokens_details": map[string]any{"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}
	id, created := v.id("chatcmpl-"), v.o.Now().Unix()
	if stream, _ := req["stream"].(bool); !stream {
		writeJSON(w, 200, map[string]any{
			"id": id, "object": "chat.completion", "created": created, "model": model,
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": ans, "refusal": nil, "annotations": []any{}},
				"logprobs": nil, "finish_reason": "stop"}},
			"usage": usage, "service_tier": "default", "system_fingerprint": "fp_fake",
		})
		return
	}
	includeUsage := false
	if so, ok := req["stream_options"].(map[string]any); ok {
		includeUsage, _ = so["include_usage"].(bool)
	}
	s := startSSE(w)
	chunk := func(delta map[string]any, finish any) map[string]any {
		c := map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
			"service_tier": "default", "system_fingerprint": "fp_fake",
			"choices": []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}}}
		if includeUsage {
			c["usage"] = nil
		}
		return c
	}
	s.event("", chunk(map[string]any{"role": "assistant", "content": "", "refusal": nil}, nil))
	pieces := v.split(ans)
	for i, p := range pieces {
		v.pace(r.Context(), i, len(pieces))
		if r.Context().Err() != nil {
			return
		}
		s.event("", chunk(map[string]any{"content": p}, nil))
		v.Sent.Add(1)
	}
	s.event("", chunk(map[string]any{}, "stop"))
	if includeUsage {
		s.event("", map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
			"service_tier": "default", "system_fingerprint": "fp_fake", "choices": []any{}, "usage": usage})
	}
	s.event("", "[DONE]")
}

// responsesInput gathers the last user text of a responses API input: a
// string, or a list of messages (content a string or input_text parts).
func responsesInput(in any) (last, all string) {
	switch x := in.(type) {
	case string:
		return x, x
	case []any:
		var b strings.Builder
		for _, m := range x {
			mm, _ := m.(map[string]any)
			t := textOf(mm["content"])
			b.WriteString(t)
			if r, _ := mm["role"].(string); r == "user" || r == "" {
				last = t
			}
		}
		return last, b.String()
	}
	return "", ""
}

func (v *Vendor) responses(w http.ResponseWriter, r *http.Request, req map[string]any, model string) {
	if _, ok := req["input"]; !ok {
		openaiError(w, 400, "Missing required parameter: 'input'.", "invalid_request_error", "input", "missing_required_parameter")
		return
	}
	last, all := responsesInput(req["input"])
	if ins, ok := req["instructions"].(string); ok {
		all += ins
	}
	ans := v.answer(last)
	in, out := tokens(all), tokens(ans)
	id, msgID, created := v.id("resp_"), v.id("msg_"), v.o.Now().Unix()
	usage := map[string]any{"input_tokens": in, "input_tokens_details": map[string]any{"cached_tokens": 0},
		"output_tokens": out, "output_tokens_details": map[string]any{"reasoning_tokens": 0}, "total_tokens": in + out}
	text := func(t string) map[string]any {
		return map[string]any{"type": "output_text", "text": t, "annotations": []any{}}
	}
	item := func(status string, content []any) map[string]any {
		return map[string]any{"type": "message", "id": msgID, "status": status, "role": "assistant", "content": content}
	}
	resp := func(status string, output []any, u any) map[string]any {
		return map[string]any{"id": id, "object": "response", "created_at": created, "status": status, "error": nil,
			"incomplete_details": nil, "instructions": req["instructions"], "model": model, "output": output,
			"parallel_tool_calls": true, "temperature": 1.0, "tool_choice": "auto", "tools": []any{}, "top_p": 1.0,
			"usage": u}
	}
	if stream, _ := req["stream"].(bool); !stream {
		writeJSON(w, 200, resp("completed", []any{item("completed", []any{text(ans)})}, usage))
		return
	}
	s := startSSE(w)
	seq := 0
	ev := func(typ string, data map[string]any) {
		data["type"] = typ
		data["sequence_number"] = seq
		seq++
		s.event(typ, data)
	}
	ev("response.created", map[string]any{"response": resp("in_progress", []any{}, nil)})
	ev("response.in_progress", map[string]any{"response": resp("in_progress", []any{}, nil)})
	ev("response.output_item.added", map[string]any{"output_index": 0, "item": item("in_progress", []any{})})
	ev("response.content_part.added", map[string]any{"item_id": msgID, "output_index": 0, "content_index": 0, "part": text("")})
	pieces := v.split(ans)
	for i, p := range pieces {
		v.pace(r.Context(), i, len(pieces))
		if r.Context().Err() != nil {
			return
		}
		ev("response.output_text.delta", map[string]any{"item_id": msgID, "output_index": 0, "content_index": 0, "delta": p, "logprobs": []any{}})
		v.Sent.Add(1)
	}
	ev("response.output_text.done", map[string]any{"item_id": msgID, "output_index": 0, "content_index": 0, "text": ans, "logprobs": []any{}})
	ev("response.content_part.done", map[string]any{"item_id": msgID, "output_index": 0, "content_index": 0, "part": text(ans)})
	ev("response.output_item.done", map[string]any{"output_index": 0, "item": item("completed", []any{text(ans)})})
	ev("response.completed", map[string]any{"response": resp("completed", []any{item("completed", []any{text(ans)})}, usage)})
}

func (v *Vendor) embeddings(w http.ResponseWriter, req map[string]any, model string) {
	var inputs []string
	switch x := req["input"].(type) {
	case string:
		inputs = []string{x}
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				inputs = append(inputs, s)
			} else {
				inputs = append(inputs, "")
			}
		}
	default:
		openaiError(w, 400, "'input' is a required property", "invalid_request_error", nil, nil)
		return
	}
	var data []any
	var n int64
	for i, s := range inputs {
		data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": embedding(s)})
		n += tokens(s)
	}
	writeJSON(w, 200, map[string]any{"object": "list", "data": data, "model": model,
		"usage": map[string]any{"prompt_tokens": n, "total_tokens": n}})
}
