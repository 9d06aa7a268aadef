package pii

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"net/mail"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fuzzSeeds are inputs from the table tests: valid values, near misses
// and the source samples.
func fuzzSeeds(f *testing.F) {
	for _, s := range []string{
		"write to jan.kowalski@wp.pl, card 4539 1488 0343 6467, IBAN PL61 1090 1014 0000 0712 1981 2874",
		"PESEL 44051401359 NIP 123-456-32-18 REGON 123456785 SSN 536-90-4399 NINO AB 12 34 56 C",
		"Steuer-ID 86095742719 tel. +48 601 234 567 (212) 736-5000 10.20.30.40:5432",
		"MT84 MALT 0110 0001 2345 MTLC AST0 01S 3714 496353 98431 PL1234563218",
		"2024-01-15 v1.2.3.4 550e8400-e29b-41d4-a716-446655440000 icon@2x.png +2024-01-15",
		"FALCON db01.corp.example ACME-1234 E123456 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18",
		"tel " + strings.Repeat("1 ", 40), "@@@@", "((((((", "+", "+1", "a@", "@b.c", "PL", "AB 1",
	} {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob("testdata/source/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

func FuzzScan(f *testing.F) {
	fuzzSeeds(f)
	e := engine(f, Config{SourceCodeMinLines: 5, Custom: orgConfig().Custom})
	f.Fuzz(func(t *testing.T, b []byte) {
		checkMatches(t, b, e.Scan(b))
	})
}

// checkMatches asserts the invariants of a scan: spans in bounds and in
// order, values that do not overlap (source-code blocks aside), line and
// column, the hash of the exact bytes, a mask that hides the value, and
// every validated value re-validating on its own.
func checkMatches(t *testing.T, b []byte, ms []Match) {
	t.Helper()
	prevStart, prevEnd := -1, 0
	for _, m := range ms {
		if m.Start < 0 || m.End > len(b) || m.Start >= m.End || m.Start < prevStart {
			t.Fatalf("%s: span %d-%d out of bounds or order (len %d, previous start %d)", m.Rule.ID, m.Start, m.End, len(b), prevStart)
		}
		prevStart = m.Start
		v := b[m.Start:m.End]
		if m.Category != CategorySourceCode {
			if m.Start < prevEnd {
				t.Fatalf("%s: span %d-%d overlaps the previous value ending at %d", m.Rule.ID, m.Start, m.End, prevEnd)
			}
			prevEnd = m.End
		}
		if m.Line != bytes.Count(b[:m.Start], []byte("\n"))+1 || m.Column != m.Start-bytes.LastIndexByte(b[:m.Start], '\n') {
			t.Fatalf("%s: line %d column %d wrong for offset %d", m.Rule.ID, m.Line, m.Column, m.Start)
		}
		sum := sha256.Sum256(v)
		if m.Hash != "sha256:"+hex.EncodeToString(sum[:]) || m.Category != m.Rule.Category || m.Severity == 0 {
			t.Fatalf("%s: hash %s category %s severity %s", m.Rule.ID, m.Hash, m.Category, m.Severity)
		}
		if len(v) >= 8 && strings.Contains(m.Masked, string(v)) {
			t.Fatalf("%s: masked form %q shows the value", m.Rule.ID, m.Masked)
		}
		if m.Rule.valid != nil && !m.Rule.valid(v) {
			t.Fatalf("%s: matched value %q does not re-validate", m.Rule.ID, v)
		}
	}
}

// FuzzValidators checks each validator against an independent
// formulation of its rule (math/big for mod-97, time.Date for PESEL's
// calendar, net/netip for IPv4, net/mail for addresses) and that none
// panics on any input.
func FuzzValidators(f *testing.F) {
	for _, s := range []string{
		"DE89370400440532013000", "GB29NWBK60161331926819", "NO9386011117947", "XX00", "PL61109010140000071219812874",
		"44051401359", "02222900000", "99923100009", "4539148803436467", "4222222222222", "10.0.0.1", "1.2.3.04",
		"256.0.0.1", "jan.kowalski@wp.pl", "a..b@c.de", "AB123456C", "86095742719", "123-456-32-18", "536-90-4399",
		"48273915T", "X1234567L", "Z0000000M", "ABA300000", "2a00:1450:4001:82b::200e",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := []byte(s)
		for _, r := range BuiltinRules() {
			if r.valid != nil {
				r.valid(v) // must not panic
			}
		}
		if got, want := ibanChars(v), refIBAN(s); got != want {
			t.Fatalf("ibanChars(%q) = %v, reference %v", s, got, want)
		}
		if allDigits(s) {
			if got, want := luhn(v), refLuhn(s); got != want {
				t.Fatalf("luhn(%q) = %v, reference %v", s, got, want)
			}
			if got, want := peselDigits(v), refPESEL(s); got != want {
				t.Fatalf("peselDigits(%q) = %v, reference %v", s, got, want)
			}
		}
		if got, want := validIPv4(v), refIPv4(s); got != want {
			t.Fatalf("validIPv4(%q) = %v, reference %v", s, got, want)
		}
		if got, want := validESDNI(v), refDNI(s); got != want {
			t.Fatalf("validESDNI(%q) = %v, reference %v", s, got, want)
		}
		if validIPv6(v) {
			if a, err := netip.ParseAddr(s); err != nil || !a.Is6() {
				t.Fatalf("validIPv6(%q) but net/netip: %v", s, err)
			}
		}
		if validEmail(v) {
			if _, err := mail.ParseAddress(s); err != nil {
				t.Fatalf("validEmail(%q) but net/mail: %v", s, err)
			}
		}
	})
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// refIBAN: the registry length, then the whole rearranged number mod 97.
func refIBAN(s string) bool {
	if len(s) < 4 || ibanLength(s[0], s[1]) != len(s) || !isDigit(s[2]) || !isDigit(s[3]) {
		return false
	}
	var num strings.Builder
	for _, c := range s[4:] + s[:4] {
		switch {
		case c >= '0' && c <= '9':
			num.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			num.WriteString(big.NewInt(int64(c - 'A' + 10)).String())
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(num.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// refLuhn: double every second digit from the right and sum the digits of
// the products.
func refLuhn(s string) bool {
	sum := 0
	for i := 0; i < len(s); i++ {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			d = d*2/10 + d*2%10
		}
		sum += d
	}
	return sum%10 == 0
}

// refPESEL: the century from the month offset, the date through
// time.Date (which normalises impossible dates), the check digit.
func refPESEL(s string) bool {
	if len(s) != 11 {
		return false
	}
	num := func(i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }
	yy, mm, dd := num(0), num(2), num(4)
	century := map[int]int{0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100, 6: 2200, 7: 2200, 8: 1800, 9: 1800}[mm/10]
	month := mm % 20
	if month < 1 || month > 12 || dd < 1 {
		return false
	}
	d := time.Date(century+yy, time.Month(month), dd, 0, 0, 0, 0, time.UTC)
	if d.Day() != dd || int(d.Month()) != month {
		return false
	}
	w := []int{1, 3, 7, 9, 1, 3, 7, 9, 1, 3}
	sum := 0
	for i, x := range w {
		sum += x * int(s[i]-'0')
	}
	return (10-sum%10)%10 == int(s[10]-'0')
}

// refIPv4: net/netip's parser (which refuses leading zeros), less the two
// addresses the detector skips.
func refIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4() && s != "0.0.0.0" && s != "255.255.255.255"
}

// refDNI: the NIE's letter replaced by its digit, the number parsed with
// strconv, the control letter from the table.
func refDNI(s string) bool {
	if len(s) != 9 || s == "12345678Z" || s == "00000000T" {
		return false
	}
	num := s[:8]
	if k := strings.IndexByte("XYZ", num[0]); k >= 0 {
		num = string(rune('0'+k)) + num[1:]
	}
	if !allDigits(num) {
		return false
	}
	n, err := strconv.Atoi(num)
	return err == nil && "TRWAGMYFPDXBNJZSQVHLCKE"[n%23] == s[8]
}
