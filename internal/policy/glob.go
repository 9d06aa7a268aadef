package policy

import (
	"fmt"
	"path"
	"strings"
)

// glob is a slash-separated path pattern: each segment follows path.Match,
// and a segment that is exactly "**" matches any number of segments,
// including none.
type glob struct {
	pattern string
	segs    []string
}

// compileGlob checks a pattern. A leading "/" or "./" is ignored, since
// finding paths are relative to the scanned root.
func compileGlob(pattern string) (glob, error) {
	p := cleanRel(pattern)
	if p == "" {
		return glob{}, fmt.Errorf("empty path pattern")
	}
	var segs []string
	for _, s := range strings.Split(p, "/") {
		if s == "**" {
			if len(segs) > 0 && segs[len(segs)-1] == "**" {
				continue
			}
		} else if _, err := path.Match(s, ""); err != nil {
			return glob{}, fmt.Errorf("bad path pattern %q: %v", pattern, err)
		}
		segs = append(segs, s)
	}
	return glob{pattern: pattern, segs: segs}, nil
}

// cleanRel strips what makes a path absolute or explicitly relative.
func cleanRel(p string) string {
	p = strings.TrimSpace(p)
	for {
		switch {
		case strings.HasPrefix(p, "/"):
			p = p[1:]
		case strings.HasPrefix(p, "./"):
			p = p[2:]
		default:
			return p
		}
	}
}

// match reports whether name matches the pattern. It runs in time
// proportional to segments × pattern segments, whatever the "**" count.
func (g glob) match(name string) bool {
	name = cleanRel(name)
	if name == "" {
		return false
	}
	segs := strings.Split(name, "/")
	// cur[j]: the first i pattern segments match the first j name segments.
	var buf [2][33]bool
	cur, next := buf[0][:], buf[1][:]
	if len(segs) >= len(buf[0]) {
		cur, next = make([]bool, len(segs)+1), make([]bool, len(segs)+1)
	}
	cur, next = cur[:len(segs)+1], next[:len(segs)+1]
	cur[0] = true
	for _, ps := range g.segs {
		if ps == "**" {
			reach := false
			for j := range cur {
				reach = reach || cur[j]
				next[j] = reach
			}
		} else {
			next[0] = false
			for j := 1; j <= len(segs); j++ {
				ok := false
				if cur[j-1] {
					ok, _ = path.Match(ps, segs[j-1])
				}
				next[j] = ok
			}
		}
		cur, next = next, cur
	}
	return cur[len(segs)]
}
