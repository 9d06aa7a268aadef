package rust

import (
	"bytes"
	"compress/zlib"
	"context"
	"os"
	"testing"

	"github.com/pavesec/pave/internal/extract/extracttest"
)

func TestLockExtract(t *testing.T) {
	e := NewLockExtractor()
	for _, file := range []string{"ripgrep-v1.Cargo.lock", "ripgrep-v3.Cargo.lock", "ripgrep-v4.Cargo.lock"} {
		t.Run(file, func(t *testing.T) {
			pkgs := extracttest.Run(t, e, extracttest.Input(t, "src/Cargo.lock", file))
			for _, p := range pkgs {
				if p.Name == "ripgrep" || p.Name == "grep" || p.Name == "ignore" {
					t.Errorf("workspace crate %s reported", p.Name)
				}
			}
			extracttest.Golden(t, file+".golden.json", pkgs)
		})
	}
}

func TestLockBroken(t *testing.T) {
	data := extracttest.Read(t, "ripgrep-v4.Cargo.lock")
	_, err := NewLockExtractor().Extract(context.Background(), extracttest.InputBytes("Cargo.lock", append(data[:200:200], "\n[[package]\nname = "...)))
	if err == nil {
		t.Error("broken lock file: no error")
	}
}

func TestLockMatch(t *testing.T) {
	e := NewLockExtractor()
	for p, want := range map[string]bool{"Cargo.lock": true, "src/x/Cargo.lock": true, "Cargo.toml": false, "cargo.lock": false} {
		if got := e.Match(p, extracttest.Info("Cargo.lock", 100, 0o644)); got != want {
			t.Errorf("Match(%s) = %v, want %v", p, got, want)
		}
	}
}

func TestAuditable(t *testing.T) {
	e := NewAuditableExtractor()
	pkgs := extracttest.Run(t, e, extracttest.Input(t, "usr/bin/hello", "hello-auditable"))
	for _, p := range pkgs {
		if p.Name == "ripgrep" {
			t.Error("local root crate reported")
		}
	}
	extracttest.Golden(t, "hello-auditable.golden.json", pkgs)
}

func TestAuditableNone(t *testing.T) {
	e := NewAuditableExtractor()
	for _, p := range []string{"/bin/true", "/usr/bin/objcopy"} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Skip(err)
		}
		pkgs, err := e.Extract(context.Background(), extracttest.InputBytes(p, data))
		if err != nil || len(pkgs) != 0 {
			t.Errorf("%s: %d packages, err %v; want none", p, len(pkgs), err)
		}
	}
}

func TestParseDepsBounds(t *testing.T) {
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	big := bytes.Repeat([]byte(" "), maxJSONSize+10)
	zw.Write(big)
	zw.Close()
	if _, err := parseDeps(&b); err == nil {
		t.Error("over-large inflated section: no error")
	}
	if _, err := parseDeps(bytes.NewReader([]byte("not zlib"))); err == nil {
		t.Error("not zlib: no error")
	}
}

func FuzzLock(f *testing.F) {
	for _, n := range []string{"ripgrep-v1.Cargo.lock", "ripgrep-v4.Cargo.lock"} {
		f.Add(extracttest.Read(f, n))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parseLock(data)
		if err != nil && len(pkgs) > 0 {
			t.Error("packages with an error")
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" {
				t.Errorf("incomplete package %+v", p)
			}
		}
	})
}

func FuzzAuditableJSON(f *testing.F) {
	for _, s := range []string{`{"packages":[{"name":"a","version":"1.0.0","source":"crates.io"}]}`, `{}`, `[]`} {
		var b bytes.Buffer
		zw := zlib.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parseDeps(bytes.NewReader(data))
		if err != nil && len(pkgs) > 0 {
			t.Error("packages with an error")
		}
	})
}

func FuzzAuditableBinary(f *testing.F) {
	data := extracttest.Read(f, "hello-auditable")
	extracttest.Fuzz(f, NewAuditableExtractor(), "bin", [][]byte{
		data[:4096],
		[]byte("MZ\x90\x00\x03"),
		[]byte("\xcf\xfa\xed\xfe\x07\x00\x00\x01"),
	}, nil)
}

func BenchmarkLock(b *testing.B) {
	extracttest.Bench(b, NewLockExtractor(), "Cargo.lock", extracttest.Read(b, "ripgrep-v1.Cargo.lock"))
}

func BenchmarkAuditable(b *testing.B) {
	extracttest.Bench(b, NewAuditableExtractor(), "hello", extracttest.Read(b, "hello-auditable"))
}
