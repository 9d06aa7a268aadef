package egress

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/pavesec/pave/internal/yamlfile"
)

// Config is the gateway's configuration file. See docs/gateway.md.
type Config struct {
	// Listen is the address developers' tools connect to (":8787").
	Listen string `json:"listen"`
	// TLS, when both files are set, serves Listen over HTTPS.
	TLS TLSConfig `json:"tls"`
	// Admin is the address of /healthz and /metrics; empty disables them.
	// Keep it on loopback or an internal network.
	Admin string      `json:"admin"`
	Audit AuditConfig `json:"audit"`
	// Vendors by name ("openai", "anthropic", "mistral"...).
	Vendors map[string]VendorConfig `json:"vendors"`
	// Routes add path prefixes; every vendor is also reachable under
	// "/<name>/", and the vendors named openai and anthropic take the
	// vendors' own paths (/v1/chat/completions, /v1/messages...).
	Routes   []RouteConfig  `json:"routes"`
	Keys     []KeyConfig    `json:"keys"`
	Policies []PolicyConfig `json:"policies"`
	Limits   LimitsConfig   `json:"limits"`
	PII      PIIConfig      `json:"pii"`
}

// PIIConfig configures the personal-data detectors (internal/pii), which
// run beside the secret engine unless Disabled.
type PIIConfig struct {
	Disabled bool `json:"disabled"`
	// Disable turns off built-in rules by id or name ("ipv4", "phone").
	Disable []string `json:"disable"`
	// SourceCodeMinLines is how many lines a pasted block of source code
	// needs to be reported (20 when 0; negative turns it off).
	SourceCodeMinLines int          `json:"source_code_min_lines"`
	Custom             []PIIPattern `json:"custom"`
}

// PIIPattern is an organisation pattern: exactly one of Terms, Regex and
// Domains (see pii.Pattern).
type PIIPattern struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Category string   `json:"category"`
	Terms    []string `json:"terms"`
	Regex    string   `json:"regex"`
	Keywords []string `json:"keywords"`
	Domains  []string `json:"domains"`
}

// TLSConfig names a certificate and its key, PEM files.
type TLSConfig struct {
	Cert string `json:"cert"`
	Key  string `json:"key"`
}

// AuditConfig says where and how the audit log is written.
type AuditConfig struct {
	Path string `json:"path"`
	// Sync is "each" (fsync every entry, the default), "interval" or
	// "none" (see audit.SyncPolicy).
	Sync     string   `json:"sync"`
	Interval Duration `json:"interval"`
	// HashKeyEnv or HashKeyFile name a secret key (at least 32 bytes);
	// with one, finding hashes are HMAC-SHA256 under it
	// ("hmac-sha256:...") instead of plain SHA-256, so low-entropy values
	// (phone numbers, national ids) cannot be recovered from the log by
	// trying every value. Keep the key: it is what matches a value to its
	// hash later.
	HashKeyEnv  string `json:"hash_key_env"`
	HashKeyFile string `json:"hash_key_file"`
}

// VendorConfig is one AI vendor. Its key comes from an environment
// variable or a file, never from this file, and is never logged.
type VendorConfig struct {
	BaseURL string `json:"base_url"`
	// Format is "openai", "anthropic" or "generic" (any JSON, every
	// string inspected); by default the vendor's name when it is one of
	// the first two, else "openai" (most vendors speak its format).
	Format  string `json:"format"`
	KeyEnv  string `json:"key_env"`
	KeyFile string `json:"key_file"`
	// AuthHeader and AuthScheme say how the key goes upstream; by default
	// "Authorization: Bearer KEY" for openai and generic, "x-api-key: KEY"
	// for anthropic.
	AuthHeader string `json:"auth_header"`
	AuthScheme string `json:"auth_scheme"`
	// NoStreamUsage stops the gateway asking for usage in streamed chat
	// completions (stream_options.include_usage) the client did not ask
	// for; set it for OpenAI-compatible vendors that reject the option.
	NoStreamUsage bool `json:"no_stream_usage"`
}

// RouteConfig sends requests whose path starts with Prefix to Vendor,
// with the prefix removed when StripPrefix is set.
type RouteConfig struct {
	Prefix      string `json:"prefix"`
	Vendor      string `json:"vendor"`
	StripPrefix bool   `json:"strip_prefix"`
}

// KeyConfig is one gateway-issued key and whom it identifies. The key is
// given as its SHA-256 (hex), or read from an environment variable or a
// file, so the configuration itself can be shared.
type KeyConfig struct {
	ID     string `json:"id"`
	Team   string `json:"team"`
	User   string `json:"user"`
	SHA256 string `json:"sha256"`
	Env    string `json:"env"`
	File   string `json:"file"`
}

