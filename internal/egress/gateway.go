// Package egress is pave's AI egress gateway: a reverse proxy between
// developers' tools (editor assistants, agents, SDKs) and AI vendors
// that makes their traffic visible, governed and audited.
//
// Tools authenticate with gateway-issued keys, which map to a team and a
// user; the vendors' real keys stay in the gateway. Every request body is
// parsed in the vendor's wire format and its text inspected for secrets
// (internal/secret) and personal data; the policy for the caller, vendor
// and model then allows it, redacts the values with stable placeholders,
// or blocks it with an error in the vendor's own format. Replies are
// inspected as they pass — streams chunk by chunk, without buffering —
// and placeholders the model repeats can be restored for the caller.
// Every exchange becomes one entry of a hash-chained audit log
// (internal/egress/audit). See docs/gateway.md.
package egress

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pavesec/pave/internal/egress/audit"
	"github.com/pavesec/pave/internal/egress/inspect"
	"github.com/pavesec/pave/internal/pii"
)

// Gateway is the proxy. It is an http.Handler; Serve runs it with its
// admin endpoints and graceful shutdown.
type Gateway struct {
	cfg       *Config
	vendors   map[string]*vendor
	routes    []route // longest prefix first
	keys      map[[32]byte]*KeyConfig
	detectors []inspect.Detector
	audit     *audit.Writer
	metrics   *Metrics
	proxy     *httputil.ReverseProxy
	log       *slog.Logger
	now       func() time.Time
	draining  chan struct{}
	scanBufs  sync.Pool // *[]byte: joined text for inspect.ScanBuffer
}

type vendor struct {
	name          string
	base          *url.URL
	format        inspect.Format
	key           string // the real vendor key: never logged
	authHeader    string
	authScheme    string
	noStreamUsage bool
}

type route struct {
	prefix string
	vendor *vendor
	strip  bool
	// exact routes match the path itself or the path followed by "/".
	exact bool
}

// Options are what a Gateway needs beyond its Config.
type Options struct {
	// Audit is the log every exchange is written to. Required.
	Audit *audit.Writer
	// Detectors inspect text; Detectors(cfg) when nil.
	Detectors []inspect.Detector
	// Transport reaches the vendors; a clone of http.DefaultTransport
	// with the configured upstream timeout when nil.
	Transport http.RoundTripper
	// Getenv reads vendor and gateway keys named by the config; os.Getenv
	// when nil.
	Getenv func(string) string
	Log    *slog.Logger
	Now    func() time.Time
}

