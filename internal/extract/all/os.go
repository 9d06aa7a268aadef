package all

import "github.com/pavesec/pave/internal/extract"

func osExtractors() []extract.Extractor {
	return []extract.Extractor{}
}
