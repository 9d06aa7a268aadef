package discover

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Interceptor takes over a tunnel to an AI host in inspect mode: it
// terminates TLS on conn (whose first reads replay the ClientHello the
// proxy already read) and handles the decrypted requests. It returns when
// the connection is finished.
type Interceptor interface {
	Intercept(ctx context.Context, conn net.Conn, t *Tunnel) error
}

// Tunnel describes an intercepted connection to its Interceptor.
type Tunnel struct {
	Client     Client // the local process part of the attribution; see Who
	UserAgent  string
	Host       string // CONNECT authority, host:port
	SNI        string
	Vendor     string
	Kind       string
	Sanctioned bool
	who        func() Client
}

// Who returns the client's full attribution, waiting for the container
// lookup (up to a few seconds for a container the engine does not list
// yet). Call it when writing a record, not before answering the client.
func (t *Tunnel) Who() Client {
	if t.who == nil {
		return t.Client
	}
	return t.who()
}

// Config configures a Proxy.
type Config struct {
	Policy   *Policy   // nil: the built-in catalogue, nothing sanctioned, no blocking
	Log      Sink      // where AI connections are recorded; nil records nothing
	Resolver *Resolver // client attribution; nil records the address only
	// Interceptor, when set, decrypts tunnels to AI hosts the policy
	// inspects (inspect mode).
	Interceptor Interceptor
	// Dial connects upstream; nil uses a net.Dialer. Tests point it at
	// local servers standing in for AI vendors.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Logger reports failures to write the audit log; nil discards.
	Logger *slog.Logger
	// IdleTimeout closes a tunnel that moved no byte either way for this
	// long (15 minutes when 0; negative: never), so idle or stalled
	// clients cannot hold connections forever.
	IdleTimeout time.Duration
}

// Stats are running totals. Traffic to non-AI hosts is only counted here,
// never logged per connection.
type Stats struct {
	AIConnections    int64
	Blocked          int64
	OtherConnections int64
	OtherBytes       int64
	LogErrors        int64
}

// Proxy is the discovery forward proxy: an http.Handler that serves
// CONNECT tunnels and absolute-URI HTTP requests.
type Proxy struct {
	cfg     Config
	policy  *Policy
	cat     *Catalogue
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	plain   *httputil.ReverseProxy
	log     *slog.Logger
	ai, blk atomic.Int64
	other   atomic.Int64
	otherB  atomic.Int64
	logErrs atomic.Int64
	mu      sync.Mutex
	tunnels map[net.Conn]struct{}
	wg      sync.WaitGroup
	closed  bool // under mu: no tunnel starts after Close
}

var _ http.Handler = (*Proxy)(nil)

// New builds a proxy.
func New(cfg Config) (*Proxy, error) {
	p := &Proxy{cfg: cfg, policy: cfg.Policy, dial: cfg.Dial, log: cfg.Logger,
		tunnels: map[net.Conn]struct{}{}}
	if p.policy == nil {
		p.policy = &Policy{}
	}
	cat, err := p.policy.Catalogue()
	if err != nil {
		return nil, err
	}
	p.cat = cat
	if p.dial == nil {
		d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		p.dial = d.DialContext
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.plain = &httputil.ReverseProxy{
		Rewrite: func(*httputil.ProxyRequest) {}, // absolute URL kept; no X-Forwarded-For
		Transport: &http.Transport{DialContext: p.dial, Proxy: nil,
			MaxIdleConnsPerHost: 8, IdleConnTimeout: 90 * time.Second, ResponseHeaderTimeout: 5 * time.Minute},
		ErrorLog: slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
	}
	return p, nil
}

// Stats returns the running totals.
func (p *Proxy) Stats() Stats {
	return Stats{AIConnections: p.ai.Load(), Blocked: p.blk.Load(), OtherConnections: p.other.Load(),
		OtherBytes: p.otherB.Load(), LogErrors: p.logErrs.Load()}
}

// Serve accepts proxy clients on ln until ctx is done, then stops
// accepting, closes open tunnels and waits for their records.
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second, MaxHeaderBytes: 64 << 10, IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		p.Close()
		return fmt.Errorf("discover: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	p.Close()
	return nil
}

// Close ends every open tunnel and waits until each is recorded.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.tunnels {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// ServeHTTP serves one proxy request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodConnect:
		p.connect(w, r)
	case r.URL.IsAbs() && r.URL.Host != "":
		p.forward(w, r)
	default:
		http.Error(w, "pave gateway discover is a forward proxy: send CONNECT or an absolute URL", http.StatusBadRequest)
	}
}

