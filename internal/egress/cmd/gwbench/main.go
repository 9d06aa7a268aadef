// Command gwbench measures what the AI egress gateway adds to a request:
// the same requests go to the fake vendor directly and through the
// gateway, interleaved, and it prints added p50/p99 latency per prompt
// size, time to first byte of streams, and requests per second under
// concurrency. scripts/bench-gateway.sh runs it against `pave gateway
// serve`; docs/bench-gateway.md holds the figures.
//
//	gwbench -serve-vendor 127.0.0.1:9900          # run the fake vendor
//	gwbench -direct http://127.0.0.1:9900 -gateway http://127.0.0.1:8787 -key KEY
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pavesec/pave/internal/egress/fakevendor"
)

func main() {
	serve := flag.String("serve-vendor", "", "serve the fake vendor on `ADDR` until interrupted")
	direct := flag.String("direct", "", "fake vendor base `URL`")
	gateway := flag.String("gateway", "", "gateway base `URL`")
	key := flag.String("key", "", "gateway key")
	vendorKey := flag.String("vendor-key", "sk-bench", "vendor key for direct requests")
	n := flag.Int("n", 1000, "requests per size and path")
	conc := flag.Int("c", 32, "concurrent clients for the throughput run")
	dur := flag.Duration("d", 5*time.Second, "duration of each throughput run")
	pid := flag.Int("gateway-pid", 0, "the gateway's `PID`, to report the CPU time it spends per request (from /proc)")
	flag.Parse()
	if *serve != "" {
		if err := serveVendor(*serve, *vendorKey); err != nil {
			fmt.Fprintln(os.Stderr, "gwbench:", err)
			os.Exit(1)
		}
		return
	}
	if *direct == "" || *gateway == "" || *key == "" {
		fmt.Fprintln(os.Stderr, "gwbench: want -direct URL -gateway URL -key KEY (or -serve-vendor ADDR)")
		os.Exit(2)
	}
	b := &bench{direct: *direct, gateway: *gateway, key: *key, vendorKey: *vendorKey, pid: *pid,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}}}
	if err := b.run(*n, *conc, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "gwbench:", err)
		os.Exit(1)
	}
}

func serveVendor(addr, key string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// a short fixed answer, as assistants give, so replies do not grow
	// with the prompt
	answer := "The cache pointer is nil when the first request arrives before warm-up; " +
		"guard Get with a nil check or construct the Cache in main before serving, and add a test for the cold path."
	fv := fakevendor.New(fakevendor.Options{OpenAIKey: key, AnthropicKey: key, Reply: func(string) string { return answer }})
	srv := &http.Server{Addr: addr, Handler: onlyLast{fv}}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// onlyLast keeps the fake vendor's request log from growing without
// bound during a long run.
type onlyLast struct{ v *fakevendor.Vendor }

func (o onlyLast) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.v.ServeHTTP(w, r)
	o.v.Reset()
}

type bench struct {
	direct, gateway, key, vendorKey string
	pid                             int
	client                          *http.Client
}

