package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/sensor/event"
)

func readAll(t testing.TB, src event.Source) ([]*event.Event, error) {
	t.Helper()
	var evs []*event.Event
	for {
		ev, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return evs, nil
		}
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
	}
}

func TestReplayHandmade(t *testing.T) {
	r, err := OpenReplay("testdata/handmade.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	evs, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, string(ev.Type)+" "+ev.Proc.Comm)
	}
	if diff := cmp.Diff([]string{"execve sed", "openat systemd", "connect nc"}, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if evs[0].Container == nil || evs[0].Container.Image != "pave-test/runtime:bookworm" || evs[0].Proc.Args[3] != "/etc/hostname" {
		t.Errorf("first event lost fields: %+v", evs[0])
	}
	if !evs[1].Host || evs[2].Net == nil || evs[2].Net.DstPort != 4444 {
		t.Errorf("events lost fields: %+v %+v", evs[1], evs[2])
	}
	st := r.Stats()
	want := event.Stats{Received: map[event.Type]uint64{event.Exec: 1, event.Open: 1, event.Connect: 1},
		Dropped: map[event.Type]uint64{event.Open: 7}, Filtered: 3}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestReplayErrors(t *testing.T) {
	ok := `{"kind":"event","event":{"time":"2026-12-07T22:00:00Z","type":"exit","cgroupId":1,"host":true,"proc":{"pid":5,"tid":5,"ppid":1,"uid":0,"gid":0,"euid":0,"comm":"x","capEffective":0}}}`
	tests := []struct {
		name, in, want string
	}{
		{"not json", ok + "\nhello\n", "x.jsonl:2: not a JSON object"},
		{"truncated", ok + "\n" + ok[:40] + "\n", "x.jsonl:2: column"},
		{"unknown kind", `{"kind":"banana"}`, `x.jsonl:1: unknown kind "banana"`},
		{"event without event", `{"kind":"event"}`, `x.jsonl:1: event line without "event"`},
		{"stats without stats", "\n\n" + `{"kind":"stats"}`, `x.jsonl:3: stats line without "stats"`},
		{"no type", `{"time":"2026-12-07T22:00:00Z"}`, `x.jsonl:1: event: no "type"`},
		{"unknown type", `{"time":"2026-12-07T22:00:00Z","type":"fork"}`, `x.jsonl:1: event: unknown type "fork"`},
		{"no time", `{"type":"execve"}`, `x.jsonl:1: event: no "time"`},
		{"bad time", `{"type":"execve","time":"yesterday"}`, `x.jsonl:1: event:`},
		{"wrong field type", `{"type":"execve","time":"2026-12-07T22:00:00Z","proc":{"pid":"one"}}`, `x.jsonl:1: event: column`},
		{"host with container", `{"type":"execve","time":"2026-12-07T22:00:00Z","host":true,"containerId":"ab"}`, "a host event with a container"},
		{"container without id", `{"type":"execve","time":"2026-12-07T22:00:00Z","container":{"name":"x"}}`, "container without an id"},
		{"trailing data", ok + " {}", "x.jsonl:1: column"},
		{"too long", `{"type":"` + strings.Repeat("a", MaxLineBytes) + `"}`, "x.jsonl:1: line longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAll(t, NewReplay(strings.NewReader(tt.in), "x.jsonl"))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrMalformed) {
				t.Errorf("error %q, want it to contain %q and wrap ErrMalformed", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error has several lines: %q", err)
			}
		})
	}
}

func TestReplayCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, err := os.ReadFile("testdata/handmade.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewReplay(strings.NewReader(string(b)), "x").Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next on a cancelled ctx: %v", err)
	}
}

// FuzzReplay: any input yields events or one located, one-line error
// wrapping ErrMalformed, never a panic; every event returned is valid and
// survives a write and a second read unchanged.
func FuzzReplay(f *testing.F) {
	b, err := os.ReadFile("testdata/handmade.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f.Add(l)
	}
	f.Add(string(b))
	// Lines of the real recording: every event type it holds, findings, stats.
	seen := map[string]bool{}
	for _, l := range strings.Split(string(recording(f)), "\n") {
		var probe struct {
			Kind  string
			Event struct{ Type string }
		}
		if json.Unmarshal([]byte(l), &probe) == nil && !seen[probe.Kind+probe.Event.Type] {
			seen[probe.Kind+probe.Event.Type] = true
			f.Add(l)
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		evs, err := readAll(t, NewReplay(strings.NewReader(in), "f"))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "pipeline: replay f:") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error not located or not one line: %q", err)
			}
			return
		}
		var sb strings.Builder
		for _, ev := range evs {
			if err := validate(ev); err != nil {
				t.Fatalf("invalid event returned: %v", err)
			}
			b, err := marshalLine(&Line{Kind: KindEvent, Event: ev})
			if err != nil {
				t.Fatal(err)
			}
			sb.Write(b)
		}
		again, err := readAll(t, NewReplay(strings.NewReader(sb.String()), "again"))
		if err != nil {
			t.Fatalf("rewritten events do not read back: %v", err)
		}
		if diff := cmp.Diff(evs, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
