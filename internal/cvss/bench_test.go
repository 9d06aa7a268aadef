package cvss

import "testing"

// The vectors of the benchmarks: a common v3.1 vector, and v4.0 vectors
// with Base metrics only and with every metric group.
const (
	benchV31    = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:L/A:N"
	benchV40    = "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:L/VA:L/SC:N/SI:L/SA:N"
	benchV40All = "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P/CR:L/IR:H/AR:L/MAV:L/MAC:H/MAT:N/MPR:N/MUI:N/MVC:N/MVI:H/MVA:L/MSC:N/MSI:S/MSA:L/S:P/AU:Y/V:C/RE:L"
	benchV20    = "AV:N/AC:M/Au:N/C:P/I:P/A:P"
)

func benchParseScore(b *testing.B, s string, want float64) {
	b.ReportAllocs()
	for b.Loop() {
		v, err := Parse(s)
		if err != nil {
			b.Fatal(err)
		}
		if got := v.BaseScore(); got != want {
			b.Fatalf("%s: %v, want %v", s, got, want)
		}
	}
}

func BenchmarkParseBaseScoreV31(b *testing.B)           { benchParseScore(b, benchV31, 8.5) }
func BenchmarkParseBaseScoreV40(b *testing.B)           { benchParseScore(b, benchV40, 6.1) }
func BenchmarkParseBaseScoreV40AllMetrics(b *testing.B) { benchParseScore(b, benchV40All, 7.0) }
func BenchmarkParseBaseScoreV20(b *testing.B)           { benchParseScore(b, benchV20, 6.8) }

func BenchmarkParseV40(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchV40All); err != nil {
			b.Fatal(err)
		}
	}
}
