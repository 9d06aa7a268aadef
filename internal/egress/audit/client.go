package audit

import (
	"strings"
)

// clientTools maps User-Agent tokens to tool names, most specific first:
// editors and agents embed an SDK's token too ("Cursor/0.42 ... OpenAI/JS
// 4.6"), so they are looked for before the SDKs.
var clientTools = []struct {
	token string // lower case, matched case-insensitively; the version follows "/" or " "
	tool  string
}{
	{"claude-cli/", "claude-code"},
	{"claude-code/", "claude-code"},
	{"cursor/", "cursor"},
	{"continue/", "continue"},
	{"githubcopilotchat/", "copilot"},
	{"githubcopilot/", "copilot"},
	{"copilot/", "copilot"},
	{"aider/", "aider"},
	{"cline/", "cline"},
	{"windsurf/", "windsurf"},
	{"codeium/", "windsurf"},
	{"zed/", "zed"},
	{"jetbrains", "jetbrains-ai"},
	{"litellm/", "litellm"},
	{"langchain", "langchain"},
	{"openai/python ", "openai-python"},
	{"openai/js ", "openai-node"},
	{"openai/go ", "openai-go"},
	{"openai/java ", "openai-java"},
	{"anthropic/python ", "anthropic-python"},
	{"anthropic/js ", "anthropic-node"},
	{"anthropic/go ", "anthropic-go"},
	{"anthropic/java ", "anthropic-java"},
	{"curl/", "curl"},
	{"wget/", "wget"},
	{"python-requests/", "python-requests"},
	{"python-httpx/", "python-httpx"},
	{"aiohttp/", "python-aiohttp"},
	{"node-fetch", "node-fetch"},
	{"axios/", "axios"},
	{"go-http-client/", "go-http-client"},
	{"postmanruntime/", "postman"},
}

// maxUA bounds the User-Agent kept in an entry.
const maxUA = 200

// ParseClient names the tool behind a User-Agent: "cursor", "continue",
// "copilot", "claude-code", "aider", "curl", "openai-python",
// "openai-node", "anthropic-python", "anthropic-node" and others, with its
// version when the header carries one; "unknown" otherwise ("" for an
// empty header).
func ParseClient(ua string) Client {
	c := Client{UserAgent: clip(ua, maxUA)}
	if strings.TrimSpace(ua) == "" {
		return c
	}
	low := strings.ToLower(ua)
	for _, t := range clientTools {
		i := strings.Index(low, t.token)
		if i < 0 {
			continue
		}
		c.Tool = t.tool
		rest := ua[i+len(t.token):]
		if !strings.HasSuffix(t.token, "/") && !strings.HasSuffix(t.token, " ") {
			rest = strings.TrimLeft(rest, "/- ")
		}
		c.Version = version(rest)
		return c
	}
	c.Tool = "unknown"
	return c
}

// version takes a leading version string: digits, letters, dots, dashes
// and plus signs, starting with a digit or a "v".
func version(s string) string {
	end := 0
	for end < len(s) && end < 40 {
		b := s[end]
		if b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '.' || b == '-' || b == '+' || b == '_' {
			end++
			continue
		}
		break
	}
	v := s[:end]
	if v == "" || !(v[0] >= '0' && v[0] <= '9' || v[0] == 'v' && len(v) > 1 && v[1] >= '0' && v[1] <= '9') {
		return ""
	}
	return v
}

// clip cuts s to at most n bytes on a UTF-8 boundary and drops control
// characters.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}
