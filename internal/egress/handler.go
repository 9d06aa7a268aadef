package egress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/egress/audit"
	"github.com/pavesec/pave/internal/egress/inspect"
)

// errInspectTimeout: inspection ran past limits.inspect_timeout.
var errInspectTimeout = errors.New("inspection timed out")

// ServeHTTP relays one request: route, identify, inspect, apply the
// policy, forward, inspect the reply, audit.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := g.now()
	g.metrics.inflight.Add(1)
	defer g.metrics.inflight.Add(-1)
	e := &audit.Entry{
		Kind: audit.KindRequest, Time: start, Method: r.Method, Endpoint: r.URL.Path,
		Client:     audit.ParseClient(r.UserAgent()),
		Identity:   audit.Identity{Source: host(r.RemoteAddr)},
		Inspection: audit.InspectionComplete,
	}
	x := &exchange{entry: e}
	defer func() { g.finish(x, start) }()

	k, ok := g.admit(w, r, x)
	if !ok {
		return
	}
	f := x.vendor.format
	body, over, err := readBody(r, g.cfg.Limits.MaxRequestBytes)
	if err != nil {
		e.Inspection, e.Action = audit.InspectionNone, audit.ActionBlock
		e.Error = "reading the request: " + err.Error()
		x.status = writeError(w, f, http.StatusBadRequest, "bad_request", "pave gateway: cannot read the request body")
		return
	}
	e.RequestBytes = int64(len(body))
	var doc *inspect.Doc
	var hits []inspect.PartHit
	var inspectErr error
	switch ce := r.Header.Get("Content-Encoding"); {
	case over:
		inspectErr = fmt.Errorf("%w (%d bytes)", inspect.ErrTooLarge, g.cfg.Limits.MaxRequestBytes)
	case ce != "" && !strings.EqualFold(ce, "identity"):
		inspectErr = fmt.Errorf("compressed request body (%s)", ce)
	default:
		doc, hits, inspectErr = g.inspect(r.Context(), f, body)
	}
	if doc != nil {
		e.Model, e.Stream, e.NotInspectedParts = doc.Model, doc.Stream, doc.Skipped
	}
	x.policy = g.policyFor(k, x.vendor.name, e.Model)
	if inspectErr != nil {
		g.uninspected(w, r, x, body, over, inspectErr)
		return
	}
	body, ok = g.apply(w, x, doc, hits, body)
	if !ok {
		return
	}
	if f == inspect.OpenAI && x.upPath == "/v1/chat/completions" && !x.vendor.noStreamUsage && doc.WantsStreamUsage() {
		body = inspect.WithStreamUsage(body)
		x.stripUsage = true
	}
	g.forward(w, r, x, io.NopCloser(bytes.NewReader(body)), int64(len(body)))
}

// admit routes the request, checks the audit log can be written and
// identifies the caller; it answers and returns false when any fails.
func (g *Gateway) admit(w http.ResponseWriter, r *http.Request, x *exchange) (*KeyConfig, bool) {
	e := x.entry
	rt, up := g.route(r)
	if rt == nil {
		e.Inspection, e.Action = audit.InspectionNone, audit.ActionBlock
		e.Error = "no route"
		x.status = writeError(w, inspect.OpenAI, http.StatusNotFound, "not_found", "pave gateway: no route for "+r.URL.Path)
		return nil, false
	}
	x.vendor, x.upPath = rt.vendor, up
	e.Vendor, e.Host = rt.vendor.name, rt.vendor.base.Host
	f := rt.vendor.format
	if err := g.audit.Err(); err != nil {
		e.Inspection, e.Action = audit.InspectionNone, audit.ActionBlock
		x.status = writeError(w, f, http.StatusServiceUnavailable, "audit_unavailable", "pave gateway: the audit log cannot be written; no request leaves without an audit record")
		return nil, false
	}
	k := g.identify(r)
	if k == nil {
		e.Inspection, e.Action = audit.InspectionNone, audit.ActionBlock
		e.Error = "missing or unknown gateway key"
		x.status = writeError(w, f, http.StatusUnauthorized, "invalid_api_key", "pave gateway: missing or unknown API key; use the key your gateway administrator issued")
		return nil, false
	}
	e.Identity.Team, e.Identity.User, e.Identity.KeyID = k.Team, k.User, k.ID
	return k, true
}