// match classifies a host: its endpoint, or nil for non-AI traffic.
func (p *Proxy) match(host string) *Endpoint { return p.cat.Match(host) }

// addrs returns the client's address and the proxy's local address.
func addrs(r *http.Request) (client, local netip.AddrPort) {
	client, _ = netip.ParseAddrPort(r.RemoteAddr)
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		local, _ = netip.ParseAddrPort(a.String())
	}
	return client, local
}

// resolveAsync starts client attribution; the returned functions wait
// for its local part (the /proc lookup, which must finish while the
// client's connection is open: callers wait for it before answering) and
// for all of it (the container lookup may take longer; callers wait for it
// only to write the record). Only AI connections are attributed.
func (p *Proxy) resolveAsync(ctx context.Context, r *http.Request) (early, all func() Client) {
	client, local := addrs(r)
	if p.cfg.Resolver == nil {
		f := func() Client { return Client{Addr: client} }
		return f, f
	}
	earlyCh, allCh := make(chan Client, 1), make(chan Client, 1)
	go func() {
		c := p.cfg.Resolver.Local(ctx, client, local)
		earlyCh <- c
		p.cfg.Resolver.Container(ctx, &c)
		allCh <- c
	}()
	var eOnce, aOnce sync.Once
	var e, c Client
	early = func() Client {
		eOnce.Do(func() { e = <-earlyCh })
		return e
	}
	all = func() Client {
		early()
		aOnce.Do(func() { c = <-allCh })
		return c
	}
	return early, all
}

func (p *Proxy) record(rec *Record) {
	if p.cfg.Log == nil {
		return
	}
	if err := p.cfg.Log.Append(rec.Entry()); err != nil {
		p.logErrs.Add(1)
		p.log.Error("discover: audit log", "err", err)
	}
}

// newRecord fills the fields common to both proxy modes.
func (p *Proxy) newRecord(r *http.Request, host string, ep *Endpoint) *Record {
	rec := &Record{Time: time.Now(), UserAgent: r.Header.Get("User-Agent"), Method: r.Method, Host: host}
	if ep != nil {
		rec.Vendor, rec.Kind, rec.Sanctioned = ep.Vendor, ep.Kind, p.policy.Sanctioned(ep.Vendor)
	}
	return rec
}

func (p *Proxy) connect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	host, portStr, err := net.SplitHostPort(r.Host)
	port, perr := strconv.Atoi(portStr)
	if err != nil || perr != nil || host == "" || port <= 0 || port > 65535 {
		http.Error(w, "CONNECT needs host:port", http.StatusBadRequest)
		return
	}
	authority := hostPort(Normalize(host), port)
	ep := p.match(host)
	rec := p.newRecord(r, authority, ep)
	var early, who func() Client
	if ep != nil {
		early, who = p.resolveAsync(context.WithoutCancel(ctx), r)
	}
	if ep != nil && !rec.Sanctioned && p.policy.Block {
		p.refuse(w, rec, early, who)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "connection cannot be hijacked", http.StatusInternalServerError)
		return
	}
	var upstream net.Conn
	inspect := ep != nil && p.cfg.Interceptor != nil && p.policy.Inspects(ep.Vendor)
	if !inspect {
		upstream, err = p.dial(ctx, "tcp", authority)
		if err != nil {
			http.Error(w, "upstream unreachable", http.StatusBadGateway)
			if ep != nil {
				flush(w) // the container lookup may take seconds
				rec.Status, rec.Err, rec.Client = http.StatusBadGateway, err.Error(), who()
				rec.Duration = time.Since(rec.Time)
				p.ai.Add(1)
				p.record(rec)
			}
			return
		}
	}
	if early != nil {
		early() // concurrent with the dial; before the client can close
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		if upstream != nil {
			upstream.Close()
		}
		return
	}
	if !p.begin(conn) {
		conn.Close()
		if upstream != nil {
			upstream.Close()
		}
		return
	}
	defer p.wg.Done()
	defer p.track(conn, false)
	defer conn.Close()
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		if upstream != nil {
			upstream.Close()
		}
		return
	}
	rec.Status = http.StatusOK
	if inspect {
		p.intercept(ctx, conn, brw.Reader, rec, early(), who)
		return
	}
	var attribute func() (early, all func() Client)
	if who == nil {
		// Not an AI host by name; the ClientHello may still name one.
		attribute = func() (early, all func() Client) {
			return p.resolveAsync(context.WithoutCancel(ctx), r)
		}
	}
	p.relay(ctx, conn, brw.Reader, upstream, rec, ep, who, attribute)
}

