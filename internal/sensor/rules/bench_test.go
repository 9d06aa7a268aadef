package rules

import (
	"context"
	"testing"

	"github.com/pavesec/pave/internal/sensor/event"
)

// benchStream is a workload mix: mostly benign events (what a sensor sees
// almost all the time) with the trigger cases among them.
func benchStream() []*event.Event {
	var evs []*event.Event
	for i := 0; i < 4; i++ {
		for _, c := range benign() {
			evs = append(evs, c.ev)
		}
	}
	for _, c := range triggers() {
		evs = append(evs, c.ev)
	}
	return evs
}

func benchAnalyze(b *testing.B, e *Engine) {
	evs := benchStream()
	b.ReportAllocs()
	b.ResetTimer()
	findings := 0
	for i := 0; i < b.N; i++ {
		findings += len(e.Analyze(evs[i%len(evs)]))
	}
	b.ReportMetric(float64(len(e.rules)), "rules")
}

// BenchmarkAnalyzeBuiltin: ns per event with the 20 built-in rules.
func BenchmarkAnalyzeBuiltin(b *testing.B) { benchAnalyze(b, builtinEngine(b)) }

// BenchmarkAnalyzeFalco: ns per event with the built-in rules and every
// Falco rule (stable, incubating, sandbox) that loads.
func BenchmarkAnalyzeFalco(b *testing.B) {
	e, _, err := Load(context.Background(), Options{Files: falcoFiles})
	if err != nil {
		b.Fatal(err)
	}
	benchAnalyze(b, e)
}

// quietStream is the benign events on which e fires nothing: the cost of
// evaluation alone, the sensor's common case.
func quietStream(e *Engine) []*event.Event {
	var evs []*event.Event
	for _, c := range benign() {
		if len(e.Analyze(c.ev)) == 0 {
			evs = append(evs, c.ev)
		}
	}
	return evs
}

func benchQuiet(b *testing.B, e *Engine) {
	evs := quietStream(e)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(e.Analyze(evs[i%len(evs)])) != 0 {
			b.Fatal("a quiet event fired")
		}
	}
	b.ReportMetric(float64(len(evs)), "events")
}

// BenchmarkQuietBuiltin and BenchmarkQuietFalco: ns per event on which no
// rule fires.
func BenchmarkQuietBuiltin(b *testing.B) { benchQuiet(b, builtinEngine(b)) }

func BenchmarkQuietFalco(b *testing.B) {
	e, _, err := Load(context.Background(), Options{Files: falcoFiles})
	if err != nil {
		b.Fatal(err)
	}
	benchQuiet(b, e)
}

// BenchmarkLoadFalco: parse and compile the built-in and Falco files.
func BenchmarkLoadFalco(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := Load(context.Background(), Options{Files: falcoFiles}); err != nil {
			b.Fatal(err)
		}
	}
}
