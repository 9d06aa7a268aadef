package pii

import (
	"bytes"
	"strings"

	"github.com/pavesec/pave/internal/secret"
)

// maskFor returns the masked form of a value the rule matched. Personal
// data keeps only what people use to tell values apart (an address's
// first letters and top-level domain, a card's or account's last four
// digits); organisation values are masked like secrets.
func maskFor(r *Rule, v []byte) string {
	if !strings.HasPrefix(r.ID, "PAVE-PII-") { // an organisation pattern (New reserves the prefix)
		return secret.Mask(string(v))
	}
	switch r.Name {
	case "email":
		return maskEmail(v)
	case "card":
		return maskCard(digitsOf(v, " -"))
	case "iban":
		return maskGrouped(bytes.ReplaceAll(v, []byte(" "), nil), 2, 4)
	case "ipv4":
		first, _, _ := bytes.Cut(v, []byte("."))
		return string(first) + ".*.*.*"
	case "ipv6":
		first, _, _ := bytes.Cut(v, []byte(":"))
		return string(first) + ":*:*"
	case "phone":
		return maskTail(v, 2)
	case "pesel", "nip", "regon", "us-ssn", "uk-nino", "de-steuer-id", "pl-id-card", "es-dni":
		return maskTail(v, 4)
	}
	return secret.Mask(string(v))
}

// maskEmail keeps the first character of the local part and of the
// host, and the top-level domain: j***@e***.com.
func maskEmail(v []byte) string {
	at := bytes.LastIndexByte(v, '@')
	dot := bytes.LastIndexByte(v, '.')
	if at <= 0 || dot < at+2 {
		return secret.Mask(string(v))
	}
	return string(v[0]) + "***@" + string(v[at+1]) + "***" + string(v[dot:])
}

// maskGrouped writes s in groups of four with all but its first keep
// and last tail characters replaced by '*': **** **** **** 1234.
func maskGrouped(s []byte, keep, tail int) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		if i < keep || i >= len(s)-tail {
			b.WriteByte(c)
		} else {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// maskTail replaces every letter and digit but the last keep with '*',
// leaving separators where they are: ***-**-6789.
func maskTail(v []byte, keep int) string {
	out := []byte(string(v))
	for i := len(out) - 1; i >= 0; i-- {
		c := out[i]
		if isDigit(c) || isLetter(c) {
			if keep > 0 {
				keep--
				continue
			}
			out[i] = '*'
		}
	}
	return string(out)
}

// maskCard shows a card number's last four digits after its other
// digits as asterisks in fours: **** **** **** 1234.
func maskCard(d []byte) string {
	if len(d) < 8 {
		return strings.Repeat("*", len(d))
	}
	var b strings.Builder
	for i := 0; i < len(d)-4; i++ {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('*')
	}
	b.WriteByte(' ')
	b.Write(d[len(d)-4:])
	return b.String()
}
