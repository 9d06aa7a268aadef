package mitm

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pavesec/pave/internal/egress/audit"
	"github.com/pavesec/pave/internal/egress/discover"
	"github.com/pavesec/pave/internal/secret"
)

// defaultMaxInspect bounds the request body scanned for secrets; larger
// bodies pass through with inspection "failed-open".
const defaultMaxInspect = 1 << 20

// Config configures an Interceptor.
type Config struct {
	CA  *CA
	Log discover.Sink // one "request" entry per decrypted request
	// Handler, when set, receives each decrypted request instead of the
	// built-in relay: the request's URL is https://HOST/PATH for the
	// host the client asked for, and TunnelFrom gives the tunnel. The
	// handler then does its own auditing.
	Handler http.Handler
	// Secrets scans request bodies; nil means secret.Default().
	Secrets *secret.Engine
	// UpstreamRoots verifies vendors' certificates; nil means the system
	// roots. Only tests set it, to trust a local stand-in vendor.
	UpstreamRoots *x509.CertPool
	// Dial connects upstream; nil uses a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// MaxInspect bounds the request body scanned (1 MiB when 0).
	MaxInspect int64
	Logger     *slog.Logger
}

// Interceptor terminates TLS for the tunnels discover hands it and serves
// the decrypted requests (HTTP/1.1 and HTTP/2) with one http.Server.
type Interceptor struct {
	cfg    Config
	minter *Minter
	srv    *http.Server
	ln     *chanListener
	rp     *httputil.ReverseProxy
	log    *slog.Logger
	conns  sync.Map // *tls.Conn -> *connInfo
	served chan error
}

type connInfo struct {
	t    *discover.Tunnel
	once sync.Once
	done chan struct{}
}

type ctxKey struct{}

// TunnelFrom returns the tunnel a decrypted request arrived through.
func TunnelFrom(ctx context.Context) (*discover.Tunnel, bool) {
	ci, ok := ctx.Value(ctxKey{}).(*connInfo)
	if !ok {
		return nil, false
	}
	return ci.t, true
}

var _ discover.Interceptor = (*Interceptor)(nil)

// New starts an Interceptor. Close stops it.
func New(cfg Config) (*Interceptor, error) {
	if cfg.CA == nil {
		return nil, errors.New("mitm: no CA")
	}
	if cfg.Secrets == nil {
		cfg.Secrets = secret.Default()
	}
	if cfg.MaxInspect <= 0 {
		cfg.MaxInspect = defaultMaxInspect
	}
	if cfg.Dial == nil {
		d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		cfg.Dial = d.DialContext
	}
	m, err := NewMinter(cfg.CA, nil)
	if err != nil {
		return nil, err
	}
	i := &Interceptor{cfg: cfg, minter: m, ln: newChanListener(), log: cfg.Logger, served: make(chan error, 1)}
	if i.log == nil {
		i.log = slog.New(slog.DiscardHandler)
	}
	i.rp = &httputil.ReverseProxy{
		Rewrite: i.rewrite,
		Transport: &http.Transport{
			DialContext:       cfg.Dial,
			TLSClientConfig:   &tls.Config{RootCAs: cfg.UpstreamRoots, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 16, IdleConnTimeout: 90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		},
		FlushInterval: -1, // server-sent events go through as they come
		ErrorHandler:  i.upstreamError,
		ErrorLog:      slog.NewLogLogger(i.log.Handler(), slog.LevelDebug),
	}
	i.srv = &http.Server{
		Handler:           i,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(i.log.Handler(), slog.LevelDebug),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if ci, ok := i.conns.Load(c); ok {
				return context.WithValue(ctx, ctxKey{}, ci)
			}
			return ctx
		},
		ConnState: func(c net.Conn, s http.ConnState) {
			if s != http.StateClosed && s != http.StateHijacked {
				return
			}
			if ci, ok := i.conns.LoadAndDelete(c); ok {
				ci.(*connInfo).once.Do(func() { close(ci.(*connInfo).done) })
			}
		},
	}
	go func() { i.served <- i.srv.Serve(i.ln) }()
	return i, nil
}

// Close stops serving and closes every intercepted connection.
func (i *Interceptor) Close() error {
	err := i.srv.Close()
	<-i.served
	return err
}

// Intercept terminates TLS on conn with a leaf for the client's server
// name and serves the connection until it closes or ctx ends.
func (i *Interceptor) Intercept(ctx context.Context, conn net.Conn, t *discover.Tunnel) error {
	fallback, _, _ := net.SplitHostPort(t.Host)
	tc := tls.Server(conn, &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(chi *tls.ClientHelloInfo) (*tls.Certificate, error) {
			name := chi.ServerName
			if name == "" {
				name = fallback
			}
			return i.minter.Certificate(name)
		},
	})
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err := tc.HandshakeContext(hctx)
	cancel()
	if err != nil {
		return fmt.Errorf("mitm: TLS handshake with the client (does it trust the inspection CA?): %w", err)
	}
	ci := &connInfo{t: t, done: make(chan struct{})}
	i.conns.Store(tc, ci)
	if err := i.ln.push(ctx, tc); err != nil {
		i.conns.Delete(tc)
		tc.Close()
		return err
	}
	select {
	case <-ci.done:
	case <-ctx.Done():
		tc.Close()
	}
	return nil
}

