package pipeline

import (
	"context"
	"time"

	"github.com/pavesec/pave/internal/sensor/event"
)

// Bounds on what the holder keeps.
const (
	holdRetry        = 50 * time.Millisecond // how often held containers are looked up again
	maxHeldPerCont   = 1024                  // events held for one container
	maxHeldTotal     = 8192                  // events held in all
	defaultHoldDelay = 2 * time.Second
	// maxRetries bounds the lookups of one retry tick: a lookup may wait
	// for the runtime (the resolver caps that wait), and a burst of new
	// containers must not stall the pipeline for long. Map order varies,
	// so every held container gets its turn.
	maxRetries = 4
)

// holder keeps the events of containers enrichment has not resolved yet,
// in order, until the container resolves (then they all get it), the hold
// time passes or a bound is reached (then they go on unresolved and count
// as enrichment misses).
type holder struct {
	cfg     Config
	m       *Metrics
	analyze func(*event.Event)
	wait    time.Duration
	held    map[string]*heldEvents
	total   int
}

type heldEvents struct {
	evs   []*event.Event
	since time.Time
}

func newHolder(cfg Config, m *Metrics, analyze func(*event.Event)) *holder {
	wait := cfg.HoldUnresolved
	if wait == 0 && cfg.Enricher != nil {
		wait = defaultHoldDelay
	}
	if cfg.Enricher == nil {
		wait = -1
	}
	return &holder{cfg: cfg, m: m, analyze: analyze, wait: wait, held: map[string]*heldEvents{}}
}

// add analyzes ev now, or holds it behind earlier events of its container.
func (h *holder) add(ev *event.Event) {
	id := ev.ContainerID
	if he := h.held[id]; id != "" && he != nil {
		he.evs = append(he.evs, ev)
		h.total++
		switch {
		case ev.Container != nil:
			h.release(id, ev.Container)
		case len(he.evs) >= maxHeldPerCont || h.total >= maxHeldTotal:
			h.release(id, nil)
		}
		return
	}
	if h.wait > 0 && ev.Container == nil && !ev.Host && id != "" && h.total < maxHeldTotal {
		h.held[id] = &heldEvents{evs: []*event.Event{ev}, since: h.cfg.Now()}
		h.total++
		h.m.held()
		return
	}
	h.analyze(ev)
}

// retry looks each held container up again (through its oldest event) and
// releases those resolved or held too long.
func (h *holder) retry(ctx context.Context, now time.Time) {
	tries := 0
	for id, he := range h.held {
		expired := now.Sub(he.since) >= h.wait
		if !expired {
			if tries == maxRetries {
				continue
			}
			tries++
		}
		probe := *he.evs[0]
		h.cfg.Enricher.Enrich(ctx, &probe)
		if probe.Container != nil || expired {
			h.release(id, probe.Container)
		}
	}
}

// release analyzes a container's held events in order, giving them c.
func (h *holder) release(id string, c *event.Container) {
	he := h.held[id]
	delete(h.held, id)
	h.total -= len(he.evs)
	for _, ev := range he.evs {
		if ev.Container == nil && c != nil {
			ev.Container = c
		}
		h.analyze(ev)
	}
}

// releaseAll gives every held container a last lookup, then lets all go.
func (h *holder) releaseAll(ctx context.Context) {
	for id, he := range h.held {
		probe := *he.evs[0]
		h.cfg.Enricher.Enrich(ctx, &probe)
		h.release(id, probe.Container)
	}
}
