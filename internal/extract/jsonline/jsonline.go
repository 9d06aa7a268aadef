// Package jsonline finds the 1-based lines of object keys in a JSON
// document. encoding/json gives no positions, so extractors that report
// where a package is declared (package-lock.json, Pipfile.lock) decode the
// document as usual and make this second, cheap pass over its tokens.
package jsonline

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// ErrNotObject reports a JSON document whose top level is not an object.
var ErrNotObject = errors.New("not a JSON object")

// KeyLines walks the JSON object in data and reports the 1-based line of
// object keys. visit is called with the path of every key met while
// descending; it returns whether to descend into that key's value (which
// is skipped otherwise). Objects nested more than maxDepth deep below the
// top level are an error; arrays are skipped, never descended into.
func KeyLines(data []byte, maxDepth int, visit func(path []string, line int) bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return ErrNotObject
	}
	w := &walker{dec: dec, lc: lineCounter{data: data, line: 1}, visit: visit, maxDepth: maxDepth}
	return w.object(nil, 0)
}

type walker struct {
	dec      *json.Decoder
	lc       lineCounter
	visit    func([]string, int) bool
	maxDepth int
}

func (w *walker) object(path []string, depth int) error {
	if depth > w.maxDepth {
		return errors.New("nesting too deep")
	}
	for {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			return nil
		}
		key, ok := tok.(string)
		if !ok {
			return errors.New("object key is not a string")
		}
		p := append(path[:len(path):len(path)], key)
		if !w.visit(p, w.lc.lineAt(w.dec.InputOffset())) {
			var skip json.RawMessage
			if err := w.dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		tok, err = w.dec.Token()
		if err != nil {
			return err
		}
		switch d, _ := tok.(json.Delim); d {
		case '{':
			if err := w.object(p, depth+1); err != nil {
				return err
			}
		case '[':
			if err := skipContainer(w.dec); err != nil {
				return err
			}
		}
	}
}

// skipContainer consumes tokens up to the end of the array or object whose
// opening delimiter was just read.
func skipContainer(dec *json.Decoder) error {
	depth := 1
	for depth > 0 {
		tok, err := dec.Token()
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// lineCounter turns increasing byte offsets into line numbers.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func (c *lineCounter) lineAt(off int64) int {
	o := int(min(max(off, 0), int64(len(c.data))))
	if o > c.off {
		c.line += bytes.Count(c.data[c.off:o], []byte{'\n'})
		c.off = o
	}
	return c.line
}
