package pii

import (
	"fmt"
	"strings"
)

// Generators of valid values from each format's definition, for tests:
// the check digit is computed here, independently of the detector's own
// code where the definition allows (a different formulation of the same
// rule).

// luhnComplete appends the Luhn check digit to prefix.
func luhnComplete(prefix string) string {
	for c := '0'; c <= '9'; c++ {
		s := prefix + string(c)
		// Luhn as usually stated: from the right, double every second digit.
		sum := 0
		for i := 0; i < len(s); i++ {
			d := int(s[len(s)-1-i] - '0')
			if i%2 == 1 {
				d = d*2/10 + d*2%10
			}
			sum += d
		}
		if sum%10 == 0 {
			return s
		}
	}
	panic("unreachable")
}

// pesel builds a PESEL for a birth date and a 4-digit serial+sex part
// whose last digit is replaced by the check digit (so serial has 4
// digits: three serial digits and the sex digit, then the check digit).
func pesel(year, month, day int, serial string) string {
	mm := month
	switch {
	case year < 1900:
		mm += 80
	case year >= 2200:
		mm += 60
	case year >= 2100:
		mm += 40
	case year >= 2000:
		mm += 20
	}
	s := fmt.Sprintf("%02d%02d%02d%s", year%100, mm, day, serial)
	w := []int{1, 3, 7, 9, 1, 3, 7, 9, 1, 3}
	sum := 0
	for i, x := range w {
		sum += x * int(s[i]-'0')
	}
	return s + fmt.Sprint((10-sum%10)%10)
}

// regon14 extends a valid 9-digit REGON with a 4-digit local-unit
// number and the 14-digit check digit.
func regon14(regon9, unit string) string {
	s := regon9 + unit
	w := []int{2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8}
	sum := 0
	for i, x := range w {
		sum += x * int(s[i]-'0')
	}
	return s + fmt.Sprint(sum%11%10)
}

// goSample returns n lines of ordinary Go code.
func goSample(n int) string {
	var b strings.Builder
	b.WriteString("package sample\n\nimport \"fmt\"\n\n")
	for i := 0; b.Len() == 0 || strings.Count(b.String(), "\n") < n; i++ {
		fmt.Fprintf(&b, "// f%d adds.\nfunc f%d(a, b int) int {\n\tif a > b {\n\t\treturn a - b\n\t}\n\tx := a + b\n\tfmt.Println(x)\n\treturn x\n}\n\n", i, i)
	}
	return b.String()
}

// dni appends the control letter to an 8-digit number (or an NIE's
// letter and 7 digits), from the published table of remainders mod 23.
func dni(num string) string {
	n := 0
	for i, c := range num {
		if i == 0 && c >= 'X' {
			n = int(c - 'X')
			continue
		}
		n = n*10 + int(c-'0')
	}
	return num + string("TRWAGMYFPDXBNJZSQVHLCKE"[n%23])
}

// plIDCard completes a Polish identity card number: three letters, then
// the check digit, then the five digits given.
func plIDCard(letters, digits string) string {
	w := []int{7, 3, 1, 7, 3, 1, 7, 3}
	vals := []int{}
	for _, c := range letters {
		vals = append(vals, int(c-'A')+10)
	}
	for _, c := range digits {
		vals = append(vals, int(c-'0'))
	}
	sum := 0
	for i, x := range w {
		sum += x * vals[i]
	}
	return fmt.Sprintf("%s%d%s", letters, sum%10, digits)
}
