package pii

// Validators. Each takes a value as it appears in text (separators
// included) and reports whether it is well formed and its check digit
// holds. The scanner calls the digit-level helpers directly; the
// byte-level wrappers re-check a match from scratch.

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

// digitsOf returns the decimal digits of v, or nil when v holds anything
// but digits and the separators in seps.
func digitsOf(v []byte, seps string) []byte {
	d := make([]byte, 0, len(v))
	for _, c := range v {
		switch {
		case isDigit(c):
			d = append(d, c)
		case indexByte(seps, c) >= 0:
		default:
			return nil
		}
	}
	return d
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// luhn reports whether the digits pass the Luhn (mod 10) check.
func luhn(d []byte) bool {
	sum, dbl := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		x := int(d[i] - '0')
		if dbl {
			x *= 2
			if x > 9 {
				x -= 9
			}
		}
		sum += x
		dbl = !dbl
	}
	return sum%10 == 0
}

// prefixIn reports whether the number formed by the first len(lo)
// digits of d lies in [lo, hi] (lo and hi have equal length).
func prefixIn(d []byte, lo, hi string) bool {
	if len(d) < len(lo) {
		return false
	}
	p := string(d[:len(lo)])
	return lo <= p && p <= hi
}

// cardBrand names the issuer whose range and lengths the digits fit,
// or "" for none. Ranges from the issuers' published IIN tables.
func cardBrand(d []byte) string {
	n := len(d)
	in := func(lo, hi int) bool { return lo <= n && n <= hi }
	switch {
	case d[0] == '4' && (n == 13 || n == 16 || n == 19):
		return "visa"
	case (prefixIn(d, "51", "55") || prefixIn(d, "2221", "2720")) && n == 16:
		return "mastercard"
	case (prefixIn(d, "34", "34") || prefixIn(d, "37", "37")) && n == 15:
		return "amex"
	case (prefixIn(d, "6011", "6011") || prefixIn(d, "644", "649") || prefixIn(d, "65", "65") ||
		prefixIn(d, "622126", "622925")) && in(16, 19):
		return "discover"
	case prefixIn(d, "3528", "3589") && in(16, 19):
		return "jcb"
	case (prefixIn(d, "300", "305") || prefixIn(d, "36", "36") || prefixIn(d, "38", "39")) && in(14, 19):
		return "diners"
	case prefixIn(d, "62", "62") && in(16, 19):
		return "unionpay"
	case prefixIn(d, "2200", "2204") && in(16, 19):
		return "mir"
	case (prefixIn(d, "5018", "5018") || prefixIn(d, "5020", "5020") || prefixIn(d, "5038", "5038") ||
		prefixIn(d, "5893", "5893") || prefixIn(d, "6304", "6304") || prefixIn(d, "6759", "6759") ||
		prefixIn(d, "6761", "6763")) && in(13, 19):
		return "maestro"
	}
	return ""
}

// cardDigits reports whether d is a card number: issuer range, length
// and Luhn.
func cardDigits(d []byte) bool {
	return len(d) >= 13 && len(d) <= 19 && cardBrand(d) != "" && luhn(d)
}

func validCard(v []byte) bool {
	d := digitsOf(v, " -")
	return d != nil && cardDigits(d)
}

// isTestCard reports whether d is a card number payment processors
// publish for testing (Stripe, Adyen, Braintree, PayPal sandboxes). Such
// numbers are reported at low severity: their presence says "payment
// code", not "a customer's card".
func isTestCard(d []byte) bool {
	switch string(d) {
	case "4242424242424242", "4000056655665556", "4111111111111111", "4012888888881881", "4222222222222",
		"4000000000000002", "4000000000009995", "4000002500003155", "4000000000000077",
		"5555555555554444", "2223003122003222", "5200828282828210", "5105105105105100", "5454545454545454",
		"378282246310005", "371449635398431", "378734493671000", "6011111111111117", "6011000990139424",
		"6011000400000000", "3056930009020004", "36227206271667", "30569309025904", "38520000023237",
		"3566002020360505", "3530111333300000", "6200000000000005", "6759649826438453", "4917610000000000":
		return true
	}
	return false
}

