package pii

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// planted is a value generated from its format's definition and the
// sentence it is written into.
type planted struct {
	rule, value, line string
}

// ibanFor builds a valid IBAN for a country with a random BBAN of the
// country's length (digits, and letters where alpha is set), computing
// the check digits as ISO 13616 defines them: 98 - (BBAN + country +
// "00") mod 97.
func ibanFor(r *rand.Rand, cc string, alpha bool) string {
	n := ibanLength(cc[0], cc[1]) - 4
	bban := make([]byte, n)
	for i := range bban {
		if alpha && i < 4 {
			bban[i] = byte('A' + r.IntN(26))
		} else {
			bban[i] = byte('0' + r.IntN(10))
		}
	}
	rem := 0
	for _, c := range string(bban) + cc + "00" {
		if c >= 'A' {
			rem = (rem*100 + int(c-'A'+10)) % 97
		} else {
			rem = (rem*10 + int(c-'0')) % 97
		}
	}
	return fmt.Sprintf("%s%02d%s", cc, 98-rem, bban)
}

func printIBAN(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

// plantedValues generates n values of every kind, each in a sentence.
func plantedValues(n int) []planted {
	r := rand.New(rand.NewPCG(7, 13))
	var out []planted
	countries := []string{}
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			if ibanLength(byte(a), byte(b)) > 0 {
				countries = append(countries, string(a)+string(b))
			}
		}
	}
	for _, cc := range countries { // every country, both forms
		v := ibanFor(r, cc, cc == "GB" || cc == "NL" || cc == "MT")
		out = append(out, planted{"iban", v, "Please transfer it to " + v + " by Friday."},
			planted{"iban", printIBAN(v), "IBAN: " + printIBAN(v)})
	}
	prefixes := []string{"4", "51", "55", "2221", "2720", "34", "37", "6011", "65", "3530", "36", "62", "2201", "6759"}
	for i := 0; i < n; i++ {
		p := prefixes[i%len(prefixes)]
		length := map[string]int{"34": 15, "37": 15, "36": 14}[p]
		if length == 0 {
			length = 16
		}
		card := luhnComplete(p + digits(r, length-1-len(p)))
		written := card
		if length == 16 && i%2 == 0 {
			written = card[:4] + " " + card[4:8] + " " + card[8:12] + " " + card[12:]
		}
		out = append(out, planted{"card", written, "my card is " + written + ", expiry 04/29"})

		year := 1850 + r.IntN(300)
		month, day := 1+r.IntN(12), 1+r.IntN(28)
		ps := pesel(year, month, day, digits(r, 4))
		out = append(out, planted{"pesel", ps, "Pacjent, PESEL " + ps + ", zgłosił się rano."})

		var nip string
		for {
			nip = fmt.Sprint(1+r.IntN(9)) + digits(r, 8)
			sum := 0
			for k, w := range []int{6, 5, 7, 2, 3, 4, 5, 6, 7} {
				sum += w * int(nip[k]-'0')
			}
			if sum%11 != 10 {
				nip += fmt.Sprint(sum % 11)
				break
			}
		}
		dashed := nip[:3] + "-" + nip[3:6] + "-" + nip[6:8] + "-" + nip[8:]
		out = append(out, planted{"nip", dashed, "Faktura dla firmy, NIP " + dashed + "."})

		ssn := fmt.Sprintf("%03d-%02d-%04d", 1+r.IntN(665), 1+r.IntN(99), 1+r.IntN(9999))
		out = append(out, planted{"us-ssn", ssn, "Employee SSN: " + ssn})

		user := []string{"anna", "jan.kowalski", "m.rossi", "li_wei", "o'neil"}[i%5]
		if user == "o'neil" {
			user = "oneil+work"
		}
		email := fmt.Sprintf("%s%d@%s", user, i, []string{"gmail.com", "firma.pl", "mail.corp.io", "uni-heidelberg.de"}[i%4])
		out = append(out, planted{"email", email, "Reply to <" + email + "> please."})

		id := dni(fmt.Sprintf("%08d", r.IntN(100000000)))
		if i%3 == 0 {
			id = dni(fmt.Sprintf("%c%07d", "XYZ"[r.IntN(3)], r.IntN(10000000)))
		}
		if id != "12345678Z" && id != "00000000T" {
			out = append(out, planted{"es-dni", id, "Nombre: Ana García, DNI/NIE " + id + ", Madrid."})
		}

		phone := fmt.Sprintf("+48 %d%02d %03d %03d", 5+r.IntN(4), r.IntN(100), r.IntN(1000), r.IntN(1000))
		out = append(out, planted{"phone", phone, "Call me on " + phone + " after 5pm."})
	}
	return out
}

// TestPlanted writes generated values into sentences and requires every
// one to be found, exactly, by the rule that owns it.
func TestPlanted(t *testing.T) {
	e := engine(t, Config{})
	missed := map[string]int{}
	total := map[string]int{}
	for _, p := range plantedValues(300) {
		total[p.rule]++
		var got []string
		ok := false
		for _, m := range e.Scan([]byte(p.line)) {
			v := p.line[m.Start:m.End]
			got = append(got, m.Rule.Name+" "+v)
			if m.Rule.Name == p.rule && v == p.value {
				ok = true
			}
		}
		if !ok {
			missed[p.rule]++
			if missed[p.rule] <= 3 {
				t.Errorf("%s %q in %q: got %q", p.rule, p.value, p.line, got)
			}
		}
	}
	for rule, n := range missed {
		t.Errorf("%s: missed %d of %d", rule, n, total[rule])
	}
}

// TestConcurrentScan runs one engine from several goroutines (go test
// -race checks it shares nothing mutable).
func TestConcurrentScan(t *testing.T) {
	e := engine(t, orgConfig())
	in := []byte(strings.Repeat("anna@firma.pl 4539 1488 0343 6467 FALCON db01.corp.example\n", 50) + goSample(40))
	want := len(e.Scan(in))
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if n := len(e.Scan(in)); n != want {
					t.Errorf("concurrent scan: %d matches, want %d", n, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}
