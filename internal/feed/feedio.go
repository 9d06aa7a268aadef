package feed

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Helpers the parsers share: bounded reads, collected non-fatal problems,
// JSON token steps and message formatting.

// ErrTooLarge is returned by a LimitReader once its input passes the
// bound.
var ErrTooLarge = errors.New("input too large")

// LimitReader reads at most n bytes of r, then fails with ErrTooLarge if
// there is more (unlike io.LimitReader, which ends silently).
func LimitReader(r io.Reader, n int64) io.Reader { return &boundedReader{r: r, n: n} }

type boundedReader struct {
	r io.Reader
	n int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		var one [1]byte
		if n, _ := io.ReadFull(b.r, one[:]); n == 0 {
			return 0, io.EOF
		}
		return 0, ErrTooLarge
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= int64(n)
	return n, err
}

// MaxProblems is how many problems a Problems keeps in full; the rest are
// counted.
const MaxProblems = 20

// Problems collects the non-fatal problems of one file: each is reported
// with Prefix ("nvd: page.json: "), the first MaxProblems in full.
type Problems struct {
	Prefix string
	list   []string
	n      int
}

// Add records one problem.
func (p *Problems) Add(format string, args ...any) {
	p.n++
	if len(p.list) < MaxProblems {
		p.list = append(p.list, fmt.Sprintf(format, args...))
	}
}

// Err returns the problems as one error, or nil when there were none.
func (p *Problems) Err() error {
	if p.n == 0 {
		return nil
	}
	errs := make([]error, 0, len(p.list)+1)
	for _, s := range p.list {
		errs = append(errs, errors.New(p.Prefix+s))
	}
	if p.n > len(p.list) {
		errs = append(errs, fmt.Errorf("%s%d more problems", p.Prefix, p.n-len(p.list)))
	}
	return errors.Join(errs...)
}

// TrimCompression drops a compression suffix from a file name, so that a
// parser matches "nvdcve-2.0-2024.json.gz" as it matches the plain file.
func TrimCompression(p string) string {
	for _, s := range []string{".gz", ".zst", ".bz2", ".xz"} {
		if strings.HasSuffix(p, s) {
			return strings.TrimSuffix(p, s)
		}
	}
	return p
}

// Clip shortens s to 80 characters for a message.
func Clip(s string) string {
	r := []rune(s)
	if len(r) <= 80 {
		return s
	}
	return string(r[:80]) + "…"
}

// ExpectDelim reads the next token and requires it to be d.
func ExpectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return fmt.Errorf("want %q, got %v", d, tok)
	}
	return nil
}

// StringToken reads an object key.
func StringToken(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("want an object key, got %v", tok)
	}
	return s, nil
}
