package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/sensor/event"
)

// readLines decodes a stream the pipeline wrote.
func readLines(t *testing.T, b []byte) []Line {
	t.Helper()
	var ls []Line
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, MaxLineBytes)
	for sc.Scan() {
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		ls = append(ls, l)
	}
	return ls
}

func fixedClock() func() time.Time {
	t := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	return func() time.Time { return t }
}

func TestRunReplayStream(t *testing.T) {
	tests := []struct {
		name           string
		types          map[event.Type]bool
		containersOnly bool
		wantWritten    []event.Type
		wantEvents     map[event.Type]uint64
		wantFiltered   uint64
	}{
		{"all", nil, false, []event.Type{event.Exec, event.Open, event.Connect},
			map[event.Type]uint64{event.Exec: 1, event.Open: 1, event.Connect: 1}, 3},
		{"type filter", map[event.Type]bool{event.Connect: true}, false, []event.Type{event.Connect},
			map[event.Type]uint64{event.Exec: 1, event.Open: 1, event.Connect: 1}, 3},
		{"containers only", nil, true, []event.Type{event.Exec, event.Connect},
			map[event.Type]uint64{event.Exec: 1, event.Connect: 1}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := OpenReplay("testdata/handmade.jsonl")
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var out bytes.Buffer
			var warnings []string
			sum, err := Run(context.Background(), Config{Source: src, Output: &out, Types: tt.types,
				ContainersOnly: tt.containersOnly, Now: fixedClock(), QueueLen: 1,
				Warn: func(s string) { warnings = append(warnings, s) }})
			if err != nil {
				t.Fatal(err)
			}
			lines := readLines(t, out.Bytes())
			var written []event.Type
			for _, l := range lines[:len(lines)-1] {
				if l.Kind != KindEvent || l.Event == nil {
					t.Fatalf("unexpected line %+v", l)
				}
				written = append(written, l.Event.Type)
			}
			if diff := cmp.Diff(tt.wantWritten, written); diff != "" {
				t.Errorf("written events (-want +got):\n%s", diff)
			}
			last := lines[len(lines)-1]
			if last.Kind != KindStats || last.Stats == nil {
				t.Fatalf("last line is not stats: %+v", last)
			}
			if diff := cmp.Diff(sum, last.Stats); diff != "" {
				t.Errorf("stats line differs from the summary (-returned +written):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantEvents, sum.Events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			// The recording itself had dropped 7 openat events: a replay
			// reports them, in the summary and as a warning.
			if sum.DroppedTotal != 7 || sum.Dropped[event.Open] != 7 || sum.Filtered != tt.wantFiltered ||
				sum.Written != uint64(len(tt.wantWritten)) {
				t.Errorf("summary %+v", sum)
			}
			// The connect event is from a container nobody resolved.
			if sum.EnrichMisses != 1 {
				t.Errorf("enrich misses = %d, want 1", sum.EnrichMisses)
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], "dropped 7 events in all (openat 7)") {
				t.Errorf("warnings %q", warnings)
			}
		})
	}
}

// TestRunRoundTrip: a stream written by Run replays to the same events.
func TestRunRoundTrip(t *testing.T) {
	src, err := OpenReplay("testdata/handmade.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	want, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	src.Close()
	src, _ = OpenReplay("testdata/handmade.jsonl")
	defer src.Close()
	var out bytes.Buffer
	if _, err := Run(context.Background(), Config{Source: src, Output: &out}); err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, NewReplay(&out, "out"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestRunSourceError(t *testing.T) {
	var out bytes.Buffer
	_, err := Run(context.Background(), Config{Source: NewReplay(strings.NewReader("{}\n"), "bad.jsonl"), Output: &out})
	if err == nil || !strings.Contains(err.Error(), `bad.jsonl:1: event: no "type"`) {
		t.Fatalf("err = %v", err)
	}
	// The stream still ends with a stats line.
	lines := readLines(t, out.Bytes())
	if len(lines) != 1 || lines[0].Kind != KindStats {
		t.Errorf("lines %+v", lines)
	}
}

type failWriter struct{}

func (w *failWriter) Write(b []byte) (int, error) {
	return 0, os.ErrClosed
}

func TestRunOutputError(t *testing.T) {
	src, _ := OpenReplay("testdata/handmade.jsonl")
	defer src.Close()
	sum, err := Run(context.Background(), Config{Source: src, Output: &failWriter{}})
	if err == nil || !strings.Contains(err.Error(), "pipeline: output:") {
		t.Fatalf("err = %v", err)
	}
	// The analyzers still saw every event.
	if sum.Events[event.Connect] != 1 {
		t.Errorf("summary %+v", sum)
	}
}

func TestMetricsText(t *testing.T) {
	src, _ := OpenReplay("testdata/handmade.jsonl")
	defer src.Close()
	m := NewMetrics()
	if _, err := Run(context.Background(), Config{Source: src, Metrics: m, ContainersOnly: true}); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := m.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# TYPE pave_sensor_events_total counter\n",
		`pave_sensor_events_total{type="connect"} 1` + "\n",
		`pave_sensor_events_total{type="execve"} 1` + "\n",
		`pave_sensor_events_received_total{type="openat"} 1` + "\n",
		`pave_sensor_events_dropped_total{type="openat"} 7` + "\n",
		`pave_sensor_events_dropped_total{type="execve"} 0` + "\n",
		"pave_sensor_events_filtered_total 4\n",
		"pave_sensor_enrichment_misses_total 1\n",
		"# TYPE process_resident_memory_bytes gauge\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), `pave_sensor_events_total{type="openat"}`) {
		t.Errorf("host openat counted under --containers-only:\n%s", b.String())
	}
}
