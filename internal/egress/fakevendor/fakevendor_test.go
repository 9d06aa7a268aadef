package fakevendor

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func do(t *testing.T, url string, h map[string]string, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestWireFormats checks the emulation against the vendors' documented
// shapes: event order of an Anthropic stream, OpenAI's [DONE] and usage
// chunk, and both vendors' authentication and validation errors.
func TestWireFormats(t *testing.T) {
	v := New(Options{OpenAIKey: "sk-good", AnthropicKey: "sk-ant-good"})
	s := httptest.NewServer(v)
	defer s.Close()
	ant := map[string]string{"x-api-key": "sk-ant-good", "anthropic-version": "2023-06-01"}

	_, b := do(t, s.URL+"/v1/messages", ant, `{"model":"claude","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"a b"}]}`)
	var events []string
	for _, m := range regexp.MustCompile(`(?m)^event: (\S+)$`).FindAllStringSubmatch(b, -1) {
		events = append(events, m[1])
	}
	if got, want := strings.Join(events, ","), "message_start,content_block_start,ping,content_block_delta,content_block_delta,content_block_delta,content_block_delta,content_block_stop,message_delta,message_stop"; got != want {
		t.Errorf("anthropic events\n got %s\nwant %s", got, want)
	}

	_, b = do(t, s.URL+"/v1/chat/completions", map[string]string{"Authorization": "Bearer sk-good"},
		`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`)
	chunks := strings.Split(strings.TrimSpace(b), "\n\n")
	if chunks[len(chunks)-1] != "data: [DONE]" || !strings.Contains(chunks[len(chunks)-2], `"choices":[],`) ||
		!strings.Contains(chunks[len(chunks)-2], `"usage":{"completion_tokens"`) || !strings.Contains(chunks[1], `"usage":null`) {
		t.Errorf("openai stream:\n%s", b)
	}

	for _, c := range []struct {
		url  string
		h    map[string]string
		body string
		code int
		want string
	}{
		{"/v1/chat/completions", nil, `{}`, 401, `"message":"You didn't provide an API key.`},
		{"/v1/chat/completions", map[string]string{"Authorization": "Bearer sk-wrong-123456789"}, `{}`, 401, `"code":"invalid_api_key"`},
		{"/v1/chat/completions", map[string]string{"Authorization": "Bearer sk-good"}, `{"model":"gpt-4o"}`, 400, `"code":"missing_required_parameter"`},
		{"/v1/chat/completions", map[string]string{"Authorization": "Bearer sk-good"}, `{`, 400, `We could not parse the JSON body`},
		{"/v1/nope", map[string]string{"Authorization": "Bearer sk-good"}, `{}`, 404, `Invalid URL (POST /v1/nope)`},
		{"/v1/messages", map[string]string{"anthropic-version": "2023-06-01"}, `{}`, 401, `{"error":{"message":"x-api-key header is required","type":"authentication_error"},"type":"error"}`},
		{"/v1/messages", map[string]string{"x-api-key": "sk-ant-good"}, `{}`, 400, `anthropic-version: header is required`},
		{"/v1/messages", ant, `{"model":"claude","messages":[]}`, 400, `max_tokens: Field required`},
	} {
		code, b := do(t, s.URL+c.url, c.h, c.body)
		if code != c.code || !strings.Contains(b, c.want) || !json.Valid([]byte(b)) {
			t.Errorf("%s %v: %d %s, want %d with %s", c.url, c.h, code, b, c.code, c.want)
		}
	}
	if n := len(v.Requests()); n != 10 {
		t.Errorf("recorded %d requests, want 10", n)
	}
	if !bytes.Contains(v.Last().Body, []byte(`"messages":[]`)) {
		t.Errorf("last request %s", v.Last().Body)
	}
}
