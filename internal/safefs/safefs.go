// Package safefs reads hostile archives with bounds: tar streams (plain,
// gzip or zstd) and zip files, with limits on entries, bytes, path length
// and decompression ratio, names cleaned to stay inside the root, and a
// path Join that never escapes. Nothing is written to disk.
//
// safefs sits below artifact (which wraps its sentinels into its own), so
// it imports nothing of pave.
package safefs

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// Errors callers test for. artifact maps them onto artifact.ErrHostile and
// artifact.ErrCorrupt.
var (
	// ErrHostile: a name escapes the root, or a bound (entries, bytes,
	// ratio, path length) was exceeded.
	ErrHostile = errors.New("hostile archive")
	// ErrCorrupt: the stream is truncated or malformed.
	ErrCorrupt = errors.New("corrupt archive")
)

// Clean turns an archive member name into a slash-separated path relative
// to the root: leading slashes and "./" are dropped and "a/../b" becomes
// "b". The root itself is ".". A name that climbs above the root ("../x",
// "a/../../x") is refused with an error wrapping ErrHostile, as are names
// holding NUL bytes. Backslashes are ordinary characters, as on Linux.
func Clean(name string) (string, error) {
	if strings.IndexByte(name, 0) >= 0 {
		return "", fmt.Errorf("name %q holds a NUL byte: %w", name, ErrHostile)
	}
	rel := strings.TrimLeft(name, "/")
	c := path.Clean(rel)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("name %q escapes the root: %w", name, ErrHostile)
	}
	if c == "" {
		c = "."
	}
	return c, nil
}

// Join returns root joined with the archive name, cleaned, guaranteed to be
// root or below it. It refuses names that climb out (ErrHostile) rather
// than clamping them, so a caller never writes where it did not expect.
// Join works on strings only: it does not follow symlinks already on disk,
// so callers that create files must also refuse to follow links (os.Root).
func Join(root, name string) (string, error) {
	c, err := Clean(filepath.ToSlash(name))
	if err != nil {
		return "", err
	}
	if c == "." {
		return filepath.Clean(root), nil
	}
	return filepath.Join(root, filepath.FromSlash(c)), nil
}
