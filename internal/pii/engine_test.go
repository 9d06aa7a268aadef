package pii

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/finding"
)

// found renders a scan as "name value" lines (the clear values appear
// only in the test's own expectations).
func found(t *testing.T, e *Engine, in string) []string {
	t.Helper()
	var got []string
	for _, m := range e.Scan([]byte(in)) {
		got = append(got, m.Rule.Name+" "+in[m.Start:m.End])
	}
	return got
}

func engine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Valid values in the formats people write them. IBANs are the examples
// of the SWIFT IBAN Registry; cards are the test numbers Stripe, Visa and
// other processors publish (and numbers completed with a Luhn digit by
// luhnComplete); PESEL, NIP, REGON and Steuer-ID values are completed with
// their check digit by the helpers in gen_test.go, or are the examples of
// the format's documentation as noted.
func TestDetect(t *testing.T) {
	e := engine(t, Config{})
	tests := []struct {
		name, in string
		want     []string
	}{
		{"email", "write to jan.kowalski@wp.pl today", []string{"email jan.kowalski@wp.pl"}},
		{"email plus tag", "<anna+news@mail.corp.io>", []string{"email anna+news@mail.corp.io"}},
		{"email sentence end", "Contact: bob_smith@uni-heidelberg.de.", []string{"email bob_smith@uni-heidelberg.de"}},
		{"email in json", `{"email":"maria.rossi@libero.it"}`, []string{"email maria.rossi@libero.it"}},
		{"mailto", "<a href=\"mailto:ola@firma.pl\">", []string{"email ola@firma.pl"}},
		{"visa spaced", "card 4539 1488 0343 6467 exp 12/29", []string{"card 4539 1488 0343 6467"}},
		{"visa contiguous", "pan=4916338506082832;", []string{"card 4916338506082832"}},
		{"mastercard dashed", "5425-2334-3010-9903", []string{"card 5425-2334-3010-9903"}},
		{"mastercard 2-series", "2223000048410010", []string{"card 2223000048410010"}},
		{"amex 4-6-5", "Amex 3714 496353 98431", []string{"card 3714 496353 98431"}},
		{"stripe test visa", "use 4242 4242 4242 4242 in test mode", []string{"card 4242 4242 4242 4242"}},
		{"jcb", "3566002020360505", []string{"card 3566002020360505"}},
		{"discover", "6011 1111 1111 1117", []string{"card 6011 1111 1111 1117"}},
		{"generated 19-digit visa", "x " + luhnComplete("411111111111111111") + " y", []string{"card " + luhnComplete("411111111111111111")}},
		{"iban de print", "IBAN: DE89 3704 0044 0532 0130 00", []string{"iban DE89 3704 0044 0532 0130 00"}},
		{"iban de electronic", "DE89370400440532013000", []string{"iban DE89370400440532013000"}},
		{"iban gb", "GB29 NWBK 6016 1331 9268 19", []string{"iban GB29 NWBK 6016 1331 9268 19"}},
		{"iban pl", "nr konta PL61 1090 1014 0000 0712 1981 2874.", []string{"iban PL61 1090 1014 0000 0712 1981 2874"}},
		{"iban fr letters in bban", "FR14 2004 1010 0505 0001 3M02 606", []string{"iban FR14 2004 1010 0505 0001 3M02 606"}},
		{"iban no shortest", "NO93 8601 1117 947", []string{"iban NO93 8601 1117 947"}},
		{"iban mt longest letters", "MT84 MALT 0110 0001 2345 MTLC AST0 01S", []string{"iban MT84 MALT 0110 0001 2345 MTLC AST0 01S"}},
		{"pesel wikipedia example", "PESEL 44051401359", []string{"pesel 44051401359"}},
		{"pesel born 2003", "pesel: " + pesel(2003, 2, 28, "1234"), []string{"pesel " + pesel(2003, 2, 28, "1234")}},
		{"pesel born 1899", pesel(1899, 12, 31, "0007"), []string{"pesel " + pesel(1899, 12, 31, "0007")}},
		{"pesel leap day 2000", pesel(2000, 2, 29, "5556"), []string{"pesel " + pesel(2000, 2, 29, "5556")}},
		{"nip dashed", "NIP 123-456-32-18", []string{"nip 123-456-32-18"}},
		{"nip 3-2-2-3", "123-45-63-218", []string{"nip 123-45-63-218"}},
		{"nip PL prefix", "VAT: PL1234563218", []string{"nip PL1234563218"}},
		{"nip keyword", "NIP: 1234563218", []string{"nip 1234563218"}},
		{"regon 9", "REGON 123456785", []string{"regon 123456785"}},
		{"regon 14", "REGON: " + regon14("123456785", "1234"), []string{"regon " + regon14("123456785", "1234")}},
		{"ssn", "SSN 536-90-4399", []string{"us-ssn 536-90-4399"}},
		{"ssn plain with keyword", "social security number: 536904399", []string{"us-ssn 536904399"}},
		{"nino", "NI number AB123456C.", []string{"uk-nino AB123456C"}},
		{"nino spaced", "NINO: JG 10 37 29 A", []string{"uk-nino JG 10 37 29 A"}},
		{"steuer-id published example", "Steuer-ID 86095742719", []string{"de-steuer-id 86095742719"}},
		{"steuer-id grouped", "Steuerliche IdNr: 47 036 892 816", []string{"de-steuer-id 47 036 892 816"}},
		{"pl id card usual example", "dowód osobisty ABA300000", []string{"pl-id-card ABA300000"}},
		{"pl id card generated", "nr dowodu: " + plIDCard("CAB", "12345"), []string{"pl-id-card " + plIDCard("CAB", "12345")}},
		{"es dni", "DNI " + dni("48273915"), []string{"es-dni " + dni("48273915")}},
		{"es nie", "NIE: " + dni("X1234567"), []string{"es-dni X1234567L"}},
		{"es nie y", dni("Y7654321") + ",", []string{"es-dni " + dni("Y7654321")}},
		{"phone e164", "call +48601234567 now", []string{"phone +48601234567"}},
		{"phone intl spaced", "Tel +44 20 7946 0958", []string{"phone +44 20 7946 0958"}},
		{"phone intl parens", "+1 (415) 555-2671", []string{"phone +1 (415) 555-2671"}},
		{"phone nanp parens", "ring (212) 736-5000 ext", []string{"phone (212) 736-5000"}},
		{"phone nanp dashed", "415-555-2671", []string{"phone 415-555-2671"}},
		{"phone national with keyword", "tel. 22 123 45 67", []string{"phone 22 123 45 67"}},
		{"phone german with keyword", "Telefon: 030 12345678", []string{"phone 030 12345678"}},
		{"ipv4", "connect to 10.20.30.40:5432", []string{"ipv4 10.20.30.40"}},
		{"ipv4 cidr", "allow 192.168.1.0/24", []string{"ipv4 192.168.1.0"}},
		{"ipv4 public small first octet", "client 5.173.22.9 logged in", []string{"ipv4 5.173.22.9"}},
		{"ipv4 private small octets", "gw 10.0.0.1 and 172.16.0.2", []string{"ipv4 10.0.0.1", "ipv4 172.16.0.2"}},
		{"ipv6", "server 2a00:1450:4001:82b::200e responded", []string{"ipv6 2a00:1450:4001:82b::200e"}},
		{"ipv6 zone", "ping fe80::1ff:fe23:4567:890a%eth0", []string{"ipv6 fe80::1ff:fe23:4567:890a"}},
		{"ipv6 in brackets with port", "http://[2606:4700:4700::1111]:443/", []string{"ipv6 2606:4700:4700::1111"}},
		{"after a lone colon", "Karta :4539148803436467", []string{"card 4539148803436467"}},
		{"several", "a@corp.pl, 4242424242424242 and PL61109010140000071219812874",
			[]string{"email a@corp.pl", "card 4242424242424242", "iban PL61109010140000071219812874"}},
		// A PESEL after "tel": both fit; the checksum-validated one wins.
		{"checksum wins", "tel 44051401359", []string{"pesel 44051401359"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, found(t, e, tt.in)); d != "" {
				t.Errorf("Scan(%q) (-want +got):\n%s", tt.in, d)
			}
		})
	}
}