// PolicyConfig says what happens to requests it matches. The most
// specific matching policy wins: a key outweighs a user, a user a team,
// a team a model, a model a vendor; ties go to the first in the file.
type PolicyConfig struct {
	Name  string      `json:"name"`
	Match PolicyMatch `json:"match"`
	// Action on findings: "allow" (relay, audit), "redact" (replace each
	// value with a placeholder; the default) or "block".
	Action string `json:"action"`
	// Restore puts the redacted values back into the reply, where the
	// model repeated a placeholder.
	Restore bool `json:"restore"`
	// Response is "audit" (inspect replies, the default) or "redact"
	// (also replace values found in replies).
	Response string `json:"response"`
	// OnFailure is "closed" (refuse requests that cannot be inspected;
	// the default) or "open" (relay them, audited as failed-open).
	OnFailure string `json:"on_failure"`
	// Block lists rule ids or categories (globs: "PAVE-SEC-00*",
	// "pii/*", "secret") whose findings block whatever Action says;
	// Ignore lists those whose findings are dropped.
	Block  []string `json:"block"`
	Ignore []string `json:"ignore"`
}

// PolicyMatch selects requests; empty fields match anything. Model is a
// glob ("gpt-4o*").
type PolicyMatch struct {
	Team   string `json:"team"`
	User   string `json:"user"`
	Key    string `json:"key"`
	Vendor string `json:"vendor"`
	Model  string `json:"model"`
}

// LimitsConfig bounds inspection and relaying.
type LimitsConfig struct {
	MaxRequestBytes  int64    `json:"max_request_bytes"`  // 8 MiB
	MaxResponseBytes int64    `json:"max_response_bytes"` // 8 MiB: larger non-streamed replies are not inspected
	InspectTimeout   Duration `json:"inspect_timeout"`    // 2s
	UpstreamTimeout  Duration `json:"upstream_timeout"`   // 10m: time to the vendor's response headers
	ShutdownTimeout  Duration `json:"shutdown_timeout"`   // 30s: how long in-flight streams may drain
}

// Duration is a time.Duration written as "2s", "500ms".
type Duration time.Duration

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration such as \"2s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("bad duration %q", s)
	}
	*d = Duration(v)
	return nil
}

// Defaults.
const (
	defaultMaxBody         = 8 << 20
	defaultInspectTimeout  = 2 * time.Second
	defaultUpstreamTimeout = 10 * time.Minute
	defaultShutdownTimeout = 30 * time.Second
)

// LoadConfig reads and checks a configuration file.
func LoadConfig(file string) (*Config, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("egress: config: %w", err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("egress: config %s: %w", file, err)
	}
	return c, nil
}

// ParseConfig reads a YAML configuration (a JSON one is YAML too) and
// checks it: unknown keys, aliases, tags and bad values are errors.
func ParseConfig(b []byte) (*Config, error) {
	v, err := yamlValue(b)
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		msg = strings.ReplaceAll(msg, "unknown field", "unknown key")
		msg = strings.ReplaceAll(msg, "Go struct field ", "")
		msg = strings.ReplaceAll(msg, "Go value of type ", "")
		return nil, errors.New(msg)
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) check() error {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8787"
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		return errors.New("tls: give both cert and key")
	}
	if c.Audit.Path == "" {
		return errors.New("audit.path is required: the gateway does not run without its audit log")
	}
	if c.Audit.HashKeyEnv != "" && c.Audit.HashKeyFile != "" {
		return errors.New("audit: hash_key_env and hash_key_file both set")
	}
	switch c.Audit.Sync {
	case "", "each", "interval", "none":
	default:
		return fmt.Errorf("audit.sync %q: want each, interval or none", c.Audit.Sync)
	}
	if len(c.Vendors) == 0 {
		return errors.New("no vendors")
	}
	for name, v := range c.Vendors {
		if name == "" || strings.ContainsAny(name, "/ ") {
			return fmt.Errorf("vendor name %q: no slashes or spaces", name)
		}
		u, err := url.Parse(v.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("vendors.%s.base_url %q: want an http(s) URL", name, v.BaseURL)
		}
		switch v.Format {
		case "", "openai", "anthropic", "generic":
		default:
			return fmt.Errorf("vendors.%s.format %q: want openai, anthropic or generic", name, v.Format)
		}
		if v.KeyEnv != "" && v.KeyFile != "" {
			return fmt.Errorf("vendors.%s: key_env and key_file both set", name)
		}
	}
	for i, r := range c.Routes {
		if !strings.HasPrefix(r.Prefix, "/") {
			return fmt.Errorf("routes[%d].prefix %q: must start with /", i, r.Prefix)
		}
		if _, ok := c.Vendors[r.Vendor]; !ok {
			return fmt.Errorf("routes[%d]: unknown vendor %q", i, r.Vendor)
		}
	}
	ids := map[string]bool{}
	for i, k := range c.Keys {
		if k.ID == "" {
			return fmt.Errorf("keys[%d]: id is required", i)
		}
		if ids[k.ID] {
			return fmt.Errorf("keys[%d]: id %q repeats", i, k.ID)
		}
		ids[k.ID] = true
		n := 0
		for _, s := range []string{k.SHA256, k.Env, k.File} {
			if s != "" {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("keys[%d] (%s): give exactly one of sha256, env, file", i, k.ID)
		}
		if k.SHA256 != "" {
			if _, err := strconv.ParseUint(k.SHA256[:min(len(k.SHA256), 8)], 16, 64); err != nil || len(k.SHA256) != 64 {
				return fmt.Errorf("keys[%d] (%s): sha256 must be 64 hex digits", i, k.ID)
			}
		}
	}
	for i, p := range c.Policies {
		switch p.Action {
		case "", "allow", "redact", "block":
		default:
			return fmt.Errorf("policies[%d].action %q: want allow, redact or block", i, p.Action)
		}
		switch p.Response {
		case "", "audit", "redact":
		default:
			return fmt.Errorf("policies[%d].response %q: want audit or redact", i, p.Response)
		}
		switch p.OnFailure {
		case "", "closed", "open":
		default:
			return fmt.Errorf("policies[%d].on_failure %q: want closed or open", i, p.OnFailure)
		}
		for _, g := range append(append([]string{p.Match.Model}, p.Block...), p.Ignore...) {
			if _, err := path.Match(g, ""); err != nil {
				return fmt.Errorf("policies[%d]: bad glob %q", i, g)
			}
		}
	}
	l := &c.Limits
	if l.MaxRequestBytes <= 0 {
		l.MaxRequestBytes = defaultMaxBody
	}
	if l.MaxResponseBytes <= 0 {
		l.MaxResponseBytes = defaultMaxBody
	}
	if l.InspectTimeout <= 0 {
		l.InspectTimeout = Duration(defaultInspectTimeout)
	}
	if l.UpstreamTimeout <= 0 {
		l.UpstreamTimeout = Duration(defaultUpstreamTimeout)
	}
	if l.ShutdownTimeout <= 0 {
		l.ShutdownTimeout = Duration(defaultShutdownTimeout)
	}
	return nil
}

