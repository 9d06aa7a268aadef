package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/sensor/event"
	"github.com/pavesec/pave/internal/sensor/rules"
)

// recording returns the real recording in testdata, decompressed.
func recording(tb testing.TB) []byte {
	tb.Helper()
	f, err := os.Open("testdata/recording.jsonl.gz")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fingerprints returns, sorted, what identifies each finding line: rule,
// target, container, path, process and time. (Not Fingerprint: it covers
// the rendered evidence, whose wording may change with the rules.)
func fingerprints(t *testing.T, ls []Line) []string {
	t.Helper()
	var fps []string
	for _, l := range ls {
		if l.Kind == KindFinding {
			f := l.Finding
			fps = append(fps, strings.Join([]string{f.Rule.ID, f.Target.Name, f.Location.Container,
				f.Location.Path, f.Location.Process, l.Time.String()}, " "))
		}
	}
	slices.Sort(fps)
	return fps
}

// TestReplayReproducesFindings: re-running the built-in rules over the
// real recording (gzip-compressed, read by OpenReplay) gives exactly the
// findings the live run recorded, and the replay's stats count every
// recorded event.
func TestReplayReproducesFindings(t *testing.T) {
	raw := recording(t)
	recorded := readLines(t, raw)
	want := fingerprints(t, recorded)
	if len(want) < 8 {
		t.Fatalf("the recording holds %d findings, want at least 8", len(want))
	}
	eng, _, err := rules.Load(context.Background(), rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src, err := OpenReplay("testdata/recording.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out bytes.Buffer
	sum, err := Run(context.Background(), Config{Source: src, Analyzers: []event.Analyzer{eng}, Output: &out,
		Types: map[event.Type]bool{}, Enforce: eng.Enforces})
	if err != nil {
		t.Fatal(err)
	}
	got := readLines(t, out.Bytes())
	if diff := cmp.Diff(want, fingerprints(t, got)); diff != "" {
		t.Errorf("findings (-recorded +replayed):\n%s", diff)
	}
	var last Summary
	if err := json.Unmarshal(mustStats(t, recorded), &last); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(last.Events, sum.Events); diff != "" {
		t.Errorf("events by type (-recorded +replayed):\n%s", diff)
	}
	// Enforcing rules without enforcement: the action says nothing was done.
	for _, l := range got {
		if l.Kind == KindFinding && eng.Enforces(l.Finding.Rule.ID) && (l.Action == nil || l.Action.By != "none") {
			t.Errorf("finding %s: action %+v", l.Finding.Rule.ID, l.Action)
		}
	}
}

func mustStats(t *testing.T, ls []Line) []byte {
	t.Helper()
	l := ls[len(ls)-1]
	if l.Kind != KindStats {
		t.Fatalf("the recording does not end with stats: %+v", l)
	}
	b, err := json.Marshal(l.Stats)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