// Near misses: formats that look like personal data and are not, or
// whose context says they are something else.
func TestNearMisses(t *testing.T) {
	e := engine(t, Config{})
	for _, in := range []string{
		// e-mail look-alikes and placeholders
		"user@example.com", "admin@sub.example.org", "noreply@github.com", "git@github.com:org/repo.git",
		"icon@2x.png", "golang.org/x/mod@v0.43.0", "image@sha256:abcd", "@scope/package", "foo@bar", "a@b.c",
		"name@domain.tld", "x@localhost", "me@host.test", "https://deploy:s3cr3t@registry.firma.pl/v2/",
		"postgres://app:pw@db.firma.pl:5432/x",
		// cards: bad Luhn, unknown issuer, odd grouping
		"4539 1488 0343 6468", "1234 5678 9012 3456", "9999999999999995", "4539-1488 0343-6467", "42424 24242 42424 2",
		// IBANs: bad check digits, wrong country length, lower case, unknown country
		"DE88 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 0", "de89370400440532013000", "XX89370400440532013000",
		"PL61 1090 1014 0000 0712 1981 2875",
		// PESEL: bad check digit, impossible date
		"44051401358", "44023001352", "44150101357",
		// dates, versions, times, UUIDs, hashes, ids in code
		"2024-01-15", "15.01.2024", "2024-01-15T10:30:00+01:00", "v1.2.3", "1.22.4", "go1.26.8", "12:30:45",
		"550e8400-e29b-41d4-a716-446655440000", "d41d8cd98f00b204e9800998ecf8427e",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "1700000000", "1700000000123",
		"id: 12345678901234", "x = 44051401359_0", "build-536-90-4399", "0x4242424242424242", "#4242424242424242x",
		// phones without context, invalid numbers
		"22 123 45 67", "030 12345678", "+0 123 456 789", "+1 055 555 2671", "555-0123", "(555) 012-3456",
		"+2024-01-15", "a+48601234567", "(212) 155-5000",
		// national ids without their keyword or failing their rules
		"1234563218", "123456785", "536904399", "000-12-3456", "666-12-3456", "900-12-3456", "078-05-1120",
		"QQ123456C", "AB123456E", "GB123456A", "DA123456C", "86095742719", "Steuer-ID 86095742718",
		"Steuer-ID 11111111111", "ABA300000", "dowód ABA300001", "dowód ABA3000001", "12345678Z", "48273915A",
		"X1234567A", "x1234567L", "AX1234567L", "1248273915T",
		// IP look-alikes
		"1.2.3.4.5", "256.1.1.1", "10.0.0.01", "0.0.0.0", "255.255.255.255", "OID 1.2.840.113549.1.1.11",
		"[buster] - apt 1.8.2.1", "python-apt 0.9.3.13", "ruby-nokogiri 1.6.3.1+ds-1+deb8u1", "apt 0.6.46.4-0.1+etch1",
		"This release, 11.0.20.1, allows", ".NET Runtime 8.0.1.12.", "resolver 8.8.8.8", "- 22.11.4.3",
		"12:30:45", "std::vector<int>", "(a::b)", "dead::beef", "00:1a:2b:3c:4d:5e", "::1", "2001:db8::1",
		"::ffff:10.0.0.1", "key: 2024", "fd00:ec2::254", "x:=1234", "Foo::bar::1234",
	} {
		if got := found(t, e, in); len(got) > 0 {
			t.Errorf("Scan(%q) = %q, want nothing", in, got)
		}
	}
}

