package python

import (
	"io"
	"testing"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/extract/extracttest"
)

func benchExtract(b *testing.B, ext extract.Extractor, file string) {
	in := input(b, file)
	data, err := io.ReadAll(in.Reader)
	if err != nil {
		b.Fatal(err)
	}
	extracttest.Bench(b, ext, in.Path, data)
}

func BenchmarkInstalled(b *testing.B) {
	benchExtract(b, NewInstalled(), "installed/usr/lib/python3/dist-packages/charset_normalizer-3.0.1.dist-info/METADATA")
}

func BenchmarkRequirements(b *testing.B) {
	benchExtract(b, NewRequirements(), "requirements/pip-compile/requirements.txt")
}

func BenchmarkPoetryLock(b *testing.B) { benchExtract(b, NewPoetryLock(), "locks/poetry.lock") }

func BenchmarkUvLock(b *testing.B) { benchExtract(b, NewUvLock(), "locks/uv.lock") }

func BenchmarkPdmLock(b *testing.B) { benchExtract(b, NewPdmLock(), "locks/pdm.lock") }

func BenchmarkPipfileLock(b *testing.B) { benchExtract(b, NewPipfileLock(), "locks/Pipfile.lock") }