// uninspected handles a request that could not be inspected: refused
// under fail-closed, relayed as it is under fail-open.
func (g *Gateway) uninspected(w http.ResponseWriter, r *http.Request, x *exchange, body []byte, over bool, err error) {
	e, pol, f := x.entry, x.policy, x.vendor.format
	if r.Context().Err() != nil {
		e.Inspection, e.Error = audit.InspectionNone, "client went away"
		return
	}
	e.InspectionError = err.Error()
	if pol.OnFailure != "open" {
		e.Inspection, e.Action = audit.InspectionFailedClosed, audit.ActionBlock
		status, code := http.StatusBadRequest, "uninspectable_request"
		switch {
		case errors.Is(err, inspect.ErrTooLarge):
			status, code = http.StatusRequestEntityTooLarge, "request_too_large"
		case errors.Is(err, errInspectTimeout):
			status, code = http.StatusServiceUnavailable, "inspection_timeout"
		}
		x.status = writeError(w, f, status, code, "pave gateway: the request could not be inspected ("+err.Error()+") and policy "+pol.Name+" fails closed")
		return
	}
	e.Inspection, e.Action = audit.InspectionFailedOpen, audit.ActionAllow
	var rest io.Reader = bytes.NewReader(body)
	n := int64(len(body))
	if over {
		// relay the unread rest as it comes; its length is the
		// client's, or unknown (chunked upstream)
		rest = io.MultiReader(rest, r.Body)
		n = r.ContentLength
		e.RequestBytes = max(r.ContentLength, int64(len(body)))
	}
	g.forward(w, r, x, io.NopCloser(rest), n)
}

// apply carries out the policy on the request's findings: it returns
// the body to forward, or answers (block) and returns false. It also
// sets up the rewriting of the reply.
func (g *Gateway) apply(w http.ResponseWriter, x *exchange, doc *inspect.Doc, hits []inspect.PartHit, body []byte) ([]byte, bool) {
	e, pol, f := x.entry, x.policy, x.vendor.format
	var kept []inspect.PartHit
	block := false
	for _, h := range hits {
		if listed(pol.Ignore, h.Hit) {
			continue
		}
		if listed(pol.Block, h.Hit) {
			block = true
		}
		kept = append(kept, h)
	}
	e.Findings = findings(partHits(kept), "request")
	var vault inspect.Vault
	e.Action = audit.ActionAllow
	switch {
	case len(kept) == 0:
	case block || pol.Action == audit.ActionBlock:
		e.Action = audit.ActionBlock
		x.status = writeError(w, f, http.StatusForbidden, "pave_policy_blocked", blockMessage(pol, kept))
		return nil, false
	case pol.Action == audit.ActionRedact:
		var red []inspect.PartHit
		for _, h := range kept {
			if !h.Region() {
				red = append(red, h)
			}
		}
		if len(red) == 0 {
			break
		}
		e.Action = audit.ActionRedact
		vault = inspect.Redact(doc.Parts, red)
		nb, err := doc.Encode()
		if err != nil {
			e.Action, e.Inspection, e.InspectionError = audit.ActionBlock, audit.InspectionFailedClosed, err.Error()
			x.status = writeError(w, f, http.StatusBadRequest, "uninspectable_request", "pave gateway: the redacted request could not be encoded")
			return nil, false
		}
		body = nb
	}
	x.rw = &inspect.Rewriter{}
	if pol.Restore {
		x.rw.Vault = vault
	}
	if pol.Response == "redact" {
		x.rw.Detectors = g.detectors
	}
	return body, true
}