// yamlValue parses one YAML document into maps, slices and scalars.
// Aliases, tags and merge keys are refused (no "billion laughs"); keys
// must be unique. A syntax error names its line; a panic while reading the
// tree becomes an error, as one inside the parser does.
func yamlValue(b []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("invalid YAML: %v", r)
		}
	}()
	f, err := yamlfile.Parse(b)
	if err != nil {
		return nil, err
	}
	if len(f.Docs) != 1 || f.Docs[0] == nil || f.Docs[0].Body == nil {
		return nil, errors.New("want one YAML document")
	}
	return nodeValue(f.Docs[0].Body, 0)
}

func nodeValue(n ast.Node, depth int) (any, error) {
	if depth > 32 {
		return nil, errors.New("YAML nested too deeply")
	}
	line := yamlfile.Line(n)
	switch x := n.(type) {
	case *ast.AnchorNode:
		return nodeValue(x.Value, depth+1)
	case *ast.AliasNode, *ast.TagNode, *ast.MergeKeyNode:
		return nil, fmt.Errorf("line %d: YAML aliases, tags and merge keys are not supported", line)
	case *ast.MappingNode:
		return mappingValue(x.Values, depth)
	case *ast.MappingValueNode:
		return mappingValue([]*ast.MappingValueNode{x}, depth)
	case *ast.SequenceNode:
		out := make([]any, 0, len(x.Values))
		for _, e := range x.Values {
			v, err := nodeValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case *ast.NullNode:
		return nil, nil
	case *ast.BoolNode:
		return x.Value, nil
	case *ast.IntegerNode, *ast.FloatNode:
		return json.Number(n.GetToken().Value), nil
	case *ast.StringNode:
		return x.Value, nil
	case *ast.LiteralNode:
		if x.Value == nil {
			return "", nil
		}
		return x.Value.Value, nil
	}
	return nil, fmt.Errorf("line %d: unsupported YAML value", line)
}

func mappingValue(values []*ast.MappingValueNode, depth int) (any, error) {
	out := make(map[string]any, len(values))
	for _, mv := range values {
		if mv == nil || mv.Key == nil {
			continue
		}
		var k ast.Node = mv.Key
		if mk, ok := k.(*ast.MappingKeyNode); ok {
			k = mk.Value
		}
		kv, err := nodeValue(k, depth+1)
		if err != nil {
			return nil, err
		}
		key, ok := kv.(string)
		if !ok {
			key = fmt.Sprint(kv)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("key %q repeats", key)
		}
		var val any
		if mv.Value != nil {
			if val, err = nodeValue(mv.Value, depth+1); err != nil {
				return nil, err
			}
		}
		out[key] = val
	}
	return out, nil
}