// refuse answers 403 to an unsanctioned AI request and records it.
func (p *Proxy) refuse(w http.ResponseWriter, rec *Record, early, all func() Client) {
	early()
	http.Error(w, "pave: direct use of AI endpoint "+rec.Host+" is not sanctioned; use the AI gateway", http.StatusForbidden)
	flush(w) // the container lookup may take seconds
	rec.Blocked, rec.Status, rec.Client = true, http.StatusForbidden, all()
	rec.Duration = time.Since(rec.Time)
	p.ai.Add(1)
	p.blk.Add(1)
	p.record(rec)
}

// begin registers a tunnel's client connection, unless the proxy is
// closing. The WaitGroup is only added to under mu before Close marks the
// proxy closed, so Close's Wait never races an Add.
func (p *Proxy) begin(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.wg.Add(1)
	p.tunnels[c] = struct{}{}
	return true
}

// track adds or removes a connection Close must close.
func (p *Proxy) track(c net.Conn, add bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		if p.closed {
			c.Close()
			return
		}
		p.tunnels[c] = struct{}{}
		return
	}
	delete(p.tunnels, c)
}

// relay copies a tunnel both ways. The client's first bytes are read as a
// ClientHello (without delaying the upstream-to-client direction, so
// protocols where the server speaks first work), then replayed upstream.
// who waits for the attribution of a client already known to talk to AI;
// attribute starts one for a tunnel that only its ClientHello names.
func (p *Proxy) relay(ctx context.Context, conn net.Conn, cr *bufio.Reader, upstream net.Conn, rec *Record, ep *Endpoint, who func() Client, attribute func() (early, all func() Client)) {
	defer upstream.Close()
	p.track(upstream, true)
	defer p.track(upstream, false)
	var down int64
	var fromClient, fromUpstream io.Reader = cr, upstream
	if idle := p.idleTimeout(); idle > 0 {
		act := &activity{idle: idle}
		act.touch()
		fromClient = &idleReader{r: cr, c: conn, a: act}
		fromUpstream = &idleReader{r: upstream, c: upstream, a: act}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		down, _ = io.Copy(conn, fromUpstream)
		closeWrite(conn)
	}()
	hello, raw, _ := ReadClientHello(fromClient)
	up := int64(len(raw))
	if hello != nil {
		rec.SNI, rec.ALPN = hello.ServerName, hello.ALPN
		if sep := p.match(hello.ServerName); sep != nil && (ep == nil || sep.Vendor != ep.Vendor) {
			// The ClientHello names an AI host the CONNECT line did not
			// (CONNECT by address, or domain fronting): the SNI decides.
			if ep == nil {
				// The /proc lookup must see the client's socket: finish it
				// before the hello goes upstream, while the client waits
				// for the server's answer and so cannot have closed.
				early, all := attribute()
				early()
				who = all
			}
			ep = sep
			rec.Vendor, rec.Kind, rec.Sanctioned = sep.Vendor, sep.Kind, p.policy.Sanctioned(sep.Vendor)
		}
	}
	blocked := ep != nil && !rec.Sanctioned && p.policy.Block
	if blocked {
		rec.Blocked = true
		upstream.Close()
		p.blk.Add(1)
	} else {
		// A hello this parser rejects is still relayed: discovery records,
		// it does not enforce TLS conformance.
		if _, err := upstream.Write(raw); err == nil {
			n, _ := io.Copy(upstream, fromClient)
			up += n
		}
		closeWrite(upstream)
	}
	<-done
	if ep == nil {
		p.other.Add(1)
		p.otherB.Add(up + down)
		return
	}
	p.ai.Add(1)
	rec.Client = who()
	rec.BytesUp, rec.BytesDown, rec.Duration = up, down, time.Since(rec.Time)
	p.record(rec)
}

// flush sends what the handler wrote before it waits for a record.
func flush(w http.ResponseWriter) {
	http.NewResponseController(w).Flush()
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		return
	}
	c.Close()
}