// cpu returns the CPU time (user + system) the gateway process has used,
// from /proc/PID/stat (in clock ticks of 10 ms), or 0 without a PID.
func (b *bench) cpu() time.Duration {
	if b.pid == 0 {
		return 0
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", b.pid))
	if err != nil {
		return 0
	}
	// fields after the ")" that ends the command name: state is field 3,
	// utime 14 and stime 15
	rest := string(raw[strings.LastIndexByte(string(raw), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func (b *bench) do(base, auth string, body []byte, ttfb bool) (time.Duration, error) {
	req, _ := http.NewRequest("POST", base+"/v1/chat/completions", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+auth)
	req.Header.Set("Content-Type", "application/json")
	t0 := time.Now()
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		msg, _ := io.ReadAll(resp.Body)
		return 0, fmt.Errorf("%s: status %d: %s", base, resp.StatusCode, msg)
	}
	if !ttfb {
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return 0, err
		}
		return time.Since(t0), nil
	}
	// time to the first content delta
	br := bufio.NewReader(resp.Body)
	var d time.Duration
	for {
		line, err := br.ReadString('\n')
		if d == 0 && strings.Contains(line, `"content":"`) && !strings.Contains(line, `"content":""`) {
			d = time.Since(t0)
		}
		if err != nil {
			break
		}
	}
	if d == 0 {
		return 0, fmt.Errorf("%s: no content delta in the stream", base)
	}
	return d, nil
}

func pct(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d.Nanoseconds())/1e3) }

// pair runs n interleaved requests direct and through the gateway.
func (b *bench) pair(n int, body []byte, ttfb bool) (dir, gw []time.Duration, err error) {
	for i := 0; i < n+n/10; i++ { // the first tenth warms connections up and is dropped
		d1, err := b.do(b.direct, b.vendorKey, body, ttfb)
		if err != nil {
			return nil, nil, err
		}
		d2, err := b.do(b.gateway, b.key, body, ttfb)
		if err != nil {
			return nil, nil, err
		}
		if i >= n/10 {
			dir, gw = append(dir, d1), append(gw, d2)
		}
	}
	return dir, gw, nil
}

func (b *bench) run(n, conc int, dur time.Duration) error {
	fmt.Println("| request | direct p50 | gateway p50 | added p50 | direct p99 | gateway p99 | added p99 | gateway CPU per request |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, c := range []struct {
		name   string
		size   int
		secret string
		stream bool
	}{
		{"1 KB prompt", 1 << 10, "", false},
		{"16 KB prompt", 16 << 10, "", false},
		{"64 KB prompt", 64 << 10, "", false},
		{"16 KB prompt with an AWS key (redacted)", 16 << 10, "AKIA4HKQ7ZR2MXW3PT6N", false},
		{"stream, 1 KB prompt: time to first delta", 1 << 10, "", true},
		{"stream, 16 KB prompt: time to first delta", 16 << 10, "", true},
	} {
		body := fakevendor.ChatRequest("gpt-4o", fakevendor.Prompt(c.size, c.secret), c.stream)
		c0 := b.cpu()
		dir, gw, err := b.pair(n, body, c.stream)
		if err != nil {
			return err
		}
		cpu := "-"
		if b.pid != 0 {
			cpu = us((b.cpu() - c0) / time.Duration(n+n/10))
		}
		d50, g50, d99, g99 := pct(dir, .5), pct(gw, .5), pct(dir, .99), pct(gw, .99)
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", c.name, us(d50), us(g50), us(g50-d50), us(d99), us(g99), us(g99-d99), cpu)
	}
	fmt.Println()
	fmt.Printf("| throughput, %d clients, 1 KB prompt | requests/s | gateway CPU per request |\n|---|---|---|\n", conc)
	body := fakevendor.ChatRequest("gpt-4o", fakevendor.Prompt(1<<10, ""), false)
	for _, t := range []struct{ name, base, key string }{{"direct", b.direct, b.vendorKey}, {"gateway", b.gateway, b.key}} {
		var ok, failed atomic.Int64
		c0 := b.cpu()
		var wg sync.WaitGroup
		stop := time.Now().Add(dur)
		for range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(stop) {
					if _, err := b.do(t.base, t.key, body, false); err != nil {
						failed.Add(1)
						continue
					}
					ok.Add(1)
				}
			}()
		}
		wg.Wait()
		if failed.Load() > 0 {
			return fmt.Errorf("%s: %d requests failed", t.name, failed.Load())
		}
		cpu := "-"
		if b.pid != 0 && t.name == "gateway" && ok.Load() > 0 {
			cpu = us((b.cpu() - c0) / time.Duration(ok.Load()))
		}
		fmt.Printf("| %s | %.0f | %s |\n", t.name, float64(ok.Load())/dur.Seconds(), cpu)
	}
	return nil
}