func TestMaskAndHash(t *testing.T) {
	e := engine(t, Config{Custom: []Pattern{{ID: "ORG-HOSTS", Terms: []string{"falcon-db"}}}})
	tests := []struct{ in, want string }{
		{"john.doe@example.pl", "j***@e***.pl"},
		{"4539 1488 0343 6467", "**** **** **** 6467"},
		{"4539148803436467", "**** **** **** 6467"},
		{"3714 496353 98431", "**** **** *** 8431"},
		{"PL61 1090 1014 0000 0712 1981 2874", "PL** **** **** **** **** **** 2874"},
		{"DE89370400440532013000", "DE** **** **** **** **30 00"},
		{"44051401359", "*******1359"},
		{"SSN 536-90-4399", "***-**-4399"},
		{"+48 601 234 567", "+** *** *** *67"},
		{"10.20.30.40", "10.*.*.*"},
		{"falcon-db", "fa****(9 chars)"},
	}
	for _, tt := range tests {
		ms := e.Scan([]byte(tt.in))
		if len(ms) != 1 {
			t.Errorf("Scan(%q): %d matches, want 1", tt.in, len(ms))
			continue
		}
		m := ms[0]
		if m.Masked != tt.want {
			t.Errorf("Scan(%q).Masked = %q, want %q", tt.in, m.Masked, tt.want)
		}
		sum := sha256.Sum256([]byte(tt.in[m.Start:m.End]))
		if want := "sha256:" + hex.EncodeToString(sum[:]); m.Hash != want {
			t.Errorf("Scan(%q).Hash = %s, want %s", tt.in, m.Hash, want)
		}
		if strings.Contains(m.Masked, tt.in[m.Start:m.End]) {
			t.Errorf("Scan(%q).Masked %q shows the value", tt.in, m.Masked)
		}
	}
}

