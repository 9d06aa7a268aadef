package audit

import (
	"path/filepath"
	"testing"
)

// BenchmarkAppend measures sealing and writing one entry (SyncNone, so
// the disk is not measured): a gateway request entry, and a discovery
// entry with its discovery section.
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		name  string
		entry func() *Entry
	}{
		{"request", func() *Entry { return sample(0) }},
		{"discovered", discoveredSample},
	} {
		b.Run(bc.name, func(b *testing.B) {
			w, err := Open(filepath.Join(b.TempDir(), "audit.jsonl"), Options{Sync: SyncNone})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			e := bc.entry()
			line, _ := seal(e)
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				if err := w.Append(e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
