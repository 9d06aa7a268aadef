package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pavesec/pave/internal/sensor/event"
)

// Config is what Run runs.
type Config struct {
	Source event.Source
	// Enricher fills in containers; nil leaves events as they come (a
	// replayed recording is already enriched).
	Enricher event.Enricher
	// Redactor, when set, masks secrets in command lines before the
	// analyzers and the output see them (NewRedactor).
	Redactor *Redactor
	// Analyzers see every event that passes ContainersOnly, in order, from
	// one goroutine: the rule engine, the drift detector, the in-use
	// recorder.
	Analyzers []event.Analyzer
	// Output receives the JSON-lines stream; nil writes nothing. It is
	// flushed at least every 100ms while lines wait, so the stream is live.
	Output io.Writer
	// Types selects the event types written to Output (nil: all).
	// Analyzers see every type; findings are always written.
	Types map[event.Type]bool
	// ContainersOnly discards host events before the analyzers (counted
	// in Summary.Filtered).
	ContainersOnly bool
	// Enforce says, for a rule ID, whether the rule is marked enforce.
	// Its findings get an Action: "kernel" when the sensor already killed
	// the process, else Kill is called when set.
	Enforce func(ruleID string) bool
	// Kill kills a process (KillProcess, when --enforce is on); nil
	// records the action as "none".
	Kill func(ev *event.Event) error
	// HoldUnresolved is how long events of a container that enrichment
	// does not know yet are held back (in order, per container) waiting
	// for it to resolve: a new container's first events come before the
	// runtime has answered, and the first use of each file is reported
	// once per container. Default 2s when there is an Enricher; negative
	// turns holding off. Events of other containers flow meanwhile.
	HoldUnresolved time.Duration
	// Metrics, when set, is updated as events flow (serve it with
	// Metrics.ServeHTTP); Run makes its own otherwise.
	Metrics *Metrics
	// QueueLen bounds each queue between stages (default 4096).
	QueueLen int
	// DrainTimeout bounds how long Run keeps reading the source after ctx
	// ends, to flush what the kernel had already queued (default 250ms).
	DrainTimeout time.Duration
	// Warn receives warnings (dropped events) as they happen.
	Warn func(msg string)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// item is what the processing stage hands the writer.
type item struct {
	ev   *event.Event
	line *Line
}

// Run runs the pipeline until the source is exhausted (io.EOF) or ctx ends,
// then drains: it keeps reading the source for at most DrainTimeout, lets
// every queued event through the analyzers, writes the final stats line and
// flushes. It returns the summary, and an error when the source or the
// output failed (ctx ending is not an error: it is how a sensor stops).
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	if cfg.Source == nil {
		return nil, errors.New("pipeline: run: no source")
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 4096
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 250 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Warn == nil {
		cfg.Warn = func(string) {}
	}
	m := cfg.Metrics
	if m == nil {
		m = NewMetrics()
	}
	m.setSource(cfg.Source)
	start := cfg.Now()

	events := make(chan *event.Event, cfg.QueueLen)
	items := make(chan item, cfg.QueueLen)
	var srcErr, outErr error
	var wg sync.WaitGroup

	var bw *bufio.Writer
	if cfg.Output != nil {
		bw = bufio.NewWriterSize(cfg.Output, 64<<10)
	}

	// Drop monitor: warn as soon as the source reports new drops.
	monDone := make(chan struct{})
	stopMon := make(chan struct{})
	go func() {
		defer close(monDone)
		watchDrops(cfg.Source, cfg.Warn, stopMon)
	}()

	wg.Add(3)
	go func() { // read
		defer wg.Done()
		defer close(events)
		srcErr = read(ctx, cfg, events, m)
	}()
	go func() { // enrich, analyze, enforce
		defer wg.Done()
		defer close(items)
		process(ctx, cfg, events, items, m)
	}()
	go func() { // write
		defer wg.Done()
		outErr = write(bw, items, m, cfg.Types)
	}()
	wg.Wait()
	close(stopMon)
	<-monDone

	sum := m.summary(start, cfg.Now())
	if sum.DroppedTotal > 0 {
		cfg.Warn(dropWarning(sum.Dropped, sum.DroppedTotal, true))
	}
	if bw != nil && outErr == nil {
		outErr = writeLine(bw, &Line{Kind: KindStats, Time: sum.End, Stats: sum})
		if outErr == nil {
			outErr = bw.Flush()
		}
		if outErr != nil {
			outErr = fmt.Errorf("pipeline: output: %w", outErr)
		}
	}
	return sum, errors.Join(srcErr, outErr)
}

func read(ctx context.Context, cfg Config, out chan<- *event.Event, m *Metrics) error {
	src := cfg.Source
	send := func(ev *event.Event) {
		select {
		case out <- ev:
		default:
			m.queueWait("read")
			out <- ev
		}
	}
	for {
		ev, err := src.Next(ctx)
		if err == nil {
			send(ev)
			continue
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if ctx.Err() == nil {
			return fmt.Errorf("pipeline: source: %w", err)
		}
		break
	}
	// ctx ended: take what the kernel already queued, for a bounded time.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.DrainTimeout)
	defer cancel()
	for {
		ev, err := src.Next(dctx)
		if err != nil {
			return nil
		}
		send(ev)
	}
}

func process(ctx context.Context, cfg Config, in <-chan *event.Event, out chan<- item, m *Metrics) {
	send := func(it item) {
		select {
		case out <- it:
		default:
			m.queueWait("analyze")
			out <- it
		}
	}
	analyze := func(ev *event.Event) {
		m.event(ev)
		var lines []*Line
		for _, a := range cfg.Analyzers {
			for _, f := range a.Analyze(ev) {
				l := &Line{Kind: KindFinding, Time: ev.Time, Finding: &f}
				if cfg.Enforce != nil && cfg.Enforce(f.Rule.ID) {
					l.Action = enforce(cfg, ev)
					m.action(l.Action.By)
				}
				m.finding(&f)
				lines = append(lines, l)
			}
		}
		// The event goes to the writer only once the analyzers are done
		// with it: from here on it is read by the writer alone.
		send(item{ev: ev})
		for _, l := range lines {
			send(item{line: l})
		}
	}
	h := newHolder(cfg, m, analyze)
	tick := time.NewTicker(holdRetry)
	defer tick.Stop()
	for {
		select {
		case ev, ok := <-in:
			if !ok {
				h.releaseAll(ctx)
				return
			}
			if cfg.ContainersOnly && ev.Host {
				m.filtered()
				continue
			}
			if cfg.Enricher != nil {
				cfg.Enricher.Enrich(ctx, ev)
			}
			if cfg.Redactor != nil && ev.Type == event.Exec {
				cfg.Redactor.Redact(ev)
			}
			h.add(ev)
		case <-tick.C:
			h.retry(ctx, cfg.Now())
		}
	}
}

func enforce(cfg Config, ev *event.Event) *Action {
	a := &Action{Kind: "kill", PID: ev.Proc.PID}
	switch {
	case ev.Killed:
		a.By = "kernel"
	case cfg.Kill == nil:
		a.By = "none"
		a.Error = "enforcement is off"
	default:
		if err := cfg.Kill(ev); err != nil {
			a.By = "none"
			a.Error = err.Error()
		} else {
			a.By = "pave"
		}
	}
	return a
}

// flushEvery bounds how long a written line may sit in the buffer: the
// stream stays live (a finding is on disk within this) without a write
// system call per event.
const flushEvery = 100 * time.Millisecond

func write(bw *bufio.Writer, in <-chan item, m *Metrics, types map[event.Type]bool) error {
	var err error
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		var it item
		select {
		case v, ok := <-in:
			if !ok {
				if err != nil {
					return fmt.Errorf("pipeline: output: %w", err)
				}
				return nil
			}
			it = v
		case <-tick.C:
			if bw != nil && err == nil && bw.Buffered() > 0 {
				err = bw.Flush()
			}
			continue
		}
		if bw == nil || err != nil {
			continue // keep draining so the stages before never block
		}
		if it.ev != nil {
			if types != nil && !types[it.ev.Type] {
				continue
			}
			m.written()
			err = writeLine(bw, &Line{Kind: KindEvent, Event: it.ev})
		} else {
			err = writeLine(bw, it.line)
		}
	}
}

func writeLine(w *bufio.Writer, l *Line) error {
	b, err := marshalLine(l)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// marshalLine encodes one line of the stream, with its newline.
func marshalLine(l *Line) ([]byte, error) {
	b, err := json.Marshal(l)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// watchDrops polls the source's counters once a second and warns when
// drops grow, so a live run says so at once, not only at the end.
func watchDrops(src event.Source, warn func(string), stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var last uint64
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		d := src.Stats().Dropped
		var total uint64
		for _, n := range d {
			total += n
		}
		if total > last {
			warn(dropWarning(d, total, false))
			last = total
		}
	}
}

func dropWarning(d map[event.Type]uint64, total uint64, final bool) string {
	var parts []string
	for _, t := range slices.Sorted(maps.Keys(d)) {
		if d[t] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", t, d[t]))
		}
	}
	when := "so far"
	if final {
		when = "in all"
	}
	return fmt.Sprintf("the sensor dropped %d events %s (%s): its kernel buffer was full; the analysis is incomplete",
		total, when, strings.Join(parts, ", "))
}
