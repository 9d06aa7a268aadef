package pipeline

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/promtext"
	"github.com/pavesec/pave/internal/sensor/event"
)

// Metrics are the pipeline's counters. They are safe for concurrent use;
// ServeHTTP writes them in the Prometheus text exposition format (0.0.4).
type Metrics struct {
	mu           sync.Mutex
	src          event.Source
	events       map[event.Type]uint64
	findings     map[ruleSeverity]uint64
	actions      map[string]uint64
	waits        map[string]uint64
	enrichMisses uint64
	heldConts    uint64
	filteredHost uint64
	writtenLines uint64
	last         time.Time
}

type ruleSeverity struct {
	rule     string
	severity finding.Severity
}

// NewMetrics returns zeroed counters.
func NewMetrics() *Metrics {
	return &Metrics{events: map[event.Type]uint64{}, findings: map[ruleSeverity]uint64{},
		actions: map[string]uint64{}, waits: map[string]uint64{}}
}

func (m *Metrics) setSource(s event.Source) {
	m.mu.Lock()
	m.src = s
	m.mu.Unlock()
}

func (m *Metrics) event(ev *event.Event) {
	m.mu.Lock()
	m.events[ev.Type]++
	if ev.Time.After(m.last) {
		m.last = ev.Time
	}
	if !ev.Host && ev.Container == nil {
		m.enrichMisses++
	}
	m.mu.Unlock()
}

func (m *Metrics) finding(f *finding.Finding) {
	m.mu.Lock()
	m.findings[ruleSeverity{f.Rule.ID, f.Severity}]++
	m.mu.Unlock()
}

func (m *Metrics) action(by string) {
	m.mu.Lock()
	m.actions[by]++
	m.mu.Unlock()
}

func (m *Metrics) queueWait(stage string) {
	m.mu.Lock()
	m.waits[stage]++
	m.mu.Unlock()
}

func (m *Metrics) held() {
	m.mu.Lock()
	m.heldConts++
	m.mu.Unlock()
}

func (m *Metrics) filtered() {
	m.mu.Lock()
	m.filteredHost++
	m.mu.Unlock()
}

func (m *Metrics) written() {
	m.mu.Lock()
	m.writtenLines++
	m.mu.Unlock()
}

// sourceStats reads the source's counters outside the lock.
func (m *Metrics) sourceStats() event.Stats {
	m.mu.Lock()
	src := m.src
	m.mu.Unlock()
	if src == nil {
		return event.Stats{}
	}
	return src.Stats()
}

func (m *Metrics) summary(start, end time.Time) *Summary {
	st := m.sourceStats()
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &Summary{Start: start, End: end, Last: m.last,
		Received: nonNil(st.Received), Dropped: nonNil(st.Dropped),
		Filtered: st.Filtered + m.filteredHost, Events: maps.Clone(m.events), Written: m.writtenLines,
		EnrichMisses: m.enrichMisses, EnrichHolds: m.heldConts, Findings: map[string]uint64{}, QueueWaits: maps.Clone(m.waits)}
	for _, n := range s.Dropped {
		s.DroppedTotal += n
	}
	for k, n := range m.findings {
		s.Findings[k.rule] += n
		if s.Severities == nil {
			s.Severities = map[string]uint64{}
		}
		s.Severities[k.severity.String()] += n
	}
	if len(m.actions) > 0 {
		s.Actions = maps.Clone(m.actions)
	}
	return s
}

func nonNil(m map[event.Type]uint64) map[event.Type]uint64 {
	if m == nil {
		return map[event.Type]uint64{}
	}
	return maps.Clone(m)
}

// ServeHTTP writes the metrics in the Prometheus text format.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	m.WriteText(&buf)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write(buf.Bytes())
}

