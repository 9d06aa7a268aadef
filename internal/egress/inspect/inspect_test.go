package inspect

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func parts(d *Doc) map[string]string {
	out := map[string]string{}
	for _, p := range d.Parts {
		out[p.Path] = p.Text
	}
	return out
}

func TestParseOpenAI(t *testing.T) {
	b, err := os.ReadFile("testdata/openai-chat.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(OpenAI, b)
	if err != nil {
		t.Fatal(err)
	}
	if d.Model != "gpt-4o" || !d.Stream || d.Skipped != 2 {
		t.Errorf("model %q stream %v skipped %d", d.Model, d.Stream, d.Skipped)
	}
	want := map[string]string{
		"messages[0].content":                                          "You are a helpful assistant.",
		"messages[1].content[0].text":                                  "What is in this image?",
		"messages[2].tool_calls[0].function.arguments":                 `{"location":"Boston, MA"}`,
		"messages[2].tool_calls[0].function.name":                      "get_weather",
		"messages[3].content":                                          `{"temperature": 22, "unit": "celsius"}`,
		"tools[0].function.description":                                "Get the current weather in a given location",
		"tools[0].function.name":                                       "get_weather",
		"tools[0].function.parameters.properties.location.description": "The city and state, e.g. San Francisco, CA",
		"tools[0].function.parameters.required[0]":                     "location",
	}
	if diff := cmp.Diff(want, parts(d)); diff != "" {
		t.Errorf("parts (-want +got)\n%s", diff)
	}
}

func TestParseAnthropic(t *testing.T) {
	b, err := os.ReadFile("testdata/anthropic-messages.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(Anthropic, b)
	if err != nil {
		t.Fatal(err)
	}
	// skipped: the image, the PDF and the thinking signature
	if d.Model != "claude-sonnet-4-20250514" || d.Stream || d.Skipped != 3 {
		t.Errorf("model %q stream %v skipped %d", d.Model, d.Stream, d.Skipped)
	}
	want := map[string]string{
		"system[0].text":                         "You are reviewing a pull request.",
		"messages[0].content[1].source.data":     "config.env contents",
		"messages[0].content[1].title":           "config.env",
		"messages[0].content[3].text":            "Why does the build fail?",
		"messages[1].content[0].thinking":        "Let me look at the log.",
		"messages[1].content[1].name":            "read_file",
		"messages[1].content[1].input.path":      "ci.log",
		"messages[2].content[0].content[0].text": "error: exit status 1",
	}
	if diff := cmp.Diff(want, parts(d)); diff != "" {
		t.Errorf("parts (-want +got)\n%s", diff)
	}
}

func TestParseInputs(t *testing.T) {
	tests := []struct {
		body string
		want map[string]string
		err  bool
	}{
		{`{"model":"text-embedding-3-small","input":["a","b"]}`, map[string]string{"input[0]": "a", "input[1]": "b"}, false},
		{`{"model":"gpt-4o","input":"hi","instructions":"be brief"}`, map[string]string{"input": "hi", "instructions": "be brief"}, false},
		{`{"model":"gpt-4o","input":[{"role":"user","content":[{"type":"input_text","text":"x"},{"type":"input_image","image_url":"data:image/png;base64,AAAA"}]}]}`,
			map[string]string{"input[0].content[0].text": "x"}, false},
		{``, map[string]string{}, false},
		{`[1,2]`, nil, true},
		{`{"a":1} {"b":2}`, nil, true},
		{`{"a":`, nil, true},
	}
	for _, tt := range tests {
		d, err := Parse(OpenAI, []byte(tt.body))
		if (err != nil) != tt.err {
			t.Errorf("%s: err %v", tt.body, err)
			continue
		}
		if err == nil {
			if diff := cmp.Diff(tt.want, parts(d)); diff != "" {
				t.Errorf("%s: (-want +got)\n%s", tt.body, diff)
			}
		}
	}
}

func TestRedactRestore(t *testing.T) {
	const key = "AKIA4HKQ7ZR2MXW3PT6N"
	body := `{"model":"m","messages":[{"role":"user","content":"a ` + key + ` b <tag> & ` + key + `"}]}`
	d, err := Parse(OpenAI, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	hits := Scan(d.Parts, []Detector{SecretDetector(nil)})
	if len(hits) != 2 || hits[0].Rule != "PAVE-SEC-001" || hits[0].Label != "aws-access-key-id" {
		t.Fatalf("hits %+v", hits)
	}
	v := Redact(d.Parts, hits)
	out, err := d.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ph := Placeholder(hits[0].Hit)
	want := `{"model":"m","messages":[{"role":"user","content":"a ` + ph + ` b <tag> & ` + ph + `"}]}`
	if string(out) != want {
		t.Errorf("redacted\n got %s\nwant %s", out, want)
	}
	if !strings.HasPrefix(ph, "[REDACTED:aws-access-key-id:") || len(ph) != len("[REDACTED:aws-access-key-id:123456]") {
		t.Errorf("placeholder %s", ph)
	}
	if got := v.Restore("the model said " + ph + " and [REDACTED:other:abcdef]"); got != "the model said "+key+" and [REDACTED:other:abcdef]" {
		t.Errorf("restore: %s", got)
	}
}

func TestRewriterHoldsSplitPlaceholders(t *testing.T) {
	const key = "AKIA4HKQ7ZR2MXW3PT6N"
	ph := Placeholder(Hit{Label: "aws-access-key-id", Hash: "sha256:1a2b3c4d"})
	rw := &Rewriter{Vault: Vault{ph: key}}
	text := "use " + ph + " now, then " + ph + "."
	var out strings.Builder
	for i := 0; i < len(text); i += 3 {
		out.WriteString(rw.Push("c", text[i:min(i+3, len(text))]))
	}
	out.WriteString(rw.Flush("c"))
	if got, want := out.String(), "use "+key+" now, then "+key+"."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"AWS access key id": "aws-access-key-id",
		"Google API key (Cloud, Maps, Gemini / AI Studio)": "google-api-key",
		"Azure AD (Entra ID) client secret":                "azure-ad-client-secret",
		"An extremely long rule title that goes on and on": "an-extremely-long-rule-title",
		"()": "secret",
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkParseResponse is a non-streamed OpenAI chat completion: its
// text parts and its usage, what the gateway reads of every JSON reply.
func BenchmarkParseResponse(b *testing.B) {
	body := []byte(`{"id":"chatcmpl-fake0001","object":"chat.completion","created":1765152000,"model":"gpt-4o",` +
		`"choices":[{"index":0,"message":{"role":"assistant","content":"Guard Get with a nil check or build the Cache before serving.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],` +
		`"usage":{"prompt_tokens":4096,"completion_tokens":14,"total_tokens":4110,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},` +
		`"service_tier":"default","system_fingerprint":"fp_fake"}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, u, err := ParseResponse(body); err != nil || u.Total != 4110 {
			b.Fatal(err, u)
		}
	}
}

// TestUsageObject: the usage reader ParseResponse uses keeps what
// encoding/json would for every number Usage.merge reads.
func TestUsageObject(t *testing.T) {
	for _, in := range []string{
		`{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}`,
		`{"input_tokens":5,"output_tokens":7,"input_tokens_details":{"cached_tokens":99},"x":[1,2,{"total_tokens":1}]}`,
		`{ "total_tokens" : 9 , "total_tokens" : 4 }`,
		`{"total_tokens":9,"total_tokens":"many"}`,
		`{"prompt_tokens":-1,"completion_tokens":1.5,"total_tokens":2e3}`,
		`{"prompt\u005ftokens":8}`,
		`{}`,
		`null`,
		`[1]`,
	} {
		want, wok := decodeObject([]byte(in))
		got, gok := usageObject([]byte(in))
		var wu, gu Usage
		if wok {
			wu.merge(want)
		}
		if gok {
			gu.merge(got)
		}
		if wok != gok || wu != gu {
			t.Errorf("%s: usageObject %+v %v, encoding/json %+v %v", in, gu, gok, wu, wok)
		}
	}
}