// New builds a gateway: it resolves vendor keys and gateway keys (from
// environment variables and files) and the routes.
func New(cfg *Config, o Options) (*Gateway, error) {
	if o.Audit == nil {
		return nil, errors.New("egress: new: an audit log is required")
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	g := &Gateway{cfg: cfg, vendors: map[string]*vendor{}, keys: map[[32]byte]*KeyConfig{},
		detectors: o.Detectors, audit: o.Audit, metrics: NewMetrics(), log: o.Log, now: o.Now,
		draining: make(chan struct{})}
	if g.detectors == nil {
		ds, err := Detectors(cfg)
		if err != nil {
			return nil, err
		}
		g.detectors = ds
	}
	hk, err := hashKey(cfg.Audit, getenv)
	if err != nil {
		return nil, err
	}
	if hk != nil {
		keyed := make([]inspect.Detector, len(g.detectors))
		for i, d := range g.detectors {
			keyed[i] = inspect.Keyed(d, hk)
		}
		g.detectors = keyed
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.now == nil {
		g.now = time.Now
	}
	for name, vc := range cfg.Vendors {
		v, err := newVendor(name, vc, getenv)
		if err != nil {
			return nil, err
		}
		g.vendors[name] = v
	}
	for i := range cfg.Keys {
		k := &cfg.Keys[i]
		sum, err := keyHash(k, getenv)
		if err != nil {
			return nil, err
		}
		if _, dup := g.keys[sum]; dup {
			return nil, fmt.Errorf("egress: keys %s: the same key as another entry", k.ID)
		}
		g.keys[sum] = k
	}
	g.routes = buildRoutes(cfg, g.vendors)
	tr := o.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = time.Duration(cfg.Limits.UpstreamTimeout)
		t.MaxIdleConnsPerHost = 64
		// Buffers that hold a whole typical prompt: with the default 4 KB
		// write buffer a 16 KB body took two writes and, past the first
		// 4 KB, a copy through a fresh buffer of the body's size in
		// net.TCPConn.ReadFrom on every request; the read buffer takes a
		// reply in fewer reads. 96 KB per pooled connection.
		t.WriteBufferSize = 64 << 10
		t.ReadBufferSize = 32 << 10
		tr = t
	}
	g.proxy = &httputil.ReverseProxy{
		Rewrite:   g.rewrite,
		Transport: tr,
		// 0: replies of known length are written without a flush per
		// write; ReverseProxy flushes every write of event streams and of
		// replies without a length (chunked) by itself, so streams pass
		// chunk by chunk.
		FlushInterval:  0,
		ModifyResponse: g.modifyResponse,
		ErrorHandler:   g.upstreamError,
		ErrorLog:       slog.NewLogLogger(g.log.Handler(), slog.LevelDebug),
		// without a pool ReverseProxy allocates a 32 KB copy buffer for
		// every reply
		BufferPool: newBufferPool(32 << 10),
	}
	return g, nil
}

// Detectors returns the detectors a configuration asks for: the secret
// engine always, the personal-data engine unless pii.disabled.
func Detectors(cfg *Config) ([]inspect.Detector, error) {
	ds := []inspect.Detector{inspect.SecretDetector(nil)}
	if cfg.PII.Disabled {
		return ds, nil
	}
	pc := pii.Config{Disable: cfg.PII.Disable, SourceCodeMinLines: cfg.PII.SourceCodeMinLines}
	for _, p := range cfg.PII.Custom {
		pc.Custom = append(pc.Custom, pii.Pattern{ID: p.ID, Title: p.Title, Category: p.Category,
			Terms: p.Terms, Regex: p.Regex, Keywords: p.Keywords, Domains: p.Domains})
	}
	e, err := pii.New(pc)
	if err != nil {
		return nil, fmt.Errorf("egress: pii: %w", err)
	}
	return append(ds, inspect.PIIDetector(e)), nil
}

// hashKey reads the audit hash key, nil when none is configured.
func hashKey(a AuditConfig, getenv func(string) string) ([]byte, error) {
	var k string
	switch {
	case a.HashKeyEnv != "":
		k = getenv(a.HashKeyEnv)
	case a.HashKeyFile != "":
		b, err := os.ReadFile(a.HashKeyFile)
		if err != nil {
			return nil, fmt.Errorf("egress: audit hash key: %w", err)
		}
		k = string(b)
	default:
		return nil, nil
	}
	k = strings.TrimSpace(k)
	if len(k) < 32 {
		return nil, errors.New("egress: audit hash key: missing or shorter than 32 bytes")
	}
	return []byte(k), nil
}

func newVendor(name string, vc VendorConfig, getenv func(string) string) (*vendor, error) {
	u, err := url.Parse(vc.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("egress: vendor %s: %w", name, err)
	}
	v := &vendor{name: name, base: u, format: inspect.Format(vc.Format)}
	if v.format == "" {
		v.format = inspect.OpenAI
		if name == "anthropic" {
			v.format = inspect.Anthropic
		}
	}
	switch {
	case vc.KeyEnv != "":
		v.key = strings.TrimSpace(getenv(vc.KeyEnv))
		if v.key == "" {
			return nil, fmt.Errorf("egress: vendor %s: environment variable %s is empty", name, vc.KeyEnv)
		}
	case vc.KeyFile != "":
		b, err := os.ReadFile(vc.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("egress: vendor %s: key file: %w", name, err)
		}
		v.key = strings.TrimSpace(string(b))
		if v.key == "" {
			return nil, fmt.Errorf("egress: vendor %s: key file %s is empty", name, vc.KeyFile)
		}
	}
	v.authHeader, v.authScheme, v.noStreamUsage = vc.AuthHeader, vc.AuthScheme, vc.NoStreamUsage
	if v.authHeader == "" {
		if v.format == inspect.Anthropic {
			v.authHeader = "X-Api-Key"
		} else {
			v.authHeader, v.authScheme = "Authorization", "Bearer"
		}
	}
	return v, nil
}

func keyHash(k *KeyConfig, getenv func(string) string) ([32]byte, error) {
	var sum [32]byte
	var key string
	switch {
	case k.SHA256 != "":
		b, err := hex.DecodeString(k.SHA256)
		if err != nil || len(b) != len(sum) {
			return sum, fmt.Errorf("egress: keys %s: sha256 must be 64 hex digits", k.ID)
		}
		copy(sum[:], b)
		return sum, nil
	case k.Env != "":
		key = strings.TrimSpace(getenv(k.Env))
	case k.File != "":
		b, err := os.ReadFile(k.File)
		if err != nil {
			return sum, fmt.Errorf("egress: keys %s: %w", k.ID, err)
		}
		key = strings.TrimSpace(string(b))
	}
	if len(key) < 16 {
		return sum, fmt.Errorf("egress: keys %s: the key is missing or shorter than 16 characters", k.ID)
	}
	return sha256.Sum256([]byte(key)), nil
}

// buildRoutes lists the routes, longest prefix first: configured routes,
// "/<vendor>/" for every vendor, and the vendors' own paths for the
// vendors named openai and anthropic.
func buildRoutes(cfg *Config, vs map[string]*vendor) []route {
	var rs []route
	for _, r := range cfg.Routes {
		rs = append(rs, route{prefix: r.Prefix, vendor: vs[r.Vendor], strip: r.StripPrefix})
	}
	for name, v := range vs {
		rs = append(rs, route{prefix: "/" + name + "/", vendor: v, strip: true})
	}
	if v := vs["openai"]; v != nil {
		for _, p := range []string{"/v1/chat/completions", "/v1/completions", "/v1/responses", "/v1/embeddings", "/v1/models"} {
			rs = append(rs, route{prefix: p, vendor: v, exact: true})
		}
	}
	if v := vs["anthropic"]; v != nil {
		rs = append(rs, route{prefix: "/v1/messages", vendor: v, exact: true})
		if vs["openai"] == nil {
			rs = append(rs, route{prefix: "/v1/models", vendor: v, exact: true})
		}
	}
	sort.SliceStable(rs, func(i, j int) bool { return len(rs[i].prefix) > len(rs[j].prefix) })
	return rs
}

// route finds the route for a request and the path to use upstream.
func (g *Gateway) route(r *http.Request) (*route, string) {
	p := r.URL.Path
	if strings.HasPrefix(p, "/v1/models") && r.Header.Get("Anthropic-Version") != "" {
		if v := g.vendors["anthropic"]; v != nil {
			return &route{prefix: "/v1/models", vendor: v}, p
		}
	}
	for i := range g.routes {
		rt := &g.routes[i]
		if !strings.HasPrefix(p, rt.prefix) {
			continue
		}
		if rt.exact && len(p) > len(rt.prefix) && p[len(rt.prefix)] != '/' {
			continue
		}
		up := p
		if rt.strip {
			up = "/" + strings.TrimPrefix(p[len(rt.prefix):], "/")
		}
		return rt, up
	}
	return nil, ""
}

// identify maps the caller's gateway key (Authorization: Bearer, or
// x-api-key, or api-key) to its configuration.
func (g *Gateway) identify(r *http.Request) *KeyConfig {
	key := ""
	if a := r.Header.Get("Authorization"); a != "" {
		if s, ok := strings.CutPrefix(a, "Bearer "); ok {
			key = s
		}
	}
	for _, h := range []string{"X-Api-Key", "Api-Key"} {
		if key == "" {
			key = r.Header.Get(h)
		}
	}
	key = strings.TrimSpace(key)
	if key == "" {
		return nil
	}
	return g.keys[sha256.Sum256([]byte(key))]
}

// policy is a resolved PolicyConfig.
type policy struct {
	PolicyConfig
}

var defaultPolicy = &policy{PolicyConfig{Name: "default", Action: audit.ActionRedact, Response: "audit", OnFailure: "closed"}}

// policyFor picks the most specific matching policy.
func (g *Gateway) policyFor(k *KeyConfig, vendor, model string) *policy {
	best, bestScore := -1, -1
	for i, p := range g.cfg.Policies {
		m := p.Match
		score := 0
		ok := true
		check := func(want, got string, weight int) {
			if want == "" {
				return
			}
			if want != got {
				ok = false
			}
			score += weight
		}
		if k != nil {
			check(m.Key, k.ID, 16)
			check(m.User, k.User, 8)
			check(m.Team, k.Team, 4)
		} else if m.Key != "" || m.User != "" || m.Team != "" {
			continue
		}
		if m.Model != "" {
			if hit, _ := path.Match(m.Model, model); !hit {
				ok = false
			}
			score += 2
		}
		check(m.Vendor, vendor, 1)
		if ok && score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return defaultPolicy
	}
	p := &policy{g.cfg.Policies[best]}
	if p.Action == "" {
		p.Action = audit.ActionRedact
	}
	if p.Response == "" {
		p.Response = "audit"
	}
	if p.OnFailure == "" {
		p.OnFailure = "closed"
	}
	if p.Name == "" {
		p.Name = fmt.Sprintf("policies[%d]", best)
	}
	return p
}

// listed reports whether a hit's rule or category matches a glob list.
func listed(globs []string, h inspect.Hit) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, h.Rule); ok {
			return true
		}
		if ok, _ := path.Match(g, h.Category); ok {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// exchange is one request's state, shared by the handler and the proxy's
// hooks through the request context.
type exchange struct {
	entry    *audit.Entry
	vendor   *vendor
	upPath   string
	policy   *policy
	rw       *inspect.Rewriter
	stream   *inspect.Stream
	status   int
	respHits []inspect.Hit
	usage    inspect.Usage
	respErr  string // why the reply was not (fully) inspected
	respSize int64
	// stripUsage: the gateway asked for a stream's usage chunk; the
	// client did not, so it does not get it
	stripUsage bool
}

// host is the address part of a remote address.
func host(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// readBody reads at most limit bytes; over returns the unread rest.
func readBody(r *http.Request, limit int64) (body []byte, over bool, err error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, false, nil
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= limit {
		// bytes.Buffer.ReadFrom wants MinRead bytes free before each read,
		// the last one (which finds EOF) included: without them a body
		// that filled its size class was copied to a buffer twice as big
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	n, err := io.Copy(&buf, io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, false, err
	}
	return buf.Bytes(), n > limit, nil
}
