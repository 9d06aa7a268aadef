package egress

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/pavesec/pave/internal/egress/inspect"
)

// writeError answers in the vendor's own error format, so that SDKs and
// editors show the message instead of failing to parse it, and returns
// the status.
//
// OpenAI (and generic): {"error":{"message","type","param","code"}}.
// Anthropic: {"type":"error","error":{"type","message"}}.
func writeError(w http.ResponseWriter, f inspect.Format, status int, code, msg string) int {
	var body any
	if f == inspect.Anthropic {
		body = map[string]any{"type": "error", "error": map[string]string{"type": anthropicType(status), "message": msg}}
	} else {
		body = map[string]any{"error": map[string]any{"message": msg, "type": openaiType(status), "param": nil, "code": code}}
	}
	b, _ := json.Marshal(body) // maps of strings always encode
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Pave-Gateway", "refused")
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client may be gone; nothing to do
	return status
}

func openaiType(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status >= 500:
		return "server_error"
	}
	return "invalid_request_error"
}

func anthropicType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	}
	if status >= 500 {
		return "api_error"
	}
	return "invalid_request_error"
}
