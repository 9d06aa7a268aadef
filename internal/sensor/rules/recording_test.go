package rules

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/pavesec/pave/internal/sensor/event"
)

// recording reads the events of testdata/recording.jsonl.gz, a real
// capture of the eBPF sensor (see testdata/README.md).
func recording(t testing.TB) []*event.Event {
	t.Helper()
	f, err := os.Open("testdata/recording.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var evs []*event.Event
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Kind  string       `json:"kind"`
			Event *event.Event `json:"event"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		if line.Kind == "event" && line.Event != nil {
			evs = append(evs, line.Event)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(evs) < 1000 {
		t.Fatalf("only %d events in the recording", len(evs))
	}
	return evs
}

// replay runs every recorded event through e and lists the findings as
// "rule | process | evidence", in order.
func replay(e *Engine, evs []*event.Event) []string {
	var out []string
	for _, ev := range evs {
		for _, f := range e.Analyze(ev) {
			out = append(out, fmt.Sprintf("%s | %s | %s", f.Rule.ID, f.Location.Process, f.Evidence))
		}
	}
	return out
}

// TestRecording: on a real capture (a container running a benign loop,
// then an attack script) the built-in rules report exactly the attack
// steps, and Falco's rules what the golden file lists.
func TestRecording(t *testing.T) {
	evs := recording(t)
	got := replay(builtinEngine(t), evs)
	ids := map[string]int{}
	for _, g := range got {
		id, _, _ := strings.Cut(g, " | ")
		ids[id]++
	}
	// The script: cat /etc/shadow, dpkg, bash /dev/tcp, nc to 3333, touch
	// below /usr/local/bin, append to /etc/motd, find -exec sh.
	for _, id := range []string{"PAVE-RT-002", "PAVE-RT-003", "PAVE-RT-005", "PAVE-RT-007", "PAVE-RT-009", "PAVE-RT-010", "PAVE-RT-015"} {
		if ids[id] == 0 {
			t.Errorf("%s did not fire on the recording", id)
		}
	}
	e, _, err := Load(context.Background(), Options{Files: falcoFiles, NoBuiltin: true})
	if err != nil {
		t.Fatal(err)
	}
	falco := replay(e, evs)
	var b strings.Builder
	fmt.Fprintf(&b, "# built-in rules: %d findings\n", len(got))
	for _, g := range got {
		b.WriteString(g + "\n")
	}
	fmt.Fprintf(&b, "\n# Falco's stable, incubating and sandbox rules: %d findings\n", len(falco))
	counts := map[string]int{}
	for _, g := range falco {
		id, _, _ := strings.Cut(g, " | ")
		counts[id]++
	}
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%4d %s\n", counts[k], k)
	}
	golden(t, "testdata/recording.golden", b.String())
}

// BenchmarkRecording: ns per real event, built-in rules and the Falco set.
func BenchmarkRecording(b *testing.B) {
	evs := recording(b)
	for _, bc := range []struct {
		name  string
		files []string
	}{{"builtin", nil}, {"builtin+falco", falcoFiles}} {
		b.Run(bc.name, func(b *testing.B) {
			e, _, err := Load(context.Background(), Options{Files: bc.files})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e.Analyze(evs[i%len(evs)])
			}
		})
	}
}
