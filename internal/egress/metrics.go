package egress

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pavesec/pave/internal/egress/audit"
	"github.com/pavesec/pave/internal/promtext"
)

// Metrics counts what the gateway did, for /metrics in the Prometheus
// text format (written by hand: no client library).
type Metrics struct {
	inflight atomic.Int64

	mu       sync.Mutex
	requests map[[4]string]int64 // vendor, model, action, inspection
	findings map[[3]string]int64 // rule, category, where
	failures map[[2]string]int64 // vendor, inspection status
	bytesIn  map[string]int64    // vendor
	bytesOut map[string]int64
	tokens   map[[3]string]int64 // vendor, model, direction
	counts   []int64             // per latencyBuckets, then +Inf
	sum      float64
	count    int64
}

// latencyBuckets are the upper bounds, in seconds, of the latency
// histogram: from sub-millisecond refusals to minute-long streams.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	return &Metrics{requests: map[[4]string]int64{}, findings: map[[3]string]int64{},
		failures: map[[2]string]int64{}, bytesIn: map[string]int64{}, bytesOut: map[string]int64{},
		tokens: map[[3]string]int64{}, counts: make([]int64, len(latencyBuckets)+1)}
}

func (m *Metrics) observe(e *audit.Entry, lat time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[4]string{e.Vendor, e.Model, e.Action, e.Inspection}]++
	for _, f := range e.Findings {
		m.findings[[3]string{f.Rule, f.Category, f.Where}] += int64(f.Count)
	}
	if e.Inspection == audit.InspectionFailedOpen || e.Inspection == audit.InspectionFailedClosed {
		m.failures[[2]string{e.Vendor, e.Inspection}]++
	}
	m.bytesIn[e.Vendor] += max(e.RequestBytes, 0)
	m.bytesOut[e.Vendor] += e.ResponseBytes
	if u := e.Usage; u != nil {
		m.tokens[[3]string{e.Vendor, e.Model, "input"}] += u.InputTokens
		m.tokens[[3]string{e.Vendor, e.Model, "output"}] += u.OutputTokens
	}
	s := lat.Seconds()
	i := sort.SearchFloat64s(latencyBuckets, s)
	m.counts[i]++
	m.sum += s
	m.count++
}

// WriteTo writes the metrics in the Prometheus text exposition format.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	m.mu.Lock()
	promtext.Family(&b, "pave_gateway_requests_total", "counter", "Requests by vendor, model, action and inspection status.")
	for _, k := range sortedKeys(m.requests) {
		fmt.Fprintf(&b, "pave_gateway_requests_total{vendor=%s,model=%s,action=%s,inspection=%s} %d\n", promtext.Label(k[0]), promtext.Label(k[1]), promtext.Label(k[2]), promtext.Label(k[3]), m.requests[k])
	}
	promtext.Family(&b, "pave_gateway_findings_total", "counter", "Sensitive values found, by rule, category and direction.")
	for _, k := range sortedKeys(m.findings) {
		fmt.Fprintf(&b, "pave_gateway_findings_total{rule=%s,category=%s,where=%s} %d\n", promtext.Label(k[0]), promtext.Label(k[1]), promtext.Label(k[2]), m.findings[k])
	}
	promtext.Family(&b, "pave_gateway_inspection_failures_total", "counter", "Exchanges not fully inspected, by vendor and outcome (failed-open relayed, failed-closed refused).")
	for _, k := range sortedKeys(m.failures) {
		fmt.Fprintf(&b, "pave_gateway_inspection_failures_total{vendor=%s,status=%s} %d\n", promtext.Label(k[0]), promtext.Label(k[1]), m.failures[k])
	}
	promtext.Family(&b, "pave_gateway_tokens_total", "counter", "Tokens the vendors reported, by vendor, model and direction.")
	for _, k := range sortedKeys(m.tokens) {
		fmt.Fprintf(&b, "pave_gateway_tokens_total{vendor=%s,model=%s,direction=%s} %d\n", promtext.Label(k[0]), promtext.Label(k[1]), promtext.Label(k[2]), m.tokens[k])
	}
	promtext.Family(&b, "pave_gateway_request_bytes_total", "counter", "Request body bytes received, by vendor.")
	for _, k := range sortedKeys(m.bytesIn) {
		fmt.Fprintf(&b, "pave_gateway_request_bytes_total{vendor=%s} %d\n", promtext.Label(k), m.bytesIn[k])
	}
	promtext.Family(&b, "pave_gateway_response_bytes_total", "counter", "Reply body bytes received from vendors, by vendor.")
	for _, k := range sortedKeys(m.bytesOut) {
		fmt.Fprintf(&b, "pave_gateway_response_bytes_total{vendor=%s} %d\n", promtext.Label(k), m.bytesOut[k])
	}
	promtext.Family(&b, "pave_gateway_request_duration_seconds", "histogram", "Time from request to the end of the reply (streams included).")
	var cum int64
	for i, le := range latencyBuckets {
		cum += m.counts[i]
		fmt.Fprintf(&b, "pave_gateway_request_duration_seconds_bucket{le=\"%g\"} %d\n", le, cum)
	}
	cum += m.counts[len(latencyBuckets)]
	fmt.Fprintf(&b, "pave_gateway_request_duration_seconds_bucket{le=\"+Inf\"} %d\n", cum)
	fmt.Fprintf(&b, "pave_gateway_request_duration_seconds_sum %g\npave_gateway_request_duration_seconds_count %d\n", m.sum, m.count)
	m.mu.Unlock()
	promtext.Family(&b, "pave_gateway_in_flight_requests", "gauge", "Requests being relayed now.")
	fmt.Fprintf(&b, "pave_gateway_in_flight_requests %d\n", m.inflight.Load())
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func sortedKeys[K interface {
	comparable
	~[2]string | ~[3]string | ~[4]string | ~string
}, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out
}