func TestMatchFields(t *testing.T) {
	e := engine(t, Config{})
	in := "first line\n  card 4242424242424242 and 4539148803436467\n"
	ms := e.Scan([]byte(in))
	if len(ms) != 2 {
		t.Fatalf("got %d matches, want 2", len(ms))
	}
	if m := ms[0]; m.Line != 2 || m.Column != 8 || m.Category != CategoryPII || m.Severity != finding.Low || m.Rule.ID != "PAVE-PII-004" {
		t.Errorf("test card: line %d column %d category %s severity %s rule %s", m.Line, m.Column, m.Category, m.Severity, m.Rule.ID)
	}
	if m := ms[1]; m.Severity != finding.High || m.Column != 29 {
		t.Errorf("real card: severity %s column %d, want high at 29", m.Severity, m.Column)
	}
}

func TestConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown disable", Config{Disable: []string{"passport"}}, `pii: disable: unknown rule "passport"`},
		{"bad regex", Config{Custom: []Pattern{{ID: "ORG-TICKET", Regex: `TICKET-(\d+`}}},
			"pii: pattern ORG-TICKET: regex: error parsing regexp: missing closing ): `TICKET-(\\d+`"},
		{"no id", Config{Custom: []Pattern{{Terms: []string{"x"}}}}, "pii: pattern 1 has no id"},
		{"duplicate id", Config{Custom: []Pattern{{ID: "A", Terms: []string{"x"}}, {ID: "A", Terms: []string{"y"}}}}, "pii: pattern A: id already in use"},
		{"builtin id", Config{Custom: []Pattern{{ID: "PAVE-PII-001", Terms: []string{"x"}}}}, "pii: pattern PAVE-PII-001: id already in use"},
		{"reserved prefix", Config{Custom: []Pattern{{ID: "pave-pii-900", Terms: []string{"x"}}}}, "pii: pattern pave-pii-900: ids starting PAVE- are pave's own"},
		{"two kinds", Config{Custom: []Pattern{{ID: "A", Terms: []string{"x"}, Regex: "y"}}}, "pii: pattern A: set exactly one of terms, regex and domains"},
		{"nothing", Config{Custom: []Pattern{{ID: "A"}}}, "pii: pattern A: set exactly one of terms, regex and domains"},
		{"keywords without regex", Config{Custom: []Pattern{{ID: "A", Terms: []string{"x"}, Keywords: []string{"k"}}}}, "pii: pattern A: keywords need a regex"},
		{"empty term", Config{Custom: []Pattern{{ID: "A", Terms: []string{" "}}}}, "pii: pattern A: empty or multi-line term"},
		{"bad domain", Config{Custom: []Pattern{{ID: "A", Domains: []string{"corp..example"}}}}, `pii: pattern A: bad domain "corp..example"`},
	} {
		_, err := New(tt.cfg)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: New() error = %v, want %s", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error spans lines", tt.name)
		}
	}
}

