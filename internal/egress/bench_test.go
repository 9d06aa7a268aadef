package egress

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/egress/audit"
	"github.com/pavesec/pave/internal/egress/fakevendor"
	"github.com/pavesec/pave/internal/egress/inspect"
)

var sizes = []struct {
	name string
	n    int
}{{"1KB", 1 << 10}, {"16KB", 16 << 10}, {"64KB", 64 << 10}}

// BenchmarkInspectRequest is the inspection alone: parse an OpenAI body
// and run the secret and personal-data detectors over its text.
func BenchmarkInspectRequest(b *testing.B) {
	ds, err := Detectors(&Config{})
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range sizes {
		body := fakevendor.ChatRequest("gpt-4o", fakevendor.Prompt(s.n, ""), false)
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			c0 := cpuTime()
			for b.Loop() {
				d, err := inspect.Parse(inspect.OpenAI, body)
				if err != nil {
					b.Fatal(err)
				}
				inspect.Scan(d.Parts, ds)
			}
			reportCPU(b, c0)
		})
	}
}

// BenchmarkParseRequest is the JSON scan alone: the parts of an OpenAI
// body whose prompt is source code (a line of text between escapes).
func BenchmarkParseRequest(b *testing.B) {
	for _, s := range sizes {
		body := fakevendor.ChatRequest("gpt-4o", fakevendor.Prompt(s.n, ""), false)
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := inspect.Parse(inspect.OpenAI, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchGateway starts a fake vendor and a gateway on loopback.
func benchGateway(b *testing.B) (vendorURL, gatewayURL string) {
	fv := fakevendor.New(fakevendor.Options{OpenAIKey: realOpenAI,
		Reply: func(string) string { return "Guard Get with a nil check or build the Cache before serving." }})
	vs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fv.ServeHTTP(w, r); fv.Reset() }))
	b.Cleanup(vs.Close)
	cfg := baseConfig(vs.URL, filepath.Join(b.TempDir(), "audit.jsonl"))
	if err := cfg.check(); err != nil {
		b.Fatal(err)
	}
	w, err := audit.Open(cfg.Audit.Path, audit.Options{Sync: audit.SyncInterval})
	if err != nil {
		b.Fatal(err)
	}
	env := map[string]string{"OPENAI_KEY": realOpenAI, "ANTHROPIC_KEY": realAnthropc, "BOB_KEY": otherKey}
	g, err := New(cfg, Options{Audit: w, Getenv: func(k string) string { return env[k] }})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.Serve(ctx, ln, nil); close(done) }()
	b.Cleanup(func() { cancel(); <-done; w.Close() })
	return vs.URL, "http://" + ln.Addr().String()
}

// bareProxy starts a plain httputil.ReverseProxy to the vendor, with
// the gateway's transport settings and nothing else: the floor any
// reverse proxy in Go pays for the extra hop.
func bareProxy(b *testing.B, vendorURL string) string {
	u, err := url.Parse(vendorURL)
	if err != nil {
		b.Fatal(err)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost, t.WriteBufferSize, t.ReadBufferSize = 64, 64<<10, 32<<10
	p := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) },
		Transport: t, BufferPool: newBufferPool(32 << 10)}
	s := httptest.NewServer(p)
	b.Cleanup(s.Close)
	return s.URL
}

// BenchmarkRelay sends the same chat completion to the fake vendor
// directly, through a bare reverse proxy (bareProxy) and through the
// gateway, over loopback HTTP with keep-alive, and reports p50 and p99
// per request beside the mean. gateway minus proxy is what inspection,
// policy and audit cost; proxy minus direct is the hop itself.
func BenchmarkRelay(b *testing.B) {
	vendorURL, gwURL := benchGateway(b)
	proxyURL := bareProxy(b, vendorURL)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for _, s := range sizes {
		body := fakevendor.ChatRequest("gpt-4o", fakevendor.Prompt(s.n, ""), false)
		for _, path := range []struct{ name, base, key string }{{"direct", vendorURL, realOpenAI}, {"proxy", proxyURL, realOpenAI}, {"gateway", gwURL, devKey}} {
			b.Run(s.name+"/"+path.name, func(b *testing.B) {
				var ds []time.Duration
				c0 := cpuTime()
				for b.Loop() {
					req, _ := http.NewRequest("POST", path.base+"/v1/chat/completions", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+path.key)
					t0 := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Fatalf("status %d", resp.StatusCode)
					}
					ds = append(ds, time.Since(t0))
				}
				reportCPU(b, c0)
				reportPercentiles(b, ds)
			})
		}
	}
}

// BenchmarkStreamFirstDelta measures the time to the first content delta
// of a streamed chat completion, directly and through the gateway.
func BenchmarkStreamFirstDelta(b *testing.B) {
	vendorURL, gwURL := benchGateway(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	body := fakevendor.ChatRequest("gpt-4o", fakevendor.Prompt(1<<10, ""), true)
	for _, path := range []struct{ name, base, key string }{{"direct", vendorURL, realOpenAI}, {"gateway", gwURL, devKey}} {
		b.Run(path.name, func(b *testing.B) {
			var ds []time.Duration
			c0 := cpuTime()
			for b.Loop() {
				req, _ := http.NewRequest("POST", path.base+"/v1/chat/completions", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+path.key)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				buf := make([]byte, 4096)
				var first time.Duration
				var seen []byte
				for {
					n, err := resp.Body.Read(buf)
					seen = append(seen, buf[:n]...)
					if first == 0 && bytes.Count(seen, []byte("data: ")) >= 2 {
						first = time.Since(t0) // the role chunk, then the first content delta
					}
					if err != nil {
						break
					}
				}
				resp.Body.Close()
				ds = append(ds, first)
			}
			reportCPU(b, c0)
			reportPercentiles(b, ds)
		})
	}
}

func reportPercentiles(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(p float64) float64 { return float64(ds[min(len(ds)-1, int(float64(len(ds))*p))].Microseconds()) }
	b.ReportMetric(at(.5), "p50-µs")
	b.ReportMetric(at(.99), "p99-µs")
}

// cpuTime is the CPU time (user and system) the process has used. On a
// machine shared with other work, wall-clock figures swing with the load;
// CPU time per operation does not, and the difference between the direct
// and gateway runs of the relay benchmarks (client, fake vendor and
// gateway share the process) is what the gateway costs a request.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N)/1e3, "cpu-µs/op")
}
