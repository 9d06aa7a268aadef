package cli

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pavesec/pave/internal/artifact"
	"github.com/pavesec/pave/internal/extract"
)

// progress draws one status line on stderr while long work runs. It is
// only ever enabled for a person at a terminal (see showProgress).
type progress struct {
	w       io.Writer
	enabled bool
	start   time.Time

	step    atomic.Value // string
	bytes   atomic.Int64
	total   atomic.Int64
	layer   atomic.Int64
	layers  atomic.Int64
	entries atomic.Int64

	stopOnce sync.Once
	done     chan struct{}
	wg       sync.WaitGroup
}

func newProgress(w io.Writer, enabled bool) *progress {
	p := &progress{w: w, enabled: enabled, start: time.Now(), done: make(chan struct{})}
	p.step.Store("opening")
	if enabled {
		p.wg.Add(1)
		go p.loop()
	}
	return p
}

func (p *progress) loop() {
	defer p.wg.Done()
	t := time.NewTicker(120 * time.Millisecond)
	defer t.Stop()
	spin := []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
	for i := 0; ; i++ {
		select {
		case <-p.done:
			fmt.Fprint(p.w, "\r\033[K")
			return
		case <-t.C:
			fmt.Fprintf(p.w, "\r\033[K%c %s", spin[i%len(spin)], p.line())
		}
	}
}

func (p *progress) line() string {
	el := time.Since(p.start).Truncate(100 * time.Millisecond)
	step, _ := p.step.Load().(string)
	switch step {
	case "pull", "spool":
		if t := p.total.Load(); t > 0 {
			return fmt.Sprintf("%s %s / %s  %s", step, mib(p.bytes.Load()), mib(t), el)
		}
		return fmt.Sprintf("%s %s  %s", step, mib(p.bytes.Load()), el)
	case "walk":
		return fmt.Sprintf("reading layers %d/%d · %d files  %s", p.layer.Load(), p.layers.Load(), p.entries.Load(), el)
	}
	return fmt.Sprintf("%s  %s", step, el)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// Artifact receives progress from opening the source.
func (p *progress) Artifact(ev artifact.ProgressEvent) {
	p.step.Store(ev.Step)
	p.bytes.Store(ev.Done)
	p.total.Store(ev.Total)
}

// Walk receives progress from the extract runner.
func (p *progress) Walk(ev extract.Progress) {
	p.step.Store("walk")
	p.layer.Store(int64(ev.Layer))
	p.layers.Store(int64(ev.Layers))
	p.entries.Store(ev.Entries)
}

// Stop clears the line; it may be called more than once.
func (p *progress) Stop() {
	p.stopOnce.Do(func() {
		close(p.done)
		p.wg.Wait()
	})
}
