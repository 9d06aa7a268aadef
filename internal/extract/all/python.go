package all

import "github.com/pavesec/pave/internal/extract"

func pythonExtractors() []extract.Extractor {
	return []extract.Extractor{}
}