func (i *Interceptor) rewrite(pr *httputil.ProxyRequest) {
	t, _ := TunnelFrom(pr.In.Context())
	pr.Out.URL.Scheme = "https"
	pr.Out.URL.Host = upstreamAuthority(t)
	pr.Out.Host = pr.In.Host
}

// upstreamAuthority is where decrypted requests go: the server name the
// client asked for, on the CONNECT port.
func upstreamAuthority(t *discover.Tunnel) string {
	if t == nil {
		return ""
	}
	host, port, err := net.SplitHostPort(t.Host)
	if err != nil {
		return t.Host
	}
	if t.SNI != "" {
		host = t.SNI
	}
	return net.JoinHostPort(host, port)
}

type errKey struct{}

func (i *Interceptor) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	if p, ok := r.Context().Value(errKey{}).(*string); ok {
		*p = err.Error()
	}
	http.Error(w, "pave: AI vendor unreachable", http.StatusBadGateway)
}

// ServeHTTP handles one decrypted request.
func (i *Interceptor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t, ok := TunnelFrom(r.Context())
	if !ok {
		http.Error(w, "pave: not an intercepted connection", http.StatusInternalServerError)
		return
	}
	if i.cfg.Handler != nil {
		r.URL.Scheme, r.URL.Host = "https", upstreamAuthority(t)
		i.cfg.Handler.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	e := &audit.Entry{
		Time: start, Kind: audit.KindRequest,
		Identity: audit.Identity{User: t.Who().Label()},
		Client:   audit.ParseClient(r.UserAgent()),
		Vendor:   t.Vendor, Method: r.Method, Endpoint: r.URL.Path, Host: upstreamAuthority(t),
		Action: audit.ActionAllow, Inspection: audit.InspectionComplete,
	}
	if t.Client.Addr.IsValid() {
		e.Identity.Source = t.Client.Addr.String()
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, i.cfg.MaxInspect+1))
	switch {
	case err != nil:
		e.Inspection, e.InspectionError = audit.InspectionFailedOpen, "read request body: "+err.Error()
	case int64(len(body)) > i.cfg.MaxInspect:
		e.Inspection = audit.InspectionFailedOpen
		e.InspectionError = fmt.Sprintf("request body over %d bytes; the first %d were scanned", i.cfg.MaxInspect, i.cfg.MaxInspect)
		e.Findings = findings(i.cfg.Secrets.Scan(body[:i.cfg.MaxInspect]))
	default:
		e.Findings = findings(i.cfg.Secrets.Scan(body))
	}
	e.Model = model(body)
	cb := &discover.CountingBody{ReadCloser: r.Body, N: int64(len(body))}
	r.Body = readCloser{io.MultiReader(bytes.NewReader(body), cb), cb}
	var upErr string
	r = r.WithContext(context.WithValue(r.Context(), errKey{}, &upErr))
	cw := &discover.CountingWriter{ResponseWriter: w}
	i.rp.ServeHTTP(cw, r)
	e.Status, e.Error = cw.Status, upErr
	e.Stream = strings.HasPrefix(cw.Header().Get("Content-Type"), "text/event-stream")
	e.RequestBytes, e.ResponseBytes = cb.N, cw.N
	e.LatencyUS = time.Since(start).Microseconds()
	if i.cfg.Log != nil {
		if err := i.cfg.Log.Append(e); err != nil {
			i.log.Error("mitm: audit log", "err", err)
		}
	}
}

// model reads the "model" field of a JSON request body, if any.
func model(body []byte) string {
	var v struct {
		Model string `json:"model"`
	}
	if len(body) == 0 || body[0] != '{' || json.Unmarshal(body, &v) != nil || len(v.Model) > 200 {
		return ""
	}
	return v.Model
}

// findings groups secret matches by rule: distinct values by hash and
// masked form only.
func findings(ms []secret.Match) []audit.Finding {
	byRule := map[string]*audit.Finding{}
	seen := map[string]bool{}
	for _, m := range ms {
		f := byRule[m.Rule.ID]
		if f == nil {
			f = &audit.Finding{Rule: m.Rule.ID, Category: "secret", Where: "request"}
			byRule[m.Rule.ID] = f
		}
		f.Count++
		if k := m.Rule.ID + m.Hash; !seen[k] {
			seen[k] = true
			f.Hashes = append(f.Hashes, m.Hash)
			f.Masked = append(f.Masked, m.Masked)
		}
	}
	out := make([]audit.Finding, 0, len(byRule))
	for _, f := range byRule {
		out = append(out, *f)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Rule < out[b].Rule })
	if len(out) == 0 {
		return nil
	}
	return out
}

type readCloser struct {
	io.Reader
	io.Closer
}

// chanListener is a net.Listener fed with connections Intercept has
// already accepted and handshaken.
type chanListener struct {
	ch     chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newChanListener() *chanListener {
	return &chanListener{ch: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *chanListener) push(ctx context.Context, c net.Conn) error {
	select {
	case l.ch <- c:
		return nil
	case <-l.closed:
		return errors.New("mitm: interceptor closed")
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "mitm" }
func (pipeAddr) String() string  { return "mitm" }
