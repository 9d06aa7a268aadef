package all

import (
	"context"
	"testing"
)

// BenchmarkCatalogue builds the whole catalogue as `pave rules` does:
// every check's rules plus loading and compiling the sensor's built-in
// rules.
func BenchmarkCatalogue(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		if _, err := Catalogue(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRuntimeRules is the runtime family's share of the catalogue.
func BenchmarkRuntimeRules(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		if _, err := RuntimeRules(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
