#!/usr/bin/env bash
# Personal-data detection: pave's internal/pii against
# github.com/mingrammer/commonregex (the Go port of CommonRegex, the
# regex set most Go PII scrubbers start from) on the same inputs, in one
# process with one harness:
#   prose  the Markdown under docs/ and vendor/ (less docs/pii.md and
#          docs/bench-pii.md, whose examples are valid values)
#   go     the first 8 MB of Go source under vendor/
# For each input it prints throughput (best of 5 runs, wall and CPU) and
# how many values each reports per kind. Neither input holds real card,
# IBAN or national-id numbers, so those counts are false positives; a last
# table checks both on a list of valid values (recall).
#
#   scripts/bench-pii.sh            # work in $WORK (default: a temporary dir)
#
# The harness is a throw-away module beside the repository (module path
# under github.com/pavesec/pave so it may import internal/pii) that
# requires commonregex through the Go module proxy; nothing is added to
# this repository's go.mod or vendor/. Values are never printed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK/harness"
cd "$WORK/harness"

cat > go.mod <<MOD
module github.com/pavesec/pave/benchpii

go 1.26

require (
	github.com/mingrammer/commonregex v1.0.1
	github.com/pavesec/pave v0.0.0
)

replace github.com/pavesec/pave => $repo
MOD

cat > main.go <<'GO'
// Command benchpii times internal/pii and commonregex on the same text.
package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/mingrammer/commonregex"
	"github.com/pavesec/pave/internal/pii"
)

func input(ext string, limit int, roots ...string) []byte {
	var files []string
	for _, r := range roots {
		filepath.WalkDir(r, func(p string, d fs.DirEntry, err error) error {
			base := filepath.Base(p)
			if err == nil && d.Type().IsRegular() && strings.HasSuffix(p, ext) && base != "pii.md" && base != "bench-pii.md" {
				files = append(files, p)
			}
			return nil
		})
	}
	sort.Strings(files)
	var b bytes.Buffer
	for _, f := range files {
		if b.Len() >= limit {
			break
		}
		c, _ := os.ReadFile(f)
		b.Write(c)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// best runs f five times and returns the shortest wall and CPU times.
func best(f func()) (time.Duration, time.Duration) {
	var w, c time.Duration
	for i := 0; i < 5; i++ {
		t0, c0 := time.Now(), cpu()
		f()
		dw, dc := time.Since(t0), cpu()-c0
		if i == 0 || dw < w {
			w = dw
		}
		if i == 0 || dc < c {
			c = dc
		}
	}
	return w, c
}

var kinds = []string{"email", "phone", "card", "iban", "us-ssn", "ipv4"}

func commonregexScan(text string) map[string]int {
	return map[string]int{
		"email":  len(commonregex.Emails(text)),
		"phone":  len(commonregex.Phones(text)),
		"card":   len(commonregex.CreditCards(text)),
		"iban":   len(commonregex.IBANs(text)),
		"us-ssn": len(commonregex.SSNs(text)),
		"ipv4":   len(commonregex.IPv4s(text)),
	}
}

func paveScan(e *pii.Engine, b []byte) map[string]int {
	n := map[string]int{}
	for _, m := range e.Scan(b) {
		n[m.Rule.Name]++
	}
	return n
}

func row(name string, size int, w, c time.Duration, n map[string]int, extra string) {
	mb := float64(size) / 1e6
	fmt.Printf("| %s | %.1f | %.0f | %.0f |", name, w.Seconds()*1000, mb/w.Seconds(), mb/c.Seconds())
	for _, k := range kinds {
		fmt.Printf(" %d |", n[k])
	}
	fmt.Printf(" %s |\n", extra)
}

func main() {
	repo := os.Args[1]
	all, err := pii.New(pii.Config{})
	if err != nil {
		panic(err)
	}
	nocode, err := pii.New(pii.Config{Disable: []string{"source-code"}})
	if err != nil {
		panic(err)
	}
	inputs := []struct {
		name string
		b    []byte
	}{
		{"prose", input(".md", 16<<20, filepath.Join(repo, "docs"), filepath.Join(repo, "vendor"))},
		{"go", input(".go", 8<<20, filepath.Join(repo, "vendor"))},
	}
	for _, in := range inputs {
		text := string(in.b)
		fmt.Printf("\n%s: %.1f MB\n\n| tool | ms | MB/s | CPU MB/s |", in.name, float64(len(in.b))/1e6)
		for _, k := range kinds {
			fmt.Printf(" %s |", k)
		}
		fmt.Printf(" other |\n|---|---|---|---|%s---|\n", strings.Repeat("---|", len(kinds)))
		var n map[string]int
		w, c := best(func() { n = paveScan(all, in.b) })
		row("pave pii (all detectors)", len(in.b), w, c, n, fmt.Sprintf("source-code %d, pesel %d, nip %d, uk-nino %d", n["source-code"], n["pesel"], n["nip"], n["uk-nino"]))
		w, c = best(func() { n = paveScan(nocode, in.b) })
		row("pave pii (no source-code)", len(in.b), w, c, n, "")
		w, c = best(func() { n = commonregexScan(text) })
		row("commonregex (6 kinds)", len(in.b), w, c, n, "")
	}

	// Recall on valid values, one per line (IBAN and card examples of
	// the registries and processors, a NANP and an E.164 phone).
	valid := map[string][]string{
		"email":  {"jan.kowalski@wp.pl", "anna+news@mail.corp.io", "maria.rossi@libero.it"},
		"phone":  {"+44 20 7946 0958", "(212) 736-5000", "415-555-2671", "+48601234567"},
		"card":   {"4539 1488 0343 6467", "5425-2334-3010-9903", "3714 496353 98431", "6011111111111117", "3566002020360505"},
		"iban":   {"DE89 3704 0044 0532 0130 00", "GB29 NWBK 6016 1331 9268 19", "PL61109010140000071219812874", "FR14 2004 1010 0505 0001 3M02 606", "NO93 8601 1117 947"},
		"us-ssn": {"536-90-4399", "212-67-4411"},
		"ipv4":   {"10.20.30.40", "192.168.1.20"},
	}
	fmt.Printf("\nrecall on valid values (found / given)\n\n| tool |")
	for _, k := range kinds {
		fmt.Printf(" %s |", k)
	}
	fmt.Printf("\n|---|%s\n", strings.Repeat("---|", len(kinds)))
	for _, tool := range []string{"pave pii", "commonregex"} {
		fmt.Printf("| %s |", tool)
		for _, k := range kinds {
			found := 0
			for _, v := range valid[k] {
				var n map[string]int
				if tool == "pave pii" {
					n = paveScan(all, []byte("value: "+v+"\n"))
				} else {
					n = commonregexScan("value: " + v + "\n")
				}
				if n[k] > 0 {
					found++
				}
			}
			fmt.Printf(" %d/%d |", found, len(valid[k]))
		}
		fmt.Println()
	}
}
GO

GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || GOFLAGS=-mod=mod go mod download
GOFLAGS=-mod=mod go build -o benchpii .
echo "pave $(git -C "$repo" rev-parse --short HEAD), commonregex v1.0.1, $(go version | cut -d' ' -f3), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
./benchpii "$repo"