// inspect parses and scans a request body within the inspection timeout.
func (g *Gateway) inspect(ctx context.Context, f inspect.Format, body []byte) (*inspect.Doc, []inspect.PartHit, error) {
	type result struct {
		doc  *inspect.Doc
		hits []inspect.PartHit
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		doc, err := inspect.Parse(f, body)
		if err != nil {
			ch <- result{err: err}
			return
		}
		ch <- result{doc: doc, hits: g.scan(doc.Parts)}
	}()
	t := time.NewTimer(time.Duration(g.cfg.Limits.InspectTimeout))
	defer t.Stop()
	select {
	case res := <-ch:
		return res.doc, res.hits, res.err
	case <-t.C:
		return nil, nil, errInspectTimeout
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}

func blockMessage(p *policy, hs []inspect.PartHit) string {
	seen := map[string]bool{}
	var what []string
	for _, h := range hs {
		s := h.Label + " " + h.Masked
		if !seen[s] {
			seen[s] = true
			what = append(what, s)
		}
	}
	if len(what) > 5 {
		what = append(what[:5], fmt.Sprintf("and %d more", len(what)-5))
	}
	return fmt.Sprintf("pave gateway: request blocked by policy %s: it contains %s. Remove them and retry.", p.Name, strings.Join(what, ", "))
}

func partHits(hs []inspect.PartHit) []inspect.Hit {
	out := make([]inspect.Hit, len(hs))
	for i, h := range hs {
		out[i] = h.Hit
	}
	return out
}

// findings groups hits by rule for the audit log: distinct values only
// by hash and masked form.
func findings(hs []inspect.Hit, where string) []audit.Finding {
	byRule := map[string]*audit.Finding{}
	seen := map[string]bool{}
	for _, h := range hs {
		f := byRule[h.Rule]
		if f == nil {
			f = &audit.Finding{Rule: h.Rule, Category: h.Category, Where: where}
			byRule[h.Rule] = f
		}
		f.Count++
		if k := h.Rule + h.Hash; !seen[k] {
			seen[k] = true
			f.Hashes = append(f.Hashes, h.Hash)
			f.Masked = append(f.Masked, h.Masked)
		}
	}
	out := make([]audit.Finding, 0, len(byRule))
	for _, f := range byRule {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rule < out[j].Rule })
	return out
}

// forward sends the request upstream through the reverse proxy; n is
// the body's length, -1 when unknown.
func (g *Gateway) forward(w http.ResponseWriter, r *http.Request, x *exchange, body io.ReadCloser, n int64) {
	out := r.WithContext(context.WithValue(r.Context(), ctxKey{}, x))
	out.Body = body
	out.ContentLength = n
	out.Header = r.Header.Clone()
	out.Header.Del("Content-Length")
	g.proxy.ServeHTTP(w, out)
}

// rewrite points the outgoing request at the vendor and swaps the
// gateway key for the vendor's.
func (g *Gateway) rewrite(pr *httputil.ProxyRequest) {
	x := pr.In.Context().Value(ctxKey{}).(*exchange)
	v := x.vendor
	pr.Out.URL.Scheme, pr.Out.URL.Host = v.base.Scheme, v.base.Host
	pr.Out.URL.Path = strings.TrimSuffix(v.base.Path, "/") + x.upPath
	pr.Out.URL.RawPath = ""
	pr.Out.Host = v.base.Host
	h := pr.Out.Header
	for _, k := range []string{"Authorization", "X-Api-Key", "Api-Key", "Proxy-Authorization", "Cookie", "Accept-Encoding", "Forwarded", "X-Forwarded-For"} {
		h.Del(k)
	}
	if v.key != "" {
		val := v.key
		if v.authScheme != "" {
			val = v.authScheme + " " + v.key
		}
		h.Set(v.authHeader, val)
	}
}

