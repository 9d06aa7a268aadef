package pii

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchInput concatenates the repository's files under roots whose names
// end in ext, sorted, up to limit bytes.
func benchInput(tb testing.TB, ext string, limit int, roots ...string) []byte {
	tb.Helper()
	var files []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() && strings.HasSuffix(p, ext) && !ownDoc(p) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	sort.Strings(files)
	var buf bytes.Buffer
	for _, f := range files {
		if buf.Len() >= limit {
			break
		}
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// ownDoc reports this package's own documentation, full of example
// values, which would make the prose benchmark a recall test.
func ownDoc(p string) bool {
	b := filepath.Base(p)
	return b == "pii.md" || b == "bench-pii.md"
}

// proseInput is the Markdown of docs/ and vendor/: prose with tables,
// lists and some code blocks.
func proseInput(tb testing.TB) []byte {
	return benchInput(tb, ".md", 4<<20, "../../docs", "../../vendor")
}

// goInput is the first 4 MB of Go source under vendor/.
func goInput(tb testing.TB) []byte { return benchInput(tb, ".go", 4<<20, "../../vendor") }

// benchScan reports MB/s of wall time and, because the machines these
// run on are shared, MB per CPU second of the process (cpu-MB/s), which
// other load disturbs much less.
func benchScan(b *testing.B, cfg Config, in []byte) {
	e := engine(b, cfg)
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		e.Scan(in)
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(len(in))*float64(b.N)/1e6/cpu.Seconds(), "cpu-MB/s")
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// orgConfig is a realistic organisation configuration: code names, two
// internal domains, a regex with keywords and one keyed by its leading
// literal.
func orgConfig() Config {
	return Config{Custom: []Pattern{
		{ID: "ORG-CODENAMES", Terms: []string{"falcon", "blue harbor", "project-nimbus", "orca-db", "helios"}},
		{ID: "ORG-HOSTS", Domains: []string{"*.corp.example", "intra.acme"}},
		{ID: "ORG-TICKETS", Regex: `\bACME-[0-9]{3,6}\b`, Keywords: []string{"acme-"}},
		{ID: "ORG-PROJECTS", Regex: `\bPRJ_[A-Z]{2,8}_[0-9]{2}\b`},
	}}
}

// unkeyedConfig adds a regex with no literal to key it: it runs over the
// whole input.
func unkeyedConfig() Config {
	c := orgConfig()
	c.Custom = append(c.Custom, Pattern{ID: "ORG-EMPLOYEE", Regex: `\bE[0-9]{6}\b`})
	return c
}

func BenchmarkScanProse(b *testing.B)    { benchScan(b, Config{}, proseInput(b)) }
func BenchmarkScanGo(b *testing.B)       { benchScan(b, Config{}, goInput(b)) }
func BenchmarkScanProseOrg(b *testing.B) { benchScan(b, orgConfig(), proseInput(b)) }
func BenchmarkScanGoOrg(b *testing.B)    { benchScan(b, orgConfig(), goInput(b)) }
func BenchmarkScanGoOrgUnkeyedRegex(b *testing.B) {
	benchScan(b, unkeyedConfig(), goInput(b))
}
func BenchmarkScanProseNoCode(b *testing.B) {
	benchScan(b, Config{Disable: []string{"source-code"}}, proseInput(b))
}
func BenchmarkScanGoNoCode(b *testing.B) {
	benchScan(b, Config{Disable: []string{"source-code"}}, goInput(b))
}

func BenchmarkSourceGo(b *testing.B) {
	in := goInput(b)
	b.SetBytes(int64(len(in)))
	tbl := lineClasses()
	for b.Loop() {
		scanSource(in, DefaultSourceCodeMinLines, BuiltinRules()[numBuiltin], &tbl)
	}
}

func BenchmarkSourceProse(b *testing.B) {
	in := proseInput(b)
	b.SetBytes(int64(len(in)))
	tbl := lineClasses()
	for b.Loop() {
		scanSource(in, DefaultSourceCodeMinLines, BuiltinRules()[numBuiltin], &tbl)
	}
}

// BenchmarkScanPrompt is one short chat prompt with a few values in it:
// the per-request cost the gateway pays.
func BenchmarkScanPrompt(b *testing.B) {
	in := []byte(`Hi, please draft a polite reminder to our customer about the unpaid invoice.
Details: contact Anna Nowak <anna.nowak@firma.pl>, tel. +48 601 234 567,
account PL61 1090 1014 0000 0712 1981 2874, invoice 2026/11/0042 for 1,250.00 EUR,
due 2026-11-30. Mention that the card ending 6467 was declined on 2026-12-01 and
that she can call our office on (212) 736-5000 or reply to billing@firma.pl.
Keep it short, friendly and in English; sign it as "Accounts team, Falcon project".
`)
	benchScan(b, orgConfig(), in)
}

// BenchmarkScanAdversarial is input built to make the digit detectors
// work hardest: runs of fifteen one-digit groups after a phone keyword,
// every span of which is a candidate.
func BenchmarkScanAdversarial(b *testing.B) {
	in := bytes.Repeat([]byte("tel 1 2 3 4 5 6 7 8 9 1 2 3 4 5 6 x\n"), 1<<15)
	benchScan(b, Config{}, in)
}

// BenchmarkScanNumbers is a table of ids, amounts and timestamps: digit
// tokens everywhere, none of them personal data.
func BenchmarkScanNumbers(b *testing.B) {
	var in []byte
	for i := 0; len(in) < 1<<20; i++ {
		in = fmt.Appendf(in, "%d,%d,%d.%02d,%d,order %d shipped\n", 1000000+i*7, 17000000000+i*13, i%9999, i%100, 1700000000+i, 30000000+i)
	}
	benchScan(b, Config{}, in)
}

// BenchmarkScanHostile is input shaped to make each stage work hardest:
// long runs of what starts a candidate (colons, at signs, +digits,
// two capitals and two digits, keyword hits for a regex) and inputs that
// are nothing but values (a code name or an address every few bytes).
func BenchmarkScanHostile(b *testing.B) {
	for _, unit := range []string{":", "1:a:", "a@", "(", "+1 ", "PL61 ", "ACME-", "tel 1 2 3 4 5 6 7 8 9 1 2 3 4 5 6 x\n", "falcon ", "z.corp.example "} {
		in := bytes.Repeat([]byte(unit), (1<<20)/len(unit))
		b.Run(strings.TrimSpace(unit), func(b *testing.B) { benchScan(b, orgConfig(), in) })
	}
}