// WriteText writes the metrics in the Prometheus text exposition format,
// series sorted by label so the output is stable.
func (m *Metrics) WriteText(w io.Writer) error {
	st := m.sourceStats()
	m.mu.Lock()
	events := maps.Clone(m.events)
	findings := maps.Clone(m.findings)
	actions := maps.Clone(m.actions)
	waits := maps.Clone(m.waits)
	misses, held, filtered, written := m.enrichMisses, m.heldConts, m.filteredHost+st.Filtered, m.writtenLines
	m.mu.Unlock()

	bw := bufio.NewWriter(w)
	typeCounter(bw, "pave_sensor_events_total", "Events that went through the analyzers, by type.", events)
	typeCounter(bw, "pave_sensor_events_received_total", "Events the sensor delivered, by type.", st.Received)
	// Every type has a dropped series, zero or not, so that rate() and
	// alerts work before the first drop.
	dropped := map[event.Type]uint64{}
	for _, t := range Types() {
		dropped[t] = 0
	}
	for t, n := range st.Dropped {
		dropped[t] = n
	}
	typeCounter(bw, "pave_sensor_events_dropped_total", "Events the sensor could not queue (kernel buffer full), by type.", dropped)
	promtext.Family(bw, "pave_sensor_events_filtered_total", "counter", "Events discarded on purpose (kernel-side filters, --containers-only).")
	fmt.Fprintf(bw, "pave_sensor_events_filtered_total %d\n", filtered)
	promtext.Family(bw, "pave_sensor_events_written_total", "counter", "Event lines written to the output.")
	fmt.Fprintf(bw, "pave_sensor_events_written_total %d\n", written)
	promtext.Family(bw, "pave_sensor_enrichment_misses_total", "counter", "Container events whose container could not be resolved.")
	fmt.Fprintf(bw, "pave_sensor_enrichment_misses_total %d\n", misses)
	promtext.Family(bw, "pave_sensor_enrichment_holds_total", "counter", "Times a container's events were held back until enrichment resolved it.")
	fmt.Fprintf(bw, "pave_sensor_enrichment_holds_total %d\n", held)

	promtext.Family(bw, "pave_sensor_findings_total", "counter", "Findings, by rule and severity.")
	keys := slices.SortedFunc(maps.Keys(findings), func(a, b ruleSeverity) int {
		if c := strings.Compare(a.rule, b.rule); c != 0 {
			return c
		}
		return int(a.severity - b.severity)
	})
	for _, k := range keys {
		fmt.Fprintf(bw, "pave_sensor_findings_total{rule=%s,severity=%s} %d\n", promtext.Label(k.rule), promtext.Label(k.severity.String()), findings[k])
	}
	promtext.Family(bw, "pave_sensor_enforcement_actions_total", "counter", "Enforcement actions on findings of enforcing rules, by who acted (kernel, pave, none).")
	for _, k := range slices.Sorted(maps.Keys(actions)) {
		fmt.Fprintf(bw, "pave_sensor_enforcement_actions_total{by=%s} %d\n", promtext.Label(k), actions[k])
	}
	promtext.Family(bw, "pave_sensor_queue_waits_total", "counter", "Times a stage waited on a full queue (backpressure), by stage.")
	for _, k := range slices.Sorted(maps.Keys(waits)) {
		fmt.Fprintf(bw, "pave_sensor_queue_waits_total{stage=%s} %d\n", promtext.Label(k), waits[k])
	}
	if rss, ok := residentBytes(); ok {
		promtext.Family(bw, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
		fmt.Fprintf(bw, "process_resident_memory_bytes %d\n", rss)
	}
	return bw.Flush()
}

func typeCounter(w io.Writer, name, help string, m map[event.Type]uint64) {
	promtext.Family(w, name, "counter", help)
	for _, t := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(w, "%s{type=%s} %d\n", name, promtext.Label(string(t)), m[t])
	}
}

// residentBytes reads VmRSS from /proc/self/status.
func residentBytes() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				n, err := strconv.ParseUint(f[0], 10, 64)
				return n * 1024, err == nil
			}
		}
	}
	return 0, false
}