// ibanLength is the IBAN length of each country in the SWIFT IBAN
// Registry (ISO 13616), 0 for a country without IBANs.
func ibanLength(a, b byte) int {
	switch string([]byte{a, b}) {
	case "NO":
		return 15
	case "BE":
		return 16
	case "DK", "FI", "FK", "FO", "GL", "NL", "SD":
		return 18
	case "MK", "SI":
		return 19
	case "AT", "BA", "EE", "KZ", "LT", "LU", "MN", "XK":
		return 20
	case "CH", "HR", "LI", "LV":
		return 21
	case "BG", "BH", "CR", "DE", "GB", "GE", "IE", "ME", "RS", "VA":
		return 22
	case "AE", "GI", "IL", "IQ", "OM", "SO", "TL":
		return 23
	case "AD", "CZ", "ES", "MD", "PK", "RO", "SA", "SE", "SK", "TN", "VG":
		return 24
	case "LY", "PT", "ST":
		return 25
	case "IS", "TR":
		return 26
	case "BI", "DJ", "FR", "GR", "IT", "MC", "MR", "SM":
		return 27
	case "AL", "AZ", "BY", "CY", "DO", "GT", "HU", "LB", "NI", "PL", "SV":
		return 28
	case "BR", "EG", "PS", "QA", "UA":
		return 29
	case "JO", "KW", "MU", "YE":
		return 30
	case "MT", "SC":
		return 31
	case "LC":
		return 32
	case "RU":
		return 33
	}
	return 0
}

// ibanChars reports whether s (upper-case letters and digits, no
// spaces) is an IBAN: the country's length and mod-97 = 1.
func ibanChars(s []byte) bool {
	if len(s) < 15 || !isUpper(s[0]) || !isUpper(s[1]) || !isDigit(s[2]) || !isDigit(s[3]) ||
		ibanLength(s[0], s[1]) != len(s) {
		return false
	}
	rem := 0
	for k := 0; k < len(s); k++ {
		c := s[(k+4)%len(s)]
		switch {
		case isDigit(c):
			rem = (rem*10 + int(c-'0')) % 97
		case isUpper(c):
			rem = (rem*100 + int(c-'A') + 10) % 97
		default:
			return false
		}
	}
	return rem == 1
}

func validIBAN(v []byte) bool {
	s := make([]byte, 0, len(v))
	for _, c := range v {
		if c != ' ' {
			s = append(s, c)
		}
	}
	return ibanChars(s)
}

