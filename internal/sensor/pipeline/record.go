// Package pipeline runs pave's runtime sensor: events flow from a Source
// (the eBPF sensor, or a recording replayed) through enrichment and the
// analyzers (rules, drift, the in-use recorder) to a JSON-lines stream, with
// bounded queues between the stages, per-type counters exposed as Prometheus
// metrics, optional userspace enforcement, and a final stats line. Nothing is
// dropped silently: the source's kernel-side drops and every wait on a full
// queue are counted and reported.
//
// The stream it writes is also what Replay reads back, so an analysis can be
// re-run offline on a recording (docs/sensor.md describes the schema).
package pipeline

import (
	"time"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/sensor/event"
)

// The values of Line.Kind.
const (
	KindEvent   = "event"
	KindFinding = "finding"
	KindStats   = "stats"
)

// Line is one line of the stream. Kind says which of the other fields is
// set:
//
//	{"kind":"event","event":{...}}
//	{"kind":"finding","time":"...","finding":{...},"action":{...}}
//	{"kind":"stats","time":"...","stats":{...}}
type Line struct {
	Kind string `json:"kind"`
	// Time is the triggering event's time for a finding, the time the
	// pipeline stopped for stats.
	Time    time.Time        `json:"time,omitzero"`
	Event   *event.Event     `json:"event,omitempty"`
	Finding *finding.Finding `json:"finding,omitempty"`
	// Action is what enforcement did about a finding, when its rule is
	// marked enforce.
	Action *Action  `json:"action,omitempty"`
	Stats  *Summary `json:"stats,omitempty"`
}

// Action records what was done about a finding of an enforcing rule.
type Action struct {
	// Kind is "kill".
	Kind string `json:"kind"`
	PID  uint32 `json:"pid"`
	// By is "kernel" when the sensor's hook killed the process before it
	// ran (Event.Killed), "pave" when the pipeline sent SIGKILL, "none"
	// when enforcement is off or refused (Error says why).
	By    string `json:"by"`
	Error string `json:"error,omitempty"`
}

// Summary is the pipeline's account of a run: the final stats line.
type Summary struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Last is the time of the last event analyzed.
	Last time.Time `json:"last,omitzero"`
	// Received and Dropped are the source's own counters (event.Stats):
	// what the kernel delivered, and what it could not queue.
	Received map[event.Type]uint64 `json:"received"`
	Dropped  map[event.Type]uint64 `json:"dropped"`
	// DroppedTotal is the sum of Dropped.
	DroppedTotal uint64 `json:"droppedTotal"`
	// Filtered counts events discarded on purpose: by the kernel side
	// (event.Stats.Filtered) and host events under ContainersOnly.
	Filtered uint64 `json:"filtered"`
	// Events counts the events that went through the analyzers, by type.
	Events map[event.Type]uint64 `json:"events"`
	// Written counts the event lines written (after the type filter).
	Written uint64 `json:"written"`
	// EnrichMisses counts container events enrichment could not resolve.
	EnrichMisses uint64 `json:"enrichMisses"`
	// EnrichHolds counts the times a container's events were held back
	// until enrichment resolved the container (Config.HoldUnresolved).
	EnrichHolds uint64 `json:"enrichHolds,omitempty"`
	// Findings counts findings by rule ID, Severities by severity.
	Findings   map[string]uint64 `json:"findings"`
	Severities map[string]uint64 `json:"severities,omitempty"`
	// Actions counts enforcement actions by who acted ("kernel", "pave",
	// "none").
	Actions map[string]uint64 `json:"actions,omitempty"`
	// QueueWaits counts the times a stage found the next stage's queue
	// full and had to wait for it (backpressure), by the stage that
	// waited.
	QueueWaits map[string]uint64 `json:"queueWaits"`
}
