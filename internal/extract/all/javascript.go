package all

import (
	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/extract/npm"
)

func javascriptExtractors() []extract.Extractor {
	return []extract.Extractor{
		npm.NewPackageLock(),
		npm.NewPackageJSON(),
		npm.NewYarnLock(),
		npm.NewPnpmLock(),
	}
}
