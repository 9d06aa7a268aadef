package extract

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrTooLarge reports a file over an extractor's size limit.
var ErrTooLarge = errors.New("file too large")

// ReadAll reads the whole input for a parser that needs it in memory,
// refusing a file over limit bytes (by its declared size, and again by
// what was actually read).
func ReadAll(in *Input, limit int64) ([]byte, error) {
	if in.Size > limit {
		return nil, fmt.Errorf("%d bytes: %w (limit %d)", in.Size, ErrTooLarge, limit)
	}
	data, err := io.ReadAll(io.LimitReader(in.Reader, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w (limit %d)", ErrTooLarge, limit)
	}
	return data, nil
}

// JoinErrors folds the problems of a file's entries into one error that
// names the first few ("kind: parse file: a; b; c (and 4 more)"), or nil
// when there are none. Extractors return it beside the packages they could
// read.
func JoinErrors(kind, file string, errs []string) error {
	if len(errs) == 0 {
		return nil
	}
	const show = 3
	more := ""
	if len(errs) > show {
		more = fmt.Sprintf(" (and %d more)", len(errs)-show)
		errs = errs[:show]
	}
	return fmt.Errorf("%s: parse %s: %s%s", kind, file, strings.Join(errs, "; "), more)
}