// intercept hands a tunnel to the Interceptor, counting its bytes.
func (p *Proxy) intercept(ctx context.Context, conn net.Conn, cr *bufio.Reader, rec *Record, local Client, who func() Client) {
	hello, raw, herr := ReadClientHello(cr)
	if hello != nil {
		rec.SNI, rec.ALPN = hello.ServerName, hello.ALPN
	}
	cc := &countingConn{Conn: conn, r: io.MultiReader(bytesReader(raw), cr)}
	if herr != nil {
		rec.Err = "inspect: " + herr.Error()
	} else {
		t := &Tunnel{Client: local, UserAgent: rec.UserAgent, Host: rec.Host, SNI: rec.SNI,
			Vendor: rec.Vendor, Kind: rec.Kind, Sanctioned: rec.Sanctioned, who: who}
		if err := p.cfg.Interceptor.Intercept(ctx, cc, t); err != nil {
			rec.Err = err.Error()
		} else {
			rec.Inspected = true
		}
	}
	p.ai.Add(1)
	rec.Client = who()
	rec.BytesUp, rec.BytesDown, rec.Duration = cc.in.Load(), cc.out.Load(), time.Since(rec.Time)
	p.record(rec)
}

func (p *Proxy) idleTimeout() time.Duration {
	if p.cfg.IdleTimeout == 0 {
		return 15 * time.Minute
	}
	return p.cfg.IdleTimeout
}

// activity is when a tunnel last moved bytes, in either direction.
type activity struct {
	last atomic.Int64 // unix nanoseconds
	idle time.Duration
}

func (a *activity) touch() { a.last.Store(time.Now().UnixNano()) }

func (a *activity) idleFor() time.Duration { return time.Since(time.Unix(0, a.last.Load())) }

// idleReader reads r, whose bytes arrive on c, under a read deadline that
// fails only when the whole tunnel has been idle for a.idle: a direction
// that is quiet while the other streams (a long server-sent response)
// keeps waiting. The deadline is moved at most once a second.
type idleReader struct {
	r   io.Reader
	c   net.Conn
	a   *activity
	set time.Time
}

func (ir *idleReader) Read(b []byte) (int, error) {
	for {
		if now := time.Now(); now.Sub(ir.set) > time.Second {
			ir.c.SetReadDeadline(now.Add(ir.a.idle))
			ir.set = now
		}
		n, err := ir.r.Read(b)
		if n > 0 {
			ir.a.touch()
		}
		if err != nil && errors.Is(err, os.ErrDeadlineExceeded) && ir.a.idleFor() < ir.a.idle {
			ir.set = time.Time{} // the other direction is busy: wait again
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

// countingConn replays buffered bytes before reading the connection and
// counts bytes each way.
type countingConn struct {
	net.Conn
	r       io.Reader
	in, out atomic.Int64
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.in.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.out.Add(int64(n))
	return n, err
}

type sliceReader struct{ b []byte }

func bytesReader(b []byte) io.Reader { return &sliceReader{b} }

func (s *sliceReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}

// forward relays an absolute-URI HTTP request (plain-HTTP proxying).
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request) {
	host := r.URL.Host
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = hostPort(Normalize(host), 80)
	}
	ep := p.match(r.URL.Hostname())
	if ep == nil {
		cw := &CountingWriter{ResponseWriter: w}
		cb := &CountingBody{ReadCloser: r.Body}
		r.Body = cb
		p.plain.ServeHTTP(cw, r)
		p.other.Add(1)
		p.otherB.Add(cw.N + cb.N)
		return
	}
	rec := p.newRecord(r, host, ep)
	rec.Path = r.URL.Path
	early, who := p.resolveAsync(context.WithoutCancel(r.Context()), r)
	if !rec.Sanctioned && p.policy.Block {
		p.refuse(w, rec, early, who)
		return
	}
	early() // before the response lets the client close
	cw := &CountingWriter{ResponseWriter: w}
	cb := &CountingBody{ReadCloser: r.Body}
	r.Body = cb
	p.plain.ServeHTTP(cw, r)
	flush(w)
	rec.Status = cw.Status
	if rec.Status == 0 {
		rec.Status = http.StatusOK
	}
	p.ai.Add(1)
	rec.Client = who()
	rec.BytesUp, rec.BytesDown, rec.Duration = cb.N, cw.N, time.Since(rec.Time)
	p.record(rec)
}
