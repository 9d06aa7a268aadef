package python

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// errNotObject: a JSON document whose top level is not an object.
var errNotObject = errors.New("not a JSON object")

// keyLines walks the JSON object in data and reports the 1-based line of
// object keys. visit is called with the path of every key met while
// descending; it returns whether to descend into that key's value (which
// is skipped otherwise). encoding/json gives no positions, so this second,
// cheap pass over the tokens supplies them.
func keyLines(data []byte, visit func(path []string, line int) bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errNotObject
	}
	lc := &lineCounter{data: data, line: 1}
	return walkObject(dec, lc, nil, visit, 0)
}

func walkObject(dec *json.Decoder, lc *lineCounter, path []string, visit func([]string, int) bool, depth int) error {
	if depth > maxNesting {
		return errors.New("nesting too deep")
	}
	for {
		tok, err := dec.Token()
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
		if !visit(p, lc.lineAt(dec.InputOffset())) {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		tok, err = dec.Token()
		if err != nil {
			return err
		}
		switch d, _ := tok.(json.Delim); d {
		case '{':
			if err := walkObject(dec, lc, p, visit, depth+1); err != nil {
				return err
			}
		case '[':
			if err := skipContainer(dec); err != nil {
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
