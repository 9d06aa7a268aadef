package all

import (
	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/extract/apk"
	"github.com/pavesec/pave/internal/extract/dpkg"
	"github.com/pavesec/pave/internal/extract/rpm"
)

// osExtractors are the operating-system package databases. OS detection
// (internal/extract/osrelease) is not an extractor: the scan retains
// osrelease.Paths and calls osrelease.Detect on the merged view.
func osExtractors() []extract.Extractor {
	return []extract.Extractor{
		dpkg.New(),
		apk.New(),
		rpm.New(),
	}
}
