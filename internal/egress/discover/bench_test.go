package discover

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pavesec/pave/internal/egress/audit"
)

func BenchmarkReadClientHello(b *testing.B) {
	in := readSeed(b, "go-openai-h2.bin")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ReadClientHello(strings.NewReader(string(in))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	c := testCatalogue(b)
	hosts := []string{"api.openai.com", "us-central1-aiplatform.googleapis.com", "bedrock-runtime.eu-west-1.amazonaws.com",
		"my-res.openai.azure.com", "www.example.org", "registry-1.docker.io", "github.com", "deb.debian.org"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Match(hosts[i%len(hosts)])
		i++
	}
}

// benchProxies are the proxies the connection benchmarks compare: none
// (direct), pave's proxy in this process, and any listed in
// PAVE_BENCH_PROXIES as name=http://addr,... (scripts/bench-discover.sh
// passes the pave binary and elazarl/goproxy there).
func benchProxies(b *testing.B) []struct{ name, addr string } {
	b.Helper()
	logPath := filepath.Join(b.TempDir(), "audit.jsonl")
	w, err := audit.Open(logPath, audit.Options{Sync: audit.SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	p, err := New(Config{Log: w, Resolver: NewResolver(ResolverConfig{DockerSocket: "none"})})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Serve(ctx, ln); close(done) }()
	b.Cleanup(func() { cancel(); <-done; w.Close() })
	out := []struct{ name, addr string }{{"direct", ""}, {"pave", ln.Addr().String()}}
	for _, kv := range strings.Split(os.Getenv("PAVE_BENCH_PROXIES"), ",") {
		if name, u, ok := strings.Cut(kv, "="); ok {
			out = append(out, struct{ name, addr string }{name, strings.TrimPrefix(u, "http://")})
		}
	}
	return out
}

// dialVia opens a TCP connection to target, through a CONNECT proxy when
// proxy is not "".
func dialVia(proxy, target string) (net.Conn, error) {
	if proxy == "" {
		return net.Dial("tcp", target)
	}
	c, err := net.Dial("tcp", proxy)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		c.Close()
		return nil, fmt.Errorf("CONNECT: %v %v", resp, err)
	}
	if br.Buffered() > 0 {
		c.Close()
		return nil, fmt.Errorf("proxy sent bytes after its 200")
	}
	return c, nil
}

// BenchmarkConnectLatency is one HTTPS request on a new connection: TCP
// (and CONNECT), a TLS 1.3 handshake naming api.openai.com, a small request
// and its response. Through pave the tunnel is recognised as OpenAI by its
// SNI (CONNECT names only the address), attributed through /proc and
// written to the audit log.
func BenchmarkConnectLatency(b *testing.B) {
	pki := newTestPKI(b)
	srv := vendorServer(b, pki, "api.openai.com")
	target := srv.Listener.Addr().String()
	cfg := &tls.Config{ServerName: "api.openai.com", RootCAs: pki.pool, NextProtos: []string{"http/1.1"}}
	for _, px := range benchProxies(b) {
		b.Run(px.name, func(b *testing.B) {
			for b.Loop() {
				c, err := dialVia(px.addr, target)
				if err != nil {
					b.Fatal(err)
				}
				tc := tls.Client(c, cfg)
				io.WriteString(tc, "GET /v1/models HTTP/1.1\r\nHost: api.openai.com\r\nConnection: close\r\n\r\n")
				resp, err := http.ReadResponse(bufio.NewReader(tc), nil)
				if err != nil || resp.StatusCode != 200 {
					b.Fatal(resp, err)
				}
				io.Copy(io.Discard, resp.Body)
				tc.Close()
			}
		})
	}
}

// sink accepts connections, reads each to EOF and answers with the byte
// count.
func sink(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				n, _ := io.Copy(io.Discard, c)
				binary.Write(c, binary.BigEndian, n)
			}()
		}
	}()
	return ln.Addr().String()
}

// BenchmarkTunnelThroughput pushes 256 KiB writes through one tunnel to
// a sink and waits for its count at the end.
func BenchmarkTunnelThroughput(b *testing.B) {
	target := sink(b)
	chunk := make([]byte, 256<<10)
	for _, px := range benchProxies(b) {
		b.Run(px.name, func(b *testing.B) {
			c, err := dialVia(px.addr, target)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			b.SetBytes(int64(len(chunk)))
			var sent int64
			for b.Loop() {
				n, err := c.Write(chunk)
				if err != nil {
					b.Fatal(err)
				}
				sent += int64(n)
			}
			c.(*net.TCPConn).CloseWrite()
			var got int64
			if err := binary.Read(c, binary.BigEndian, &got); err != nil || got != sent {
				b.Fatalf("sink got %d of %d bytes: %v", got, sent, err)
			}
		})
	}
}

// BenchmarkResolveLocal is the /proc attribution of one local client
// socket: cold walks every process, warm finds the pid among the recent.
func BenchmarkResolveLocal(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	s, _ := ln.Accept()
	defer s.Close()
	client, server := netip.MustParseAddrPort(c.LocalAddr().String()), netip.MustParseAddrPort(s.LocalAddr().String())
	for _, warm := range []bool{false, true} {
		b.Run(map[bool]string{false: "cold", true: "warm"}[warm], func(b *testing.B) {
			for b.Loop() {
				r := NewResolver(ResolverConfig{DockerSocket: "none"})
				if warm {
					r.recent = []int{os.Getpid()}
				}
				if got := r.Local(context.Background(), client, server); got.PID != os.Getpid() {
					b.Fatalf("resolved %+v", got)
				}
			}
		})
	}
}
