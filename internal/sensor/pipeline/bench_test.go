package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/sensor/container"
	"github.com/pavesec/pave/internal/sensor/event"
	"github.com/pavesec/pave/internal/sensor/rules"
	"github.com/pavesec/pave/internal/sensor/sensortest"
)

// cycle is a reader that repeats data n times: a long replay without the
// memory of one.
type cycle struct {
	data []byte
	n    int
	off  int
}

func (c *cycle) Read(p []byte) (int, error) {
	if c.n == 0 {
		return 0, io.EOF
	}
	k := copy(p, c.data[c.off:])
	c.off += k
	if c.off == len(c.data) {
		c.off = 0
		c.n--
	}
	return k, nil
}

// memory replays decoded events n times: the pipeline's own cost without
// the JSON decoding a file replay adds (the live sensor decodes a compact
// binary record instead).
type memory struct {
	evs  []*event.Event
	n, i int
}

func (m *memory) Next(ctx context.Context) (*event.Event, error) {
	if m.i == len(m.evs) {
		m.i = 0
		m.n--
	}
	if m.n <= 0 {
		return nil, io.EOF
	}
	ev := *m.evs[m.i] // a copy: stages downstream own it
	m.i++
	return &ev, nil
}

func (m *memory) Stats() event.Stats { return event.Stats{} }
func (m *memory) Close() error       { return nil }

// eventLines returns the event lines of the recording, each passed
// through edit.
func eventLines(b *testing.B, edit func(*event.Event)) ([]byte, int) {
	b.Helper()
	var out bytes.Buffer
	b.StopTimer()
	defer b.StartTimer()
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(recording(b)))
	sc.Buffer(nil, MaxLineBytes)
	for sc.Scan() {
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			b.Fatal(err)
		}
		if l.Kind != KindEvent {
			continue
		}
		edit(l.Event)
		line, err := marshalLine(&l)
		if err != nil {
			b.Fatal(err)
		}
		out.Write(line)
		n++
	}
	return out.Bytes(), n
}

// BenchmarkPipeline replays the real recording through the built-in rules,
// credential masking and the JSON output (to io.Discard): read from its
// JSON lines ("replay+rules+json", what pave sensor replay does), from
// memory with the events' own containers ("rules+json"), and from memory
// with every event pointed at a live container that the real Docker-backed
// resolver must name ("enrich+rules+json": the live pipeline's work after
// the kernel). It reports events/s and ns/event.
func BenchmarkPipeline(b *testing.B) {
	ctx := context.Background()
	eng, _, err := rules.Load(ctx, rules.Options{})
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, src event.Source, enr event.Enricher) {
		b.ResetTimer()
		start := time.Now()
		sum, err := Run(ctx, Config{Source: src, Enricher: enr, Analyzers: []event.Analyzer{eng},
			Output: io.Discard, Redactor: NewRedactor(nil), Enforce: eng.Enforces})
		if err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		b.StopTimer()
		var n uint64
		for _, v := range sum.Events {
			n += v
		}
		b.ReportMetric(float64(n)/el.Seconds(), "events/s")
		b.ReportMetric(float64(el.Nanoseconds())/float64(n), "ns/event")
		b.ReportMetric(0, "ns/op")
	}
	cycles := func(perCycle int) int { return max(1, (b.N+perCycle-1)/perCycle) }
	b.Run("replay+rules+json", func(b *testing.B) {
		data, n := eventLines(b, func(*event.Event) {})
		run(b, NewReplay(&cycle{data: data, n: cycles(n)}, "bench"), nil)
	})
	b.Run("rules+json", func(b *testing.B) {
		data, n := eventLines(b, func(*event.Event) {})
		evs, err := readAll(b, NewReplay(bytes.NewReader(data), "bench"))
		if err != nil {
			b.Fatal(err)
		}
		run(b, &memory{evs: evs, n: cycles(n)}, nil)
	})
	b.Run("enrich+rules+json", func(b *testing.B) {
		id := sensortest.RunContainer(b, ctx, sensortest.RunOptions{})
		cg := sensortest.CgroupID(b, id)
		res, err := container.New(ctx, container.Config{DockerSocket: sensortest.DockerSocket(b)})
		if err != nil {
			b.Fatal(err)
		}
		defer res.Close()
		data, n := eventLines(b, func(ev *event.Event) {
			ev.CgroupID, ev.Container, ev.ContainerID = cg, nil, ""
		})
		evs, err := readAll(b, NewReplay(bytes.NewReader(data), "bench"))
		if err != nil {
			b.Fatal(err)
		}
		run(b, &memory{evs: evs, n: cycles(n)}, res)
	})
}
