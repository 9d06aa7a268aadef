package secret

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func FuzzScan(f *testing.F) {
	g := gen{rand.New(rand.NewPCG(13, 14))}
	for _, mkp := range secretGens {
		f.Add(render(mkp(g)))
	}
	for _, mkp := range decoyGens {
		f.Add(render(mkp(g)))
	}
	f.Add([]byte("password = \"\"\n-----BEGIN RSA PRIVATE KEY-----\n"))
	e := Default()
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, p := range []string{"", "src/a.py", "home/u/.npmrc"} {
			checkMatches(t, b, e.ScanPath(p, b))
		}
	})
}

// checkMatches asserts the invariants of a scan's matches: in bounds, in
// order, positioned, hashed, masked.
func checkMatches(t *testing.T, b []byte, ms []Match) {
	prev := -1
	for _, m := range ms {
		if m.Start < 0 || m.End > len(b) || m.Start >= m.End || m.Start < prev {
			t.Fatalf("%s: span %d-%d out of bounds or order (len %d, previous start %d)", m.Rule.ID, m.Start, m.End, len(b), prev)
		}
		prev = m.Start
		if m.Line < 1 || m.Column < 1 || !strings.HasPrefix(m.Hash, "sha256:") {
			t.Fatalf("%s: line %d column %d hash %q", m.Rule.ID, m.Line, m.Column, m.Hash)
		}
		clear, _, ok := strings.Cut(m.Masked, "****")
		secret := string(b[m.Start:m.End])
		if !ok || len(clear) > 4 || !strings.HasPrefix(secret, clear) {
			t.Fatalf("%s: masked form keeps %d clear characters", m.Rule.ID, len(clear))
		}
		if m.Severity != m.Rule.Severity {
			t.Fatalf("%s: severity %s, rule says %s", m.Rule.ID, m.Severity, m.Rule.Severity)
		}
	}
}
