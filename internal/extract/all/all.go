// Package all holds the one explicit list of extractors pave runs. Each
// family keeps its part of the list in its own file here.
package all

import "github.com/pavesec/pave/internal/extract"

// Default returns a new instance of every extractor, in a stable order.
func Default() []extract.Extractor {
	var out []extract.Extractor
	out = append(out, osExtractors()...)
	out = append(out, javascriptExtractors()...)
	out = append(out, pythonExtractors()...)
	out = append(out, otherLanguageExtractors()...)
	return out
}
