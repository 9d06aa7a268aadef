package pipeline

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/pavesec/pave/internal/sensor/event"
)

// MaxLineBytes bounds one line of a recording; a longer line is an error,
// not an allocation.
const MaxLineBytes = 4 << 20

// Types returns every event type pave's sensor produces, in a stable order.
func Types() []event.Type {
	return []event.Type{event.Exec, event.Exit, event.Open, event.Connect, event.Accept, event.Bind,
		event.Setuid, event.Setgid, event.Capset, event.Ptrace, event.Mount, event.Unshare,
		event.Setns, event.MemfdExec, event.WriteExec, event.Mmap}
}

// ErrMalformed is wrapped by every error about a recording's content.
var ErrMalformed = errors.New("malformed recording")

// Replay is an event.Source that reads a recording (the stream the pipeline
// writes, or bare event objects one per line) back in order. Finding lines
// are skipped: re-running the analyzers makes them again. The recording's
// own stats line, when present, supplies Stats().Dropped, so a replay says
// that the recording itself missed events.
type Replay struct {
	name string
	r    *bufio.Reader
	c    io.Closer
	line int

	mu       sync.Mutex
	received map[event.Type]uint64
	recorded *Summary
}

var _ event.Source = (*Replay)(nil)

// OpenReplay opens a recording file, plain or gzip-compressed.
func OpenReplay(path string) (*Replay, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pipeline: replay: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("pipeline: replay: %w", err)
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("pipeline: replay %s: is a directory: %w", path, ErrMalformed)
	}
	// A recording may be gzip-compressed (pave sensor --output - | gzip).
	br := bufio.NewReaderSize(f, 64<<10)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("pipeline: replay %s: %w: %w", path, ErrMalformed, err)
		}
		src = zr
	}
	r := NewReplay(src, path)
	r.c = f
	return r, nil
}

// NewReplay reads a recording from r; name locates errors.
func NewReplay(r io.Reader, name string) *Replay {
	return &Replay{name: name, r: bufio.NewReaderSize(r, 64<<10), received: map[event.Type]uint64{}}
}

// Next returns the next event, io.EOF at the end of the recording, or a
// located error ("NAME:LINE: ...") wrapping ErrMalformed for a bad line.
func (r *Replay) Next(ctx context.Context) (*event.Event, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := r.readLine()
		if err != nil {
			return nil, err
		}
		ev, err := r.parse(b)
		if err != nil {
			return nil, fmt.Errorf("pipeline: replay %s:%d: %w", r.name, r.line, err)
		}
		if ev != nil {
			r.mu.Lock()
			r.received[ev.Type]++
			r.mu.Unlock()
			return ev, nil
		}
	}
}

// readLine returns the next non-blank line without its newline.
func (r *Replay) readLine() ([]byte, error) {
	for {
		var buf []byte
		for {
			chunk, err := r.r.ReadSlice('\n')
			buf = append(buf, chunk...)
			if len(buf) > MaxLineBytes {
				r.line++
				return nil, fmt.Errorf("pipeline: replay %s:%d: line longer than %d bytes: %w", r.name, r.line, MaxLineBytes, ErrMalformed)
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF && len(buf) > 0 {
				break
			}
			if err != nil {
				if err == io.EOF {
					return nil, io.EOF
				}
				return nil, fmt.Errorf("pipeline: replay %s: %w", r.name, err)
			}
			break
		}
		r.line++
		if b := bytes.TrimSpace(buf); len(b) > 0 {
			return b, nil
		}
	}
}

// envelope is a line as read: a stream line, or a bare event (no kind).
// An event line decodes in this one pass.
type envelope struct {
	Kind  *string      `json:"kind"`
	Event *event.Event `json:"event"`
	Stats *Summary     `json:"stats"`
	Type  event.Type   `json:"type"` // set on a bare event
}

// parse decodes one line: an event (returned), a finding or stats line
// (nil, nil), or an error without location.
func (r *Replay) parse(b []byte) (*event.Event, error) {
	if b[0] != '{' {
		return nil, fmt.Errorf("not a JSON object: %w", ErrMalformed)
	}
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && strings.HasPrefix(te.Field, "event.") {
			return nil, fmt.Errorf("event: %s: %w", jsonErr(err), ErrMalformed)
		}
		if env.Kind == nil && errors.As(err, &te) {
			// A bare event: say so, as for the event of an event line.
			return nil, fmt.Errorf("event: %s: %w", jsonErr(err), ErrMalformed)
		}
		return nil, fmt.Errorf("%s: %w", jsonErr(err), ErrMalformed)
	}
	var ev *event.Event
	switch {
	case env.Kind == nil:
		// A bare event object: decode it as one.
		ev = new(event.Event)
		if err := json.Unmarshal(b, ev); err != nil {
			return nil, fmt.Errorf("event: %s: %w", jsonErr(err), ErrMalformed)
		}
	case *env.Kind == KindEvent:
		if env.Event == nil {
			return nil, fmt.Errorf(`event line without "event": %w`, ErrMalformed)
		}
		ev = env.Event
	case *env.Kind == KindFinding:
		return nil, nil
	case *env.Kind == KindStats:
		if env.Stats == nil {
			return nil, fmt.Errorf(`stats line without "stats": %w`, ErrMalformed)
		}
		r.mu.Lock()
		r.recorded = env.Stats
		r.mu.Unlock()
		return nil, nil
	default:
		return nil, fmt.Errorf("unknown kind %.40q (want event, finding or stats): %w", *env.Kind, ErrMalformed)
	}
	if err := validate(ev); err != nil {
		return nil, fmt.Errorf("event: %w: %w", err, ErrMalformed)
	}
	return ev, nil
}

func jsonErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("column %d: %v", se.Offset, se)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("column %d: field %q: cannot use JSON %s as %s", te.Offset, te.Field, te.Value, te.Type)
	}
	return err.Error()
}

// validate checks what the analyzers rely on.
func validate(ev *event.Event) error {
	if ev.Type == "" {
		return errors.New(`no "type"`)
	}
	if !slices.Contains(Types(), ev.Type) {
		return fmt.Errorf("unknown type %.40q", ev.Type)
	}
	if ev.Time.IsZero() {
		return errors.New(`no "time"`)
	}
	if ev.Host && (ev.Container != nil || ev.ContainerID != "") {
		return errors.New("a host event with a container")
	}
	if ev.Container != nil && ev.Container.ID == "" {
		return errors.New("container without an id")
	}
	return nil
}

// Line returns the number of the line last read.
func (r *Replay) Line() int { return r.line }

// Stats counts the events replayed by type; Dropped and Filtered are the
// recording's own, from its stats line once that has been read.
func (r *Replay) Stats() event.Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := event.Stats{Received: make(map[event.Type]uint64, len(r.received)), Dropped: map[event.Type]uint64{}}
	for t, n := range r.received {
		s.Received[t] = n
	}
	if r.recorded != nil {
		for t, n := range r.recorded.Dropped {
			s.Dropped[t] = n
		}
		s.Filtered = r.recorded.Filtered
	}
	return s
}

// Close closes the file OpenReplay opened.
func (r *Replay) Close() error {
	if r.c == nil {
		return nil
	}
	err := r.c.Close()
	r.c = nil
	return err
}