// peselDigits reports whether the 11 digits are a PESEL: a real birth
// date (the month carries the century: +80 for the 1800s, +0 1900s, +20
// 2000s, +40 2100s, +60 2200s) and the check digit.
func peselDigits(d []byte) bool {
	if len(d) != 11 {
		return false
	}
	w := [10]int{1, 3, 7, 9, 1, 3, 7, 9, 1, 3}
	sum := 0
	for i := 0; i < 10; i++ {
		sum += w[i] * int(d[i]-'0')
	}
	if (10-sum%10)%10 != int(d[10]-'0') {
		return false
	}
	yy := int(d[0]-'0')*10 + int(d[1]-'0')
	mm := int(d[2]-'0')*10 + int(d[3]-'0')
	dd := int(d[4]-'0')*10 + int(d[5]-'0')
	var year int
	switch {
	case mm >= 81 && mm <= 92:
		year, mm = 1800+yy, mm-80
	case mm >= 1 && mm <= 12:
		year = 1900 + yy
	case mm >= 21 && mm <= 32:
		year, mm = 2000+yy, mm-20
	case mm >= 41 && mm <= 52:
		year, mm = 2100+yy, mm-40
	case mm >= 61 && mm <= 72:
		year, mm = 2200+yy, mm-60
	default:
		return false
	}
	return dd >= 1 && dd <= daysIn(year, mm)
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func validPESEL(v []byte) bool {
	d := digitsOf(v, "")
	return d != nil && peselDigits(d)
}

// weighted returns the sum of the digits times the weights.
func weighted(d []byte, w []int) int {
	sum := 0
	for i, x := range w {
		sum += x * int(d[i]-'0')
	}
	return sum
}

// nipDigits reports whether the 10 digits are a NIP: the first is not 0
// (tax office codes start at 1) and the check digit mod 11 holds.
func nipDigits(d []byte) bool {
	if len(d) != 10 || d[0] == '0' {
		return false
	}
	c := weighted(d, []int{6, 5, 7, 2, 3, 4, 5, 6, 7}) % 11
	return c != 10 && c == int(d[9]-'0')
}

func validNIP(v []byte) bool {
	if len(v) > 2 && v[0] == 'P' && v[1] == 'L' {
		v = v[2:]
	}
	d := digitsOf(v, "- ")
	return d != nil && nipDigits(d)
}

// regonDigits reports whether the 9 or 14 digits are a REGON.
func regonDigits(d []byte) bool {
	switch len(d) {
	case 9:
		c := weighted(d, []int{8, 9, 2, 3, 4, 5, 6, 7}) % 11 % 10
		return c == int(d[8]-'0')
	case 14:
		c := weighted(d, []int{2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8}) % 11 % 10
		return c == int(d[13]-'0') && regonDigits(d[:9])
	}
	return false
}

func validREGON(v []byte) bool {
	d := digitsOf(v, "")
	return d != nil && regonDigits(d)
}

// ssnDigits reports whether the 9 digits are a Social Security number
// the SSA could have issued: area not 000, 666 or 9xx, group not 00,
// serial not 0000, and not one of the numbers printed in advertising
// (078-05-1120 on a wallet insert, 219-09-9999 in an SSA pamphlet).
func ssnDigits(d []byte) bool {
	if len(d) != 9 {
		return false
	}
	s := string(d)
	area, group, serial := s[:3], s[3:5], s[5:]
	return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000" &&
		s != "078051120" && s != "219099999" && s != "123456789"
}

func validSSN(v []byte) bool {
	d := digitsOf(v, "- ")
	return d != nil && ssnDigits(d)
}

// ninoPrefix reports whether HMRC allocates National Insurance numbers
// with the two letters a, b.
func ninoPrefix(a, b byte) bool {
	if !isUpper(a) || !isUpper(b) || indexByte("DFIQUV", a) >= 0 || indexByte("DFIOQUV", b) >= 0 {
		return false
	}
	switch string([]byte{a, b}) {
	case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
		return false
	}
	return true
}

// validNINO checks AB123456C, also written AB 12 34 56 C.
func validNINO(v []byte) bool {
	s := make([]byte, 0, 9)
	for _, c := range v {
		if c != ' ' {
			s = append(s, c)
		}
	}
	if len(s) != 9 || !ninoPrefix(s[0], s[1]) || s[8] < 'A' || s[8] > 'D' {
		return false
	}
	for _, c := range s[2:8] {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// steuerIDDigits reports whether the 11 digits are a German tax id: the
// first is not 0; in the first ten exactly one digit occurs twice or three
// times (three times not all adjacent) and the others at most once; the
// last is the ISO 7064 MOD 11,10 check digit.
func steuerIDDigits(d []byte) bool {
	if len(d) != 11 || d[0] == '0' {
		return false
	}
	var count [10]int
	for _, c := range d[:10] {
		count[c-'0']++
	}
	multi := -1
	for x, n := range count {
		switch {
		case n > 3:
			return false
		case n >= 2:
			if multi >= 0 {
				return false
			}
			multi = x
		}
	}
	if multi < 0 {
		return false
	}
	if count[multi] == 3 {
		m := byte('0' + multi)
		for i := 0; i+2 < 10; i++ {
			if d[i] == m && d[i+1] == m && d[i+2] == m {
				return false
			}
		}
	}
	product := 10
	for _, c := range d[:10] {
		sum := (int(c-'0') + product) % 10
		if sum == 0 {
			sum = 10
		}
		product = sum * 2 % 11
	}
	check := 11 - product
	if check == 10 {
		check = 0
	}
	return check == int(d[10]-'0')
}

func validSteuerID(v []byte) bool {
	d := digitsOf(v, " ")
	return d != nil && steuerIDDigits(d)
}

// validIPv4 checks a dotted quad: octets 0-255 without leading zeros,
// not the unspecified or broadcast address.
func validIPv4(v []byte) bool {
	octets, n, digits := 0, 0, 0
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == '.' {
			if digits == 0 || n > 255 {
				return false
			}
			octets++
			n, digits = 0, 0
			continue
		}
		c := v[i]
		if !isDigit(c) || digits > 0 && n == 0 {
			return false // not a digit, or a leading zero
		}
		n = n*10 + int(c-'0')
		digits++
		if digits > 3 {
			return false
		}
	}
	s := string(v)
	return octets == 4 && s != "0.0.0.0" && s != "255.255.255.255"
}

// nanpDigits reports whether the 10 digits are a North American number
// in service form: area code and exchange start 2-9, neither is N11,
// the area code's middle digit is not 9 (unassigned), and the number is
// not in 555-0100..0199, reserved for fiction.
func nanpDigits(d []byte) bool {
	if len(d) != 10 || d[0] < '2' || d[3] < '2' || d[1] == '9' {
		return false
	}
	if d[1] == '1' && d[2] == '1' || d[4] == '1' && d[5] == '1' {
		return false
	}
	return !(string(d[3:6]) == "555" && d[6] == '0' && d[7] == '1')
}

// e164Digits reports whether the digits after a + are a plausible
// international number: 8-15 digits, an assigned country code, and for
// the North American (+1) and Russian (+7) zones the zone's length.
func e164Digits(d []byte) bool {
	n := len(d)
	if n < 8 || n > 15 || d[0] == '0' {
		return false
	}
	switch d[0] {
	case '1':
		return n == 11 && nanpDigits(d[1:])
	case '7':
		return n == 11
	}
	// Unassigned prefixes of the ITU-T E.164 country code list.
	p2 := string(d[:2])
	switch p2 {
	case "28", "83", "89", "80":
		return p2 == "80" && (d[2] == '0' || d[2] == '8') // 800, 808: international freephone
	}
	switch string(d[:3]) {
	case "210", "214", "215", "217", "219", "259", "292", "293", "294", "295", "296",
		"384", "422", "424", "425", "426", "427", "428", "429", "693", "694", "695", "696", "697", "698", "699",
		"851", "854", "857", "858", "859", "871", "872", "873", "874", "875", "876", "877", "879",
		"884", "885", "887", "889", "969", "990", "997", "999":
		return false
	}
	return true
}

// validEmail re-checks an address the scanner found.
func validEmail(v []byte) bool {
	at := -1
	for i, c := range v {
		if c == '@' {
			if at >= 0 {
				return false
			}
			at = i
		}
	}
	if at <= 0 {
		return false
	}
	return localPart(v[:at]) && hostPart(v[at+1:]) && !placeholderEmail(v[:at], v[at+1:])
}

// plIDCardChars reports whether s (three upper-case letters, six digits)
// is a Polish identity card number: the first digit is the check digit,
// the weighted sum of the others (letters A=10...Z=35, weights
// 7-3-1-_-7-3-1-7-3) mod 10.
func plIDCardChars(s []byte) bool {
	if len(s) != 9 {
		return false
	}
	for k, c := range s {
		if k < 3 && !isUpper(c) || k >= 3 && !isDigit(c) {
			return false
		}
	}
	w := [9]int{7, 3, 1, 0, 7, 3, 1, 7, 3}
	sum := 0
	for k, c := range s {
		v := int(c - '0')
		if k < 3 {
			v = int(c-'A') + 10
		}
		sum += w[k] * v
	}
	return sum%10 == int(s[3]-'0')
}

func validPLIDCard(v []byte) bool {
	s := make([]byte, 0, 9)
	for _, c := range v {
		if c != ' ' {
			s = append(s, c)
		}
	}
	return plIDCardChars(s)
}

// dniLetters are the control letters of Spanish DNI and NIE numbers, by
// the number mod 23.
const dniLetters = "TRWAGMYFPDXBNJZSQVHLCKE"

// validESDNI checks a DNI (48273915T) or NIE (X1234567L): the letter is
// dniLetters[number mod 23], an NIE's X, Y or Z counting as 0, 1 or 2 in
// front of its digits.
func validESDNI(v []byte) bool {
	if len(v) != 9 || !isUpper(v[8]) {
		return false
	}
	n := 0
	for k, c := range v[:8] {
		switch {
		case isDigit(c):
			n = n*10 + int(c-'0')
		case k == 0 && (c == 'X' || c == 'Y' || c == 'Z'):
			n = int(c - 'X')
		default:
			return false
		}
	}
	// 12345678Z and 00000000T are the placeholders every Spanish form
	// shows.
	return dniLetters[n%23] == v[8] && string(v) != "12345678Z" && string(v) != "00000000T"
}
