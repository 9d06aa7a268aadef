package fakevendor

import (
	"encoding/json"
	"strings"
)

// promptLines are what developers paste into assistants: a question, a
// stack trace, configuration and code. Prompt cycles through them.
var promptLines = []string{
	"Why does this handler return 500 when the cache is cold? Here is the trace and the code.",
	"panic: runtime error: invalid memory address or nil pointer dereference",
	"[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x6c1f4a]",
	"goroutine 42 [running]:",
	"main.(*Cache).Get(0x0, {0xc0001a2000, 0x10})",
	"\t/src/app/cache.go:88 +0x2a",
	"func (c *Cache) Get(key string) ([]byte, bool) {",
	"\tc.mu.RLock()",
	"\tdefer c.mu.RUnlock()",
	"\tv, ok := c.items[key]",
	"\treturn v.data, ok",
	"}",
	"database:",
	"  host: db.internal",
	"  port: 5432",
	"  pool_size: 20",
	"I tried increasing the pool size but the error stays the same after a deploy.",
	"The service runs three replicas behind the load balancer, each with 512 MiB.",
}

// Prompt returns about size bytes of prompt text; when secret is not
// empty it appears once, in a configuration line, at the middle.
func Prompt(size int, secret string) string {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		if secret != "" && i == len(promptLines)/2 {
			b.WriteString("aws_access_key_id = " + secret + "\n")
			continue
		}
		b.WriteString(promptLines[i%len(promptLines)])
		b.WriteByte('\n')
	}
	return b.String()[:max(size, 0)]
}

// ChatRequest returns an OpenAI chat completions body with a system
// prompt and the user's text.
func ChatRequest(model, text string, stream bool) []byte {
	b, _ := json.Marshal(map[string]any{"model": model, "stream": stream,
		"messages": []any{
			map[string]any{"role": "system", "content": "You are a senior engineer helping a colleague."},
			map[string]any{"role": "user", "content": text},
		}})
	return b
}

// MessagesRequest returns an Anthropic Messages body.
func MessagesRequest(model, text string, stream bool) []byte {
	b, _ := json.Marshal(map[string]any{"model": model, "max_tokens": 1024, "stream": stream,
		"system":   "You are a senior engineer helping a colleague.",
		"messages": []any{map[string]any{"role": "user", "content": text}}})
	return b
}
