package cli

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/script")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"pave": func() { os.Exit(Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
		// flipbyte IN OUT OFFSET copies IN to OUT with one bit flipped at OFFSET.
		"flipbyte": func() {
			b, err := os.ReadFile(os.Args[1])
			if err != nil {
				os.Exit(2)
			}
			off, _ := strconv.Atoi(os.Args[3])
			b[off] ^= 1
			if os.WriteFile(os.Args[2], b, 0o644) != nil {
				os.Exit(2)
			}
			os.Exit(0)
		},
	})
}

// TestScripts runs the end-to-end CLI scripts in testdata/script against
// the real sample image. Run with -update to rewrite their golden output.
func TestScripts(t *testing.T) {
	sample, err := filepath.Abs("../../testdata/images/sample-debian.tar")
	if err != nil {
		t.Fatal(err)
	}
	vulndata, err := filepath.Abs("../../testdata/vulndb")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(e *testscript.Env) error {
			e.Setenv("SAMPLE", sample)
			e.Setenv("VULNDATA", vulndata)
			e.Setenv("SOURCE_DATE_EPOCH", "1700000000")
			return nil
		},
	})
}
