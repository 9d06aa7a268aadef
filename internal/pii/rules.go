package pii

import "github.com/pavesec/pave/internal/finding"

// Indexes of the built-in detectors in builtinRules.
const (
	rEmail = iota
	rPhone
	rIBAN
	rCard
	rPESEL
	rNIP
	rREGON
	rSSN
	rNINO
	rSteuerID
	rIPv4
	rIPv6
	rPLIDCard
	rESDNI
	numBuiltin
)

// builtinRules returns the built-in rules: the detectors indexed by the
// constants above, then the source-code rule. Each call returns fresh
// rules, so engines share no mutable state.
func builtinRules() []*Rule {
	return []*Rule{
		rEmail: {ID: "PAVE-PII-001", Name: "email", Title: "E-mail address", Category: CategoryPII, Severity: finding.Medium,
			Validation: "RFC 5322 dot-atom local part (ASCII), host of two or more LDH labels with an alphabetic TLD that is not a file extension; documentation domains and no-reply mailboxes skipped",
			valid:      validEmail},
		rPhone: {ID: "PAVE-PII-002", Name: "phone", Title: "Phone number", Category: CategoryPII, Severity: finding.Medium,
			Validation: "+ and 8-15 digits (E.164) with an assigned country code; North American (NXX) NXX-XXXX; other national formats only after a word such as tel or phone"},
		rIBAN: {ID: "PAVE-PII-003", Name: "iban", Title: "IBAN (bank account)", Category: CategoryPII, Severity: finding.High, Checksum: true,
			Validation: "ISO 13616: country code, the country's registered length, upper-case letters and digits, mod-97 = 1; electronic or print (groups of four) form",
			Priority:   5, valid: validIBAN},
		rCard: {ID: "PAVE-PII-004", Name: "card", Title: "Payment card number", Category: CategoryPII, Severity: finding.High, Checksum: true,
			Validation: "13-19 digits, contiguous or grouped by spaces or dashes, in an issuer range with its lengths (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro, Mir), Luhn check",
			Priority:   4, valid: validCard},
		rPESEL: {ID: "PAVE-PII-005", Name: "pesel", Title: "Polish PESEL number", Category: CategoryPII, Severity: finding.High, Checksum: true,
			Validation: "11 digits, a real birth date with the century in the month, check digit of weights 1-3-7-9",
			Priority:   3, valid: validPESEL},
		rNIP: {ID: "PAVE-PII-006", Name: "nip", Title: "Polish tax number (NIP)", Category: CategoryPII, Severity: finding.Medium, Checksum: true,
			Validation: "10 digits, check digit mod 11 (weights 6-5-7-2-3-4-5-6-7); written 123-456-78-90, 123-45-67-890 or PL1234567890, or plain after the word NIP",
			Priority:   2, valid: validNIP},
		rREGON: {ID: "PAVE-PII-007", Name: "regon", Title: "Polish business register number (REGON)", Category: CategoryPII, Severity: finding.Low, Checksum: true,
			Validation: "9 or 14 digits after the word REGON, check digit mod 11 (a 14-digit REGON also carries a valid 9-digit one)",
			Priority:   1, valid: validREGON},
		rSSN: {ID: "PAVE-PII-008", Name: "us-ssn", Title: "US Social Security number", Category: CategoryPII, Severity: finding.High,
			Validation: "AAA-GG-SSSS (or 9 digits after SSN / social security): area not 000, 666 or 900-999, group not 00, serial not 0000, not a number published in advertising",
			Priority:   1, valid: validSSN},
		rNINO: {ID: "PAVE-PII-009", Name: "uk-nino", Title: "UK National Insurance number", Category: CategoryPII, Severity: finding.High,
			Validation: "two prefix letters HMRC allocates (not D, F, I, Q, U, V; second not O; not BG, GB, KN, NK, NT, TN, ZZ), six digits, suffix A-D",
			Priority:   1, valid: validNINO},
		rSteuerID: {ID: "PAVE-PII-010", Name: "de-steuer-id", Title: "German tax identification number (Steuer-ID)", Category: CategoryPII, Severity: finding.High, Checksum: true,
			Validation: "11 digits after a word such as Steuer-ID or IdNr, first not 0, one digit repeated two or three times in the first ten, ISO 7064 MOD 11,10 check digit",
			Priority:   2, valid: validSteuerID},
		rIPv4: {ID: "PAVE-PII-011", Name: "ipv4", Title: "IPv4 address", Category: CategoryPII, Severity: finding.Low,
			Validation: "four dot-separated decimal octets 0-255 without leading zeros, not part of a longer dotted number, not in a version's context or shape; unspecified, broadcast, loopback, documentation and metadata addresses skipped",
			valid:      validIPv4},
		rIPv6: {ID: "PAVE-PII-012", Name: "ipv6", Title: "IPv6 address", Category: CategoryPII, Severity: finding.Low,
			Validation: "colon-separated hex groups that net/netip parses as IPv6, at least five hex digits with one decimal digit among them, at word boundaries; unspecified, loopback, IPv4-mapped, documentation (2001:db8::/32) and metadata addresses skipped",
			valid:      validIPv6},
		rPLIDCard: {ID: "PAVE-PII-013", Name: "pl-id-card", Title: "Polish identity card number", Category: CategoryPII, Severity: finding.High, Checksum: true,
			Validation: "three letters and six digits (ABA300000) after a word such as dowód or ID card, the first digit the check digit of weights 7-3-1-7-3-1-7-3 over the others (letters A=10...Z=35)",
			Priority:   1, valid: validPLIDCard},
		rESDNI: {ID: "PAVE-PII-014", Name: "es-dni", Title: "Spanish DNI or NIE", Category: CategoryPII, Severity: finding.High, Checksum: true,
			Validation: "DNI: eight digits and the control letter of the number mod 23; NIE: X, Y or Z, seven digits and the control letter (X=0, Y=1, Z=2 in front); the placeholder 12345678Z skipped",
			Priority:   1, valid: validESDNI},
		{ID: "PAVE-PII-020", Name: "source-code", Title: "Large block of source code", Category: CategorySourceCode, Severity: finding.Medium,
			Validation: "a run of lines that read as code (keywords, braces, semicolons, operators, indentation) at least the configured number of lines long"},
	}
}
