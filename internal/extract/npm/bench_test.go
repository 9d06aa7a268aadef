package npm

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

// A real 409-package lockfile (express, jest, eslint).
func BenchmarkPackageLockLarge(b *testing.B) {
	benchExtract(b, NewPackageLock(), "packagelock/large/package-lock.json.gz")
}

func BenchmarkPackageLockV1(b *testing.B) {
	benchExtract(b, NewPackageLock(), "packagelock/v1/package-lock.json")
}

func BenchmarkPackageJSON(b *testing.B) {
	benchExtract(b, NewPackageJSON(), "installed/app/node_modules/@types/node/package.json")
}

func BenchmarkYarnLockClassic(b *testing.B) {
	benchExtract(b, NewYarnLock(), "yarn/classic/yarn.lock")
}

func BenchmarkYarnLockBerry(b *testing.B) {
	benchExtract(b, NewYarnLock(), "yarn/berry/yarn.lock")
}

func BenchmarkPnpmLock(b *testing.B) {
	benchExtract(b, NewPnpmLock(), "pnpm/v9/pnpm-lock.yaml")
}
