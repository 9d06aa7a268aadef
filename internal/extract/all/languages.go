package all

import (
	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/extract/dotnet"
	"github.com/pavesec/pave/internal/extract/golang"
	"github.com/pavesec/pave/internal/extract/java"
	"github.com/pavesec/pave/internal/extract/php"
	"github.com/pavesec/pave/internal/extract/ruby"
	"github.com/pavesec/pave/internal/extract/rust"
)

// otherLanguageExtractors are Go, Java, Rust, Ruby, PHP and .NET
// (docs/extractors-languages-other.md). go/binary and rust/auditable both
// claim executables; the runner reads such a file once for both.
func otherLanguageExtractors() []extract.Extractor {
	return []extract.Extractor{
		golang.NewBinaryExtractor(),
		golang.NewModExtractor(),
		java.NewArchiveExtractor(),
		java.NewPomExtractor(),
		rust.NewLockExtractor(),
		rust.NewAuditableExtractor(),
		ruby.NewLockExtractor(),
		ruby.NewGemspecExtractor(),
		php.NewLockExtractor(),
		php.NewInstalledExtractor(),
		dotnet.NewDepsExtractor(),
		dotnet.NewLockExtractor(),
	}
}
