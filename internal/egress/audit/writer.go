package audit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// SyncPolicy says when the Writer calls fsync.
type SyncPolicy int

const (
	// SyncEach fsyncs after every entry: an entry Append returned for is
	// on disk. The safest and slowest (one disk flush per request).
	SyncEach SyncPolicy = iota
	// SyncInterval fsyncs at most every Options.Interval from a background
	// goroutine, and on Close: a crash loses at most that much of the log,
	// never its consistency (a torn last line is detected on reopen).
	SyncInterval
	// SyncNone leaves flushing to the operating system, and fsyncs on
	// Close. For tests and benchmarks.
	SyncNone
)

// Options configure a Writer.
type Options struct {
	Sync     SyncPolicy
	Interval time.Duration // for SyncInterval; 1s when 0
	// Now is the clock for entries with a zero Time; time.Now when nil.
	Now func() time.Time
}

// ErrTorn is returned by Open when the log's last line is incomplete (the
// host crashed in the middle of a write). The file is left as it is: an
// operator decides (pave gateway verify-log shows the line).
var ErrTorn = errors.New("audit: the log ends with an incomplete line")

// maxLine bounds one line of the log, for Open and Verify.
const maxLine = 16 << 20

// Writer appends entries to one log file. It is safe for concurrent use:
// appends are serialised, so the chain has one order. Two Writers (or two
// processes) on the same file would fork the chain; do not do that.
type Writer struct {
	mu       sync.Mutex
	f        *os.File
	seq      uint64
	prev     string
	now      func() time.Time
	syncEach bool
	dirty    bool
	err      error // sticky: a failed write or sync
	stop     chan struct{}
	done     chan struct{}
}

// Open opens (creating it, mode 0600) the log at path for appending and
// resumes its chain from the last entry, which must be intact. It does
// not verify the whole file; Verify does.
func Open(path string, o Options) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: open: %w", err)
	}
	last, err := lastLine(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	w := &Writer{f: f, prev: Genesis, now: o.Now, syncEach: o.Sync == SyncEach}
	if w.now == nil {
		w.now = time.Now
	}
	if last != nil {
		e, err := parseLine(last)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("audit: open %s: last entry: %w", path, err)
		}
		w.seq, w.prev = e.Seq, e.Hash
	}
	if o.Sync == SyncInterval {
		iv := o.Interval
		if iv <= 0 {
			iv = time.Second
		}
		w.stop, w.done = make(chan struct{}), make(chan struct{})
		go w.syncLoop(iv)
	}
	return w, nil
}

// lastLine returns the file's last line without its newline, nil for an
// empty file, ErrTorn when the file does not end with a newline.
func lastLine(f *os.File) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("audit: open: %w", err)
	}
	size := st.Size()
	if size == 0 {
		return nil, nil
	}
	n := min(size, int64(maxLine)+1)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, size-n); err != nil {
		return nil, fmt.Errorf("audit: open: read tail: %w", err)
	}
	if buf[len(buf)-1] != '\n' {
		return nil, ErrTorn
	}
	buf = buf[:len(buf)-1]
	i := bytes.LastIndexByte(buf, '\n')
	if i < 0 && n < size {
		return nil, fmt.Errorf("audit: open: last line longer than %d bytes", maxLine)
	}
	return buf[i+1:], nil
}

func (w *Writer) syncLoop(iv time.Duration) {
	defer close(w.done)
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			// fsync outside the lock: appends go on while the disk
			// flushes (a write racing the sync is covered by the next)
			w.mu.Lock()
			f, dirty := w.f, w.dirty && w.err == nil
			w.dirty = false
			w.mu.Unlock()
			if !dirty || f == nil {
				continue
			}
			if err := f.Sync(); err != nil {
				w.mu.Lock()
				if w.err == nil {
					w.err = fmt.Errorf("audit: sync: %w", err)
				}
				w.mu.Unlock()
			}
		}
	}
}

// Append sets e's Seq, Prev and Hash (and Time, when zero, to now in UTC)
// and writes it as one line with one write call. After a failed write or
// sync every later Append fails: the chain cannot be trusted to continue.
func (w *Writer) Append(e *Entry) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.f == nil {
		return errors.New("audit: append: writer closed")
	}
	if e.Time.IsZero() {
		e.Time = w.now()
	}
	e.Time = e.Time.UTC()
	e.Seq, e.Prev = w.seq+1, w.prev
	line, err := seal(e)
	if err != nil {
		return err
	}
	if _, err := w.f.Write(line); err != nil {
		w.err = fmt.Errorf("audit: append: %w", err)
		return w.err
	}
	if w.syncEach {
		if err := w.f.Sync(); err != nil {
			w.err = fmt.Errorf("audit: sync: %w", err)
			return w.err
		}
	} else {
		w.dirty = true
	}
	w.seq, w.prev = e.Seq, e.Hash
	return nil
}

// Err returns the error that stopped the writer (a failed write or
// sync), nil while it is healthy. The gateway refuses traffic it cannot
// audit.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil && w.err == nil {
		return errors.New("audit: writer closed")
	}
	return w.err
}

// Last returns the sequence number and hash of the last entry written
// (0 and Genesis for an empty log).
func (w *Writer) Last() (uint64, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seq, w.prev
}

// Close stops the sync goroutine, fsyncs and closes the file.
func (w *Writer) Close() error {
	if w.stop != nil {
		close(w.stop)
		<-w.done
		w.stop = nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	if err != nil {
		return fmt.Errorf("audit: close: %w", err)
	}
	return w.err
}

// Summary describes a verified log.
type Summary struct {
	Entries  int
	LastSeq  uint64
	LastHash string // Genesis for an empty log
}

// BrokenError is the first line of a log that does not hold.
type BrokenError struct {
	Line   int // 1-based
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit: line %d: %s", e.Line, e.Reason)
}

// Verify reads a log and checks every line: canonical form, own hash,
// sequence and link to the line before. It returns a *BrokenError for the
// first line that does not hold, and another error when r fails.
func Verify(r io.Reader) (Summary, error) {
	s := Summary{LastHash: Genesis}
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err == io.EOF {
			return s, nil
		}
		if err != nil {
			var be *BrokenError
			if errors.As(err, &be) {
				be.Line = n
				return s, be
			}
			return s, fmt.Errorf("audit: verify: read: %w", err)
		}
		e, perr := parseLine(line)
		switch {
		case perr != nil:
			return s, &BrokenError{Line: n, Reason: perr.Error()}
		case e.Seq != s.LastSeq+1:
			return s, &BrokenError{Line: n, Reason: fmt.Sprintf("sequence %d after %d", e.Seq, s.LastSeq)}
		case e.Prev != s.LastHash:
			return s, &BrokenError{Line: n, Reason: fmt.Sprintf("prev %s does not link to the entry before (%s)", short(e.Prev), short(s.LastHash))}
		}
		s.Entries++
		s.LastSeq, s.LastHash = e.Seq, e.Hash
	}
}

// readLine returns one line without its newline; io.EOF at a clean end;
// a *BrokenError (without its line number) for a torn or huge line.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxLine+1 {
			return nil, &BrokenError{Reason: fmt.Sprintf("line longer than %d bytes", maxLine)}
		}
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			if len(line) == 0 {
				return nil, io.EOF
			}
			return nil, &BrokenError{Reason: "incomplete last line (no newline)"}
		default:
			return nil, err
		}
	}
}
