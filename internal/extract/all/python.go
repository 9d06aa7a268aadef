package all

import (
	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/extract/python"
)

func pythonExtractors() []extract.Extractor {
	return []extract.Extractor{
		python.NewInstalled(),
		python.NewRequirements(),
		python.NewPoetryLock(),
		python.NewPipfileLock(),
		python.NewUvLock(),
		python.NewPdmLock(),
	}
}
