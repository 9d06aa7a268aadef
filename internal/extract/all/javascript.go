package all

import "github.com/pavesec/pave/internal/extract"

func javascriptExtractors() []extract.Extractor {
	return []extract.Extractor{}
}
