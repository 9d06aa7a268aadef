// Package dockerfile checks Dockerfiles, parsed with BuildKit's own parser
// so that pave reads a Dockerfile exactly as `docker build` does.
package dockerfile

import (
	"bytes"
	"fmt"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// maxSize bounds a Dockerfile pave parses.
const maxSize = 4 << 20

// Parse parses a Dockerfile with BuildKit's parser.
func Parse(content []byte) (*parser.Result, error) {
	if len(content) > maxSize {
		return nil, fmt.Errorf("Dockerfile of %d bytes is over the %d-byte limit", len(content), maxSize)
	}
	res, err := parser.Parse(bytes.NewReader(content))
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	return res, nil
}
