package all

import "github.com/pavesec/pave/internal/extract"

func otherLanguageExtractors() []extract.Extractor {
	return []extract.Extractor{}
}