func TestDisable(t *testing.T) {
	e := engine(t, Config{Disable: []string{"email", "PAVE-PII-004", "source-code"}})
	in := "a.b@corp.pl 4539148803436467 PL61109010140000071219812874"
	if d := cmp.Diff([]string{"iban PL61109010140000071219812874"}, found(t, e, in)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, r := range e.Rules() {
		if r.Name == "email" || r.Name == "card" || r.Name == "source-code" {
			t.Errorf("disabled rule %s still listed", r.Name)
		}
	}
	if got := e.Scan([]byte(goSample(60))); len(got) != 0 {
		t.Errorf("source-code disabled, got %d matches", len(got))
	}
}

func TestRules(t *testing.T) {
	ids, names := map[string]bool{}, map[string]bool{}
	for _, r := range BuiltinRules() {
		if !strings.HasPrefix(r.ID, "PAVE-PII-") || r.Name == "" || r.Title == "" || r.Validation == "" ||
			r.Severity == finding.Unknown || ids[r.ID] || names[r.Name] {
			t.Errorf("rule %+v: needs a unique PAVE-PII id and name, a title, validation and severity", r)
		}
		ids[r.ID], names[r.Name] = true, true
		if r.Checksum && r.valid == nil {
			t.Errorf("%s: checksum rule without validator", r.ID)
		}
	}
	e := engine(t, Config{Custom: []Pattern{{ID: "ORG-1", Terms: []string{"x"}}}})
	if got := len(e.Rules()); got != len(BuiltinRules())+1 {
		t.Errorf("Rules() has %d, want %d", got, len(BuiltinRules())+1)
	}
}

func TestOrgPatterns(t *testing.T) {
	e := engine(t, Config{Disable: []string{"email"}, Custom: []Pattern{
		{ID: "ORG-CODENAMES", Title: "Project code names", Terms: []string{"Falcon", "Blue Harbor"}, Severity: finding.High},
		{ID: "ORG-HOSTS", Domains: []string{"*.corp.example", "intra.acme"}},
		{ID: "ORG-TICKETS", Category: "ticket", Regex: `\bACME-[0-9]{3,6}\b`, Keywords: []string{"acme-"}},
		{ID: "ORG-EMPLOYEE", Regex: `\bE[0-9]{6}\b`},
	}})
	tests := []struct {
		in   string
		want []string
	}{
		{"the FALCON launch", []string{"ORG-CODENAMES FALCON"}},
		{"falconry and Falcons", nil},
		{"see blue harbor.", []string{"ORG-CODENAMES blue harbor"}},
		{"ssh db01.corp.example or corp.example or mycorp.example", []string{"ORG-HOSTS db01.corp.example"}},
		{"https://git.intra.acme/x and intra.acme", []string{"ORG-HOSTS git.intra.acme", "ORG-HOSTS intra.acme"}},
		{"db01.corp.example.com", nil},
		{"fixes ACME-1234 and acme-99", []string{"ORG-TICKETS ACME-1234"}},
		{"employee E123456\nACME-12", []string{"ORG-EMPLOYEE E123456"}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, found(t, e, tt.in)); d != "" {
			t.Errorf("Scan(%q) (-want +got):\n%s", tt.in, d)
		}
	}
	ms := e.Scan([]byte("FALCON"))
	if len(ms) != 1 || ms[0].Severity != finding.High || ms[0].Category != CategoryOrg {
		t.Errorf("term match: %+v", ms)
	}
	// A custom pattern named like a built-in detector is masked as an
	// organisation value, not by the detector's rules.
	card := engine(t, Config{Custom: []Pattern{{ID: "card", Terms: []string{"sekret-42"}}}})
	if ms := card.Scan([]byte("sekret-42")); len(ms) != 1 || ms[0].Masked != "se****(9 chars)" {
		t.Errorf("custom pattern named card: %+v", ms)
	}
	ms = e.Scan([]byte("ACME-123"))
	if len(ms) != 1 || ms[0].Category != "ticket" || ms[0].Severity != finding.Medium {
		t.Errorf("regex match: %+v", ms)
	}
}

func TestLeadingLiteral(t *testing.T) {
	for expr, want := range map[string]string{
		`\bACME-[0-9]{3,6}\b`: "ACME-",
		`(?i)acme-\d+`:        "ACME-",
		`(?i)łódź-\d+`:        "", // non-ASCII letters folded: not for the automaton
		`^ticket:\d+`:         "ticket:",
		`(PROJ-)\d+`:          "PROJ-",
		`\bE[0-9]{6}\b`:       "", // too short to help
		`ACME-\s\d+`:          "", // \s can match a line break
		`(ACME|ZETA)-\d+`:     "", // no single literal
		`ACME(.|\n)*END`:      "", // spans lines
		`[a-z]+ACME`:          "", // the literal is not first
	} {
		if got := leadingLiteral(expr); got != want {
			t.Errorf("leadingLiteral(%q) = %q, want %q", expr, got, want)
		}
	}
	// An expression keyed by its literal finds what it finds over the
	// whole input.
	in := []byte("x ACME-123 and\nACME-9 ACME-4567\nnothing\n(acme-55) ACME-000001")
	keyed := engine(t, Config{Custom: []Pattern{{ID: "T", Regex: `\bACME-[0-9]{1,6}\b`}}})
	var got []string
	for _, m := range keyed.Scan(in) {
		got = append(got, string(in[m.Start:m.End]))
	}
	if d := cmp.Diff([]string{"ACME-123", "ACME-9", "ACME-4567", "ACME-000001"}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestNonASCIITerm(t *testing.T) {
	e := engine(t, Config{Custom: []Pattern{{ID: "CITY", Terms: []string{"Łódź"}}}})
	if got := found(t, e, "biuro w Łódź, ul. Piotrkowska"); len(got) != 1 {
		t.Errorf("non-ASCII term: got %q", got)
	}
}

func ExampleEngine_Scan() {
	e, err := New(Config{})
	if err != nil {
		panic(err)
	}
	for _, m := range e.Scan([]byte("Pay to DE89 3704 0044 0532 0130 00, receipt to anna.nowak@firma.pl")) {
		fmt.Println(m.Rule.Name, m.Start, m.End, m.Masked)
	}
	// Output:
	// iban 7 34 DE** **** **** **** **30 00
	// email 47 66 a***@f***.pl
}
