package pii

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	vendorRoot   = "../../vendor"
	corpusGolden = "testdata/corpus.golden"
)

// TestCorpus runs the default engine over the Go and Markdown files under
// vendor/ (real third-party code, comments and READMEs) and compares what
// it reports with testdata/corpus.golden: every personal-data match with
// its masked value, and the source-code blocks found in Markdown. It is
// the precision check: payment cards, IBANs and national identifiers
// should not appear in such text at all. For recall of the source-code
// detector it requires nearly every Go file of 40 lines or more to be
// reported as code.
func TestCorpus(t *testing.T) {
	e := engine(t, Config{})
	var files []string
	err := filepath.WalkDir(vendorRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && (strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".md")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	counts := map[string]int{}
	var lines []string
	var total, goFiles, goLong, goCode int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		total += len(b)
		rel, _ := filepath.Rel(vendorRoot, f)
		rel = filepath.ToSlash(rel)
		isGo := strings.HasSuffix(f, ".go")
		long := isGo && bytes.Count(b, []byte("\n")) >= 40
		if isGo {
			goFiles++
			if long {
				goLong++
			}
		}
		code := false
		for _, m := range e.Scan(b) {
			counts[m.Rule.Name]++
			if m.Category == CategorySourceCode {
				code = true
				if isGo {
					continue
				}
			}
			lines = append(lines, fmt.Sprintf("%s:%d\t%s\t%s", rel, m.Line, m.Rule.Name, m.Masked))
		}
		if long && code {
			goCode++
		}
	}
	var names []string
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	var out strings.Builder
	fmt.Fprintf(&out, "# go test ./internal/pii -run TestCorpus -update\n# %d files under vendor/ (*.go, *.md), %d bytes\n", len(files), total)
	for _, n := range names {
		fmt.Fprintf(&out, "count\t%s\t%d\n", n, counts[n])
	}
	for _, l := range lines {
		out.WriteString(l + "\n")
	}
	if *update {
		if err := os.WriteFile(corpusGolden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		want, err := os.ReadFile(corpusGolden)
		if err != nil {
			t.Fatal(err)
		}
		if string(want) != out.String() {
			t.Errorf("%s differs from this run (vendor/ changed, or the detectors did); rerun with -update and review the diff", corpusGolden)
		}
	}
	for _, n := range []string{"card", "iban", "pesel", "nip", "regon", "us-ssn", "uk-nino", "de-steuer-id", "pl-id-card", "es-dni", "phone"} {
		if counts[n] > 0 {
			t.Errorf("%d %s matches in vendored code and docs, want none", counts[n], n)
		}
	}
	if goLong == 0 || goCode*100 < goLong*95 {
		t.Errorf("source code found in %d of %d Go files of 40+ lines, want 95%%", goCode, goLong)
	}
	t.Logf("%d Go files, %d of 40+ lines, %d of those reported as code", goFiles, goLong, goCode)
}

// TestCorpusVulndata runs the default engine over the vulnerability-data
// bundle scripts/setup.sh unpacks (70 MB of advisories, changelogs,
// Debian copyright files, package version lists: prose full of numbers,
// versions and maintainers' addresses). Nothing in it is a payment card,
// an IBAN, a national identifier or a phone number, and its four-part
// versions must not read as IPv4 addresses.
func TestCorpusVulndata(t *testing.T) {
	if testing.Short() {
		t.Skip("70 MB scan")
	}
	// The bundle's location as internal/feed/feedtest finds it (that
	// package registers its own -update flag, so it is not imported).
	root := os.Getenv("PAVE_VULNDATA")
	if root == "" {
		root = "/var/tmp/vulndata/extracted"
	}
	if _, err := os.Stat(root); err != nil {
		t.Skipf("vulnerability data not unpacked at %s (scripts/setup.sh, or set PAVE_VULNDATA)", root)
	}
	e := engine(t, Config{})
	counts := map[string]int{}
	total := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		total += len(b)
		for _, m := range e.Scan(b) {
			counts[m.Rule.Name]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"card", "iban", "pesel", "nip", "regon", "us-ssn", "uk-nino", "de-steuer-id", "pl-id-card", "es-dni", "phone"} {
		if counts[n] > 0 {
			t.Errorf("%d %s matches in the vulnerability data, want none", counts[n], n)
		}
	}
	if counts["ipv4"] > 20 || counts["ipv6"] > 10 {
		t.Errorf("%d IPv4 and %d IPv6 addresses, want at most 20 and 10 (versions read as addresses?)", counts["ipv4"], counts["ipv6"])
	}
	t.Logf("%d bytes: %v", total, counts)
}