// modifyResponse inspects the vendor's reply: streams through an
// inspect.Stream, JSON replies whole.
func (g *Gateway) modifyResponse(resp *http.Response) error {
	x := resp.Request.Context().Value(ctxKey{}).(*exchange)
	x.status = resp.StatusCode
	if x.entry.Action != "" {
		resp.Header.Set("X-Pave-Action", x.entry.Action)
	}
	ct := strings.ToLower(resp.Header.Get("Content-Type"))
	if ce := resp.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		x.respErr = "encoded reply (" + ce + ")"
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &x.respSize}
		return nil
	}
	if strings.HasPrefix(ct, "text/event-stream") {
		x.entry.Stream = true
		s := inspect.NewStream(resp.Body, x.rw, &inspect.Accumulator{Detectors: g.detectors})
		if x.stripUsage {
			s.DropUsageChunks()
		}
		x.stream = s
		if x.rw.Active() || x.stripUsage {
			resp.Header.Del("Content-Length")
			resp.ContentLength = -1
		}
		resp.Body = s
		return nil
	}
	if !strings.Contains(ct, "json") {
		x.respErr = "reply is not JSON (" + ct + ")"
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &x.respSize}
		return nil
	}
	limit := g.cfg.Limits.MaxResponseBytes
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("read reply: %w", err)
	}
	x.respSize = int64(len(b))
	if int64(len(b)) > limit {
		x.respErr = fmt.Sprintf("reply larger than %d bytes", limit)
		if x.policy.OnFailure != "open" {
			resp.Body.Close()
			return errReplyUninspectable
		}
		resp.Body = &countingBody{ReadCloser: readCloser{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}, n: &x.respSize}
		x.respSize = 0
		return nil
	}
	resp.Body.Close()
	doc, usage, err := inspect.ParseResponse(b)
	if err != nil {
		x.respErr = "reply: " + err.Error()
		if x.policy.OnFailure != "open" && resp.StatusCode < 300 {
			return errReplyUninspectable
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		return nil
	}
	x.usage = usage
	hits := g.scan(doc.Parts)
	x.respHits = partHits(hits)
	if x.rw.Active() {
		if len(x.rw.Detectors) > 0 && len(hits) > 0 {
			inspect.Redact(doc.Parts, hits)
		}
		changed := len(x.rw.Detectors) > 0 && len(hits) > 0
		for _, p := range doc.Parts {
			if t := x.rw.Vault.Restore(p.Text); t != p.Text {
				p.Set(t)
				changed = true
			}
		}
		if changed {
			if nb, err := doc.Encode(); err == nil {
				b = nb
			}
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
	return nil
}

var errReplyUninspectable = errors.New("the vendor's reply could not be inspected")

type readCloser struct {
	io.Reader
	io.Closer
}

type countingBody struct {
	io.ReadCloser
	n *int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	*c.n += int64(n)
	return n, err
}

// upstreamError answers when the vendor cannot be reached or its reply
// was refused, in the vendor's error format.
func (g *Gateway) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	x := r.Context().Value(ctxKey{}).(*exchange)
	if errors.Is(err, errReplyUninspectable) {
		x.entry.Inspection = audit.InspectionFailedClosed
		x.entry.Action = audit.ActionBlock
		x.status = writeError(w, x.vendor.format, http.StatusBadGateway, "uninspectable_reply", "pave gateway: the vendor's reply could not be inspected ("+x.respErr+") and policy "+x.policy.Name+" fails closed")
		return
	}
	if r.Context().Err() != nil {
		x.entry.Error = "client went away"
		x.status = 499
		return
	}
	x.entry.Error = "upstream: " + err.Error()
	x.status = writeError(w, x.vendor.format, http.StatusBadGateway, "upstream_unreachable", "pave gateway: the vendor could not be reached")
}

// finish writes the exchange's audit entry and metrics.
func (g *Gateway) finish(x *exchange, start time.Time) {
	e := x.entry
	if s := x.stream; s != nil {
		x.usage = s.Usage
		x.respSize = s.Bytes
		if acc := s.Accumulator(); acc != nil {
			x.respHits = append(x.respHits, acc.Hits...)
		}
		if !s.Done {
			x.respErr = "stream ended early"
			if s.Err != nil {
				x.respErr += ": " + s.Err.Error()
			}
		}
	}
	if x.rw != nil && len(x.rw.Detectors) > 0 && len(x.rw.Hits) > 0 && x.stream == nil {
		x.respHits = append(x.respHits, x.rw.Hits...)
	}
	e.Findings = append(e.Findings, findings(x.respHits, "response")...)
	if x.respErr != "" && e.Inspection == audit.InspectionComplete {
		e.Inspection = audit.InspectionFailedOpen
		e.InspectionError = x.respErr
	}
	if x.usage.Seen {
		e.Usage = &audit.Usage{InputTokens: x.usage.Input, OutputTokens: x.usage.Output, TotalTokens: x.usage.Total}
	}
	e.ResponseBytes = x.respSize
	e.Status = x.status
	lat := g.now().Sub(start)
	e.LatencyUS = lat.Microseconds()
	if err := g.audit.Append(e); err != nil {
		g.log.Error("audit log append failed; further requests are refused", "err", err)
	}
	g.metrics.observe(e, lat)
}
