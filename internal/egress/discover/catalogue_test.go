package discover

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

func testCatalogue(t testing.TB) *Catalogue {
	t.Helper()
	eps, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCatalogue(eps)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBuiltinCatalogue(t *testing.T) {
	eps, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	vendors := map[string]bool{}
	for _, ep := range eps {
		if ep.Source == "" || ep.Kind == "" {
			t.Errorf("%s: entry without source or kind", ep.Vendor)
		}
		vendors[ep.Vendor] = true
	}
	for _, v := range []string{"openai", "anthropic", "google", "azure-openai", "aws-bedrock", "mistral", "cohere", "groq",
		"together", "perplexity", "deepseek", "xai", "openrouter", "huggingface", "replicate", "github-copilot", "cursor",
		"codeium", "tabnine", "sourcegraph-cody"} {
		if !vendors[v] {
			t.Errorf("vendor %s missing from the catalogue", v)
		}
	}
}

func TestMatch(t *testing.T) {
	c := testCatalogue(t)
	tests := []struct{ host, vendor string }{
		{"api.openai.com", "openai"},
		{"API.OpenAI.com.", "openai"},
		{"api.openai.com:443", "openai"},
		{"openai.com", ""},
		{"evilapi.openai.com", ""},
		{"api.openai.com.evil.example", ""},
		{"api.anthropic.com", "anthropic"},
		{"generativelanguage.googleapis.com", "google"},
		{"us-central1-aiplatform.googleapis.com", "google"},
		{"-aiplatform.googleapis.com", ""},
		{"storage.googleapis.com", ""},
		{"my-resource.openai.azure.com", "azure-openai"},
		{"openai.azure.com", ""},
		{"a.b.openai.azure.com", ""},
		{"bedrock-runtime.us-east-1.amazonaws.com", "aws-bedrock"},
		{"s3.us-east-1.amazonaws.com", ""},
		{"api.githubcopilot.com", "github-copilot"},
		{"api.business.githubcopilot.com", ""}, // two labels under the wildcard
		{"api.githubcopilot.com.", "github-copilot"},
		{"proxy.githubcopilot.com", "github-copilot"},
		{"copilot-proxy.githubusercontent.com", "github-copilot"},
		{"raw.githubusercontent.com", ""},
		{"api2.cursor.sh", "cursor"},
		{"us-asia.api5.cursor.sh", "cursor"},
		{"api.x.ai", "xai"},
		{"x.ai", ""},
		{"abc.endpoints.huggingface.cloud", "huggingface"},
		{"[::1]:443", ""},
		{"127.0.0.1", ""},
		{"", ""},
		{"com", ""},
	}
	for _, tc := range tests {
		got := ""
		if ep := c.Match(tc.host); ep != nil {
			got = ep.Vendor
		}
		if got != tc.vendor {
			t.Errorf("Match(%q) = %q, want %q", tc.host, got, tc.vendor)
		}
	}
}

func TestNewCatalogueRejects(t *testing.T) {
	for _, h := range []string{"*.com", "api.*.com", "a**.example.com", "a b.example.com", "example", "a..example.com", "*"} {
		if _, err := NewCatalogue([]Endpoint{{Vendor: "x", Hosts: []string{h}}}); err == nil {
			t.Errorf("pattern %q accepted", h)
		}
	}
	if _, err := NewCatalogue([]Endpoint{{Vendor: "x"}}); err == nil {
		t.Error("entry without hosts accepted")
	}
}

func TestConfigEntriesWin(t *testing.T) {
	eps, _ := Builtin()
	c, err := NewCatalogue(append([]Endpoint{{Vendor: "corp-gateway", Kind: "gateway", Hosts: []string{"api.openai.com", "llm.corp.example"}}}, eps...))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"api.openai.com", "llm.corp.example"} {
		if ep := c.Match(h); ep == nil || ep.Vendor != "corp-gateway" {
			t.Errorf("Match(%q) = %v, want corp-gateway", h, ep)
		}
	}
}

// refMatch is the obvious matcher: every exact host in order, then every
// pattern in order, patterns compared label by label with path.Match.
func refMatch(eps []Endpoint, host string) string {
	host = Normalize(host)
	for _, ep := range eps {
		for _, h := range ep.Hosts {
			if h == host {
				return ep.Vendor + "/" + ep.Kind
			}
		}
	}
	hl := strings.Split(host, ".")
	for _, ep := range eps {
		for _, h := range ep.Hosts {
			pl := strings.Split(h, ".")
			if !strings.Contains(h, "*") || len(pl) != len(hl) {
				continue
			}
			ok := true
			for i := range pl {
				m, _ := path.Match(pl[i], hl[i])
				ok = ok && m && len(hl[i]) >= len(pl[i])
			}
			if ok {
				return ep.Vendor + "/" + ep.Kind
			}
		}
	}
	return ""
}

func FuzzMatch(f *testing.F) {
	eps, err := Builtin()
	if err != nil {
		f.Fatal(err)
	}
	c, err := NewCatalogue(eps)
	if err != nil {
		f.Fatal(err)
	}
	for _, ep := range eps {
		for _, h := range ep.Hosts {
			f.Add(strings.ReplaceAll(h, "*", "x-y"))
			f.Add(h)
		}
	}
	f.Add("API.OPENAI.COM.:443")
	f.Add("[2001:db8::1]:443")
	f.Fuzz(func(t *testing.T, host string) {
		got := ""
		if ep := c.Match(host); ep != nil {
			got = ep.Vendor + "/" + ep.Kind
		}
		if want := refMatch(eps, host); got != want {
			t.Fatalf("Match(%q) = %q, reference says %q", host, got, want)
		}
	})
}

// TestDocsNameEveryVendor keeps docs/gateway-discovery.md's vendor list
// current with catalogue.json.
func TestDocsNameEveryVendor(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "gateway-discovery.md"))
	if err != nil {
		t.Fatal(err)
	}
	eps, _ := Builtin()
	for _, ep := range eps {
		if !strings.Contains(string(doc), ep.Vendor) {
			t.Errorf("docs/gateway-discovery.md does not name vendor %s", ep.Vendor)
		}
	}
}
