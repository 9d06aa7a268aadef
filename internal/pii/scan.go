package pii

import (
	"bytes"
	"net/netip"
	"strings"

	"github.com/pavesec/pave/internal/finding"
)

// Byte classes of the built-in scan loop.
const (
	cOther uint8 = iota
	cLower       // lower-case letters, '_' and non-ASCII bytes: word bytes that start no candidate
	cDigit
	cUpper
	cAt
	cParen
	cColon
)

func byteClasses() [256]uint8 {
	var t [256]uint8
	for c := 0; c < 256; c++ {
		switch {
		case '0' <= c && c <= '9':
			t[c] = cDigit
		case 'A' <= c && c <= 'Z':
			t[c] = cUpper
		case 'a' <= c && c <= 'z', c == '_', c >= 0x80:
			t[c] = cLower
		case c == '@':
			t[c] = cAt
		case c == '(':
			t[c] = cParen
		case c == ':':
			t[c] = cColon
		}
	}
	return t
}

// word reports whether c belongs to a word: letters, digits, '_' and
// non-ASCII bytes (a value glued to them is part of something else).
func (e *Engine) word(c byte) bool { return e.cls[c]-cLower <= cUpper-cLower }

// skipWord returns the end of the word run starting at i.
func (e *Engine) skipWord(b []byte, i int) int {
	cls := &e.cls
	for i < len(b) && cls[b[i]]-cLower <= cUpper-cLower {
		i++
	}
	return i
}

// glued reports whether the byte at i continues a token: a word byte, or
// a joining punctuation mark followed by one ("1.2.3", "a-1", "10/24").
func (e *Engine) glued(b []byte, i int) bool {
	if i >= len(b) {
		return false
	}
	c := b[i]
	if e.word(c) {
		return true
	}
	switch c {
	case '.', '-', '/', ':', ',', '@':
		return i+1 < len(b) && e.word(b[i+1])
	}
	return false
}

// gluedBefore is glued looking left of i (the byte at i-1).
func (e *Engine) gluedBefore(b []byte, i int) bool {
	if i <= 0 {
		return false
	}
	c := b[i-1]
	if e.word(c) {
		return true
	}
	switch c {
	case '.', '-', '/', ':', ',', '#', '$':
		return i >= 2 && e.word(b[i-2])
	}
	return false
}

// scanBuiltin runs the built-in detectors over b in one pass.
func (e *Engine) scanBuiltin(b []byte, out *[]cand) {
	n := len(b)
	cls := &e.cls
	for i := 0; i < n; {
		// Most bytes start nothing: skip them in a tight loop.
		for i < n && cls[b[i]] <= cLower {
			i++
		}
		if i == n {
			break
		}
		k := cls[b[i]]
		if (k == cDigit || k == cUpper) && i > 0 && cls[b[i-1]]-cLower <= cUpper-cLower {
			i = e.skipWord(b, i+1) // inside a word
			continue
		}
		switch k {
		case cDigit:
			i = e.numeric(b, i, out)
		case cUpper:
			i = e.upper(b, i, out)
		case cAt:
			i = e.email(b, i, out)
		case cParen:
			i = e.parenPhone(b, i, out)
		case cColon:
			i = e.ipv6(b, i, out)
		}
	}
}

func (e *Engine) add(out *[]cand, r int, start, end int) {
	if rule := e.brule[r]; rule != nil {
		*out = append(*out, cand{rule: rule, start: start, end: end})
	}
}

// email handles an '@' at i: the local part to its left, the host to its
// right. It returns where scanning resumes.
func (e *Engine) email(b []byte, i int, out *[]cand) int {
	if e.brule[rEmail] == nil {
		return i + 1
	}
	s := i
	for s > 0 && i-s < 64 && localByte(b[s-1]) {
		s--
	}
	for s < i && b[s] == '.' {
		s++
	}
	if s == i || s > 0 && (localByte(b[s-1]) || e.word(b[s-1])) {
		return i + 1
	}
	t := i + 1
	for t < len(b) && t-i <= 253 && hostByte(b[t]) {
		t++
	}
	for t > i+1 && (b[t-1] == '.' || b[t-1] == '-') {
		t--
	}
	if t < len(b) && (e.word(b[t]) || b[t] == '@') {
		return t
	}
	if s > 0 && b[s-1] == ':' && urlUserinfo(b, s-1) {
		return max(t, i+1) // https://user:password@host: a URL's credentials (internal/secret's concern)
	}
	if localPart(b[s:i]) && hostPart(b[i+1:t]) && !placeholderEmail(b[s:i], b[i+1:t]) {
		e.add(out, rEmail, s, t)
	}
	return max(t, i+1)
}

// urlUserinfo reports whether the ':' at c separates a user name from a
// password in a URL: "//" comes before it with no space in between.
func urlUserinfo(b []byte, c int) bool {
	for k := c - 1; k > 0 && c-k < 256; k-- {
		switch b[k] {
		case ' ', '\t', '\n', '"', '\'', '<', '>':
			return false
		case '/':
			return b[k-1] == '/'
		}
	}
	return false
}

// localByte is the practical local-part alphabet: RFC 5322 atext minus
// the symbols that in code or prose mean something else.
func localByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func hostByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-'
}

// localPart checks a dot-atom of at most 64 bytes.
func localPart(l []byte) bool {
	if len(l) == 0 || len(l) > 64 || l[0] == '.' || l[len(l)-1] == '.' || bytes.Contains(l, []byte("..")) {
		return false
	}
	for _, c := range l {
		if !localByte(c) {
			return false
		}
	}
	return true
}

// hostPart checks a host name: two or more labels of letters, digits
// and inner hyphens, an alphabetic top-level label of 2-24 letters that
// is not a common file extension ("icon@2x.png").
func hostPart(h []byte) bool {
	if len(h) < 4 || len(h) > 253 {
		return false
	}
	labels := 0
	last := 0
	for k := 0; k <= len(h); k++ {
		if k < len(h) && h[k] != '.' {
			if !hostByte(h[k]) {
				return false
			}
			continue
		}
		l := h[last:k]
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		labels++
		if k == len(h) {
			if len(l) < 2 || len(l) > 24 {
				return false
			}
			for _, c := range l {
				if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
					return false
				}
			}
			if fileExtension(l) {
				return false
			}
		}
		last = k + 1
	}
	return labels >= 2
}

// fileExtension reports whether a would-be top-level domain is a file
// extension that is no country code.
func fileExtension(l []byte) bool {
	switch string(bytes.ToLower(l)) {
	case "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "css", "js", "mjs", "cjs", "ts", "tsx", "jsx",
		"json", "yaml", "yml", "xml", "html", "htm", "txt", "go", "java", "kt", "cpp", "hpp", "php", "zip", "gz",
		"tar", "tgz", "pdf", "map", "lock", "sum", "toml", "ini", "cfg", "conf", "log", "wasm", "dll", "exe",
		"bin", "dat", "csv", "tsv", "scss", "less", "vue", "swift", "proto", "tmpl", "tpl", "woff", "ttf":
		return true
	}
	return false
}

// placeholderEmail reports addresses that name no one: the domains RFC
// 2606 and RFC 6761 reserve for documentation and testing, and no-reply
// or system mailboxes (git@ in SSH URLs included).
func placeholderEmail(local, host []byte) bool {
	h := string(bytes.ToLower(host))
	for _, d := range [...]string{"example.com", "example.org", "example.net", "example.edu"} {
		if h == d || len(h) > len(d) && h[len(h)-len(d)-1] == '.' && h[len(h)-len(d):] == d {
			return true
		}
	}
	tld := h[bytes.LastIndexByte(host, '.')+1:]
	switch tld {
	case "example", "test", "invalid", "localhost", "tld":
		return true
	}
	switch string(bytes.ToLower(local)) {
	case "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply", "mailer-daemon", "git":
		return true
	}
	return false
}

// upper handles a word starting with an upper-case letter at i: an IBAN,
// a UK National Insurance number, a NIP written PL1234567890.
func (e *Engine) upper(b []byte, i int, out *[]cand) int {
	n := len(b)
	if i+3 < n && isUpper(b[i+1]) && !e.gluedBefore(b, i) {
		if isDigit(b[i+2]) && isDigit(b[i+3]) && e.brule[rIBAN] != nil {
			if end := e.iban(b, i); end > 0 {
				e.add(out, rIBAN, i, end)
				return end
			}
		}
		if e.brule[rNINO] != nil && (isDigit(b[i+2]) || b[i+2] == ' ' && isDigit(b[i+3])) {
			if end := e.nino(b, i); end > 0 {
				e.add(out, rNINO, i, end)
				return end
			}
		}
		if i+9 <= n && isUpper(b[i+2]) && isDigit(b[i+3]) && e.brule[rPLIDCard] != nil && !e.glued(b, i+9) &&
			plIDCardChars(b[i:i+9]) && keywordBefore(b, i, e.words[kwIDCard]) {
			e.add(out, rPLIDCard, i, i+9)
			return i + 9
		}
		if b[i] == 'P' && b[i+1] == 'L' && isDigit(b[i+2]) && e.brule[rNIP] != nil {
			end := i + 2
			for end < n && isDigit(b[end]) {
				end++
			}
			if end-i == 12 && !e.glued(b, end) && nipDigits(b[i+2:end]) {
				e.add(out, rNIP, i, end)
				return end
			}
		}
	}
	if (b[i] == 'X' || b[i] == 'Y' || b[i] == 'Z') && i+9 <= n && e.brule[rESDNI] != nil && !e.gluedBefore(b, i) &&
		!e.glued(b, i+9) && validESDNI(b[i:i+9]) {
		e.add(out, rESDNI, i, i+9)
		return i + 9
	}
	return e.skipWord(b, i+1)
}

// iban returns the end of the IBAN starting at i, or 0. The electronic
// form is contiguous; the print form groups by four with single spaces.
func (e *Engine) iban(b []byte, i int) int {
	want := ibanLength(b[i], b[i+1])
	if want == 0 {
		return 0
	}
	var buf [34]byte
	cnt, j := 0, i
	for j < len(b) && cnt < want {
		c := b[j]
		switch {
		case isDigit(c) || isUpper(c):
			buf[cnt] = c
			cnt++
			j++
			continue
		case c == ' ' && cnt%4 == 0 && j+1 < len(b) && (isDigit(b[j+1]) || isUpper(b[j+1])):
			j++
			continue
		}
		break
	}
	if cnt != want || e.glued(b, j) || !ibanChars(buf[:cnt]) {
		return 0
	}
	return j
}

// nino returns the end of a National Insurance number at i, or 0:
// AB123456C or AB 12 34 56 C.
func (e *Engine) nino(b []byte, i int) int {
	n := len(b)
	spaced := b[i+2] == ' '
	j := i + 2
	for k := 0; k < 3; k++ {
		if spaced {
			if j >= n || b[j] != ' ' {
				return 0
			}
			j++
		}
		if j+1 >= n || !isDigit(b[j]) || !isDigit(b[j+1]) {
			return 0
		}
		j += 2
	}
	if spaced {
		if j >= n || b[j] != ' ' {
			return 0
		}
		j++
	}
	if j >= n || b[j] < 'A' || b[j] > 'D' {
		return 0
	}
	j++
	if e.glued(b, j) || !validNINO(b[i:j]) {
		return 0
	}
	return j
}

// parenPhone handles a North American number written (NXX) NXX-XXXX.
func (e *Engine) parenPhone(b []byte, i int, out *[]cand) int {
	n := len(b)
	if e.brule[rPhone] == nil || i+13 > n || (i > 0 && e.word(b[i-1])) || b[i+4] != ')' {
		return i + 1
	}
	var d [10]byte
	j := i + 1
	for k := 0; k < 3; k++ {
		if !isDigit(b[j]) {
			return i + 1
		}
		d[k] = b[j]
		j++
	}
	j++ // ')'
	if b[j] == ' ' {
		j++
	}
	for k := 3; k < 10; k++ {
		if k == 6 {
			if j < n && (b[j] == '-' || b[j] == '.' || b[j] == ' ') {
				j++
			} else {
				return i + 1
			}
		}
		if j >= n || !isDigit(b[j]) {
			return i + 1
		}
		d[k] = b[j]
		j++
	}
	if e.glued(b, j) || !nanpDigits(d[:]) {
		return i + 1
	}
	e.add(out, rPhone, i, j)
	return j
}

// intlPhone handles + and digits at p: an international number with
// spaces, dashes, dots or parentheses between digit groups. It returns
// the end, or 0.
func (e *Engine) intlPhone(b []byte, p int) int {
	if p > 0 && (e.word(b[p-1]) || b[p-1] == ')' || b[p-1] == ']') {
		return 0
	}
	n := len(b)
	var d [16]byte
	var sizes [16]int
	nd, ng := 0, 0
	var sep byte
	mixed := false
	j := p + 1
	for j < n {
		if isDigit(b[j]) {
			if nd == len(d) {
				return 0
			}
			d[nd] = b[j]
			nd++
			sizes[ng]++
			j++
			continue
		}
		k := j
		for k < n && k-j < 2 && indexByte(" -.()", b[k]) >= 0 {
			k++
		}
		if k == j || k >= n || !isDigit(b[k]) {
			break
		}
		if sep == 0 {
			sep = b[j]
		} else if b[j] != sep {
			mixed = true
		}
		ng++
		j = k
	}
	if e.glued(b, j) || !e164Digits(d[:nd]) {
		return 0
	}
	if !mixed && ng == 2 && dateShape(sizes[:3]) {
		return 0
	}
	return j
}

// dateShape reports group sizes of a written date: 4-2-2 or 2-2-4.
func dateShape(s []int) bool {
	return len(s) == 3 && (s[0] == 4 && s[1] == 2 && s[2] == 2 || s[0] == 2 && s[1] == 2 && s[2] == 4)
}

type group struct{ s, e int }

// numeric handles a run of digits at i: digit groups joined by single
// spaces, dashes or dots. Every span of whole groups whose ends are
// space-separated from the rest is a candidate for the digit detectors.
// It returns where scanning resumes.
func (e *Engine) numeric(b []byte, i int, out *[]cand) int {
	if i > 0 && b[i-1] == '+' && e.brule[rPhone] != nil {
		if end := e.intlPhone(b, i-1); end > 0 {
			e.add(out, rPhone, i-1, end)
			return end
		}
	}
	if e.gluedBefore(b, i) {
		return e.skipWord(b, i)
	}
	n := len(b)
	var gs [16]group
	var sp [16]byte // sp[k] is the separator before group k
	ng, j := 0, i
	for {
		s := j
		for j < n && isDigit(b[j]) {
			j++
		}
		gs[ng] = group{s, j}
		ng++
		if ng == len(gs) {
			return e.skipWord(b, j) // a long run of numbers: a table, not one value
		}
		if j+1 < n && (b[j] == ' ' || b[j] == '-' || b[j] == '.') && isDigit(b[j+1]) {
			sp[ng] = b[j]
			j++
			continue
		}
		break
	}
	if j < n && e.word(b[j]) {
		// Eight digits and a capital: a Spanish DNI (12345678Z).
		if ng == 1 && j-i == 8 && isUpper(b[j]) && e.brule[rESDNI] != nil && !e.glued(b, j+1) && validESDNI(b[i:j+1]) {
			e.add(out, rESDNI, i, j+1)
			return j + 1
		}
		return e.skipWord(b, j)
	}
	rightOK := !e.glued(b, j)
	kw := keywords{lists: &e.words, b: b, start: i}
	for a := 0; a < ng; a++ {
		if a > 0 && sp[a] != ' ' {
			continue
		}
		// Spans from a, shortest first, while they can still be a value
		// (no detector takes more than 19 digits): O(groups x 19) spans.
		total, tiny := 0, false
		for z := a; z < ng; z++ {
			total += gs[z].e - gs[z].s
			if total > 19 && z > a {
				break
			}
			// Values written in groups have groups of two digits or more
			// but the last (4222 2222 2222 2); past a one-digit group only
			// the whole token is still worth a look.
			if z > a && gs[z-1].e-gs[z-1].s < 2 {
				tiny = true
			}
			last := z == ng-1
			if tiny && !(a == 0 && last) {
				if a > 0 {
					break
				}
				continue
			}
			if !last && sp[z+1] != ' ' {
				continue
			}
			if total < 7 && !(last && a == 0) {
				continue // too short for any value but a whole IPv4 token
			}
			// A phone number without its prefix is taken whole: only the
			// longest span from the token's start of at most 15 digits is
			// a candidate.
			longest := a == 0
			for k, more := z+1, total; longest && k < ng; k++ {
				more += gs[k].e - gs[k].s
				if more > 15 {
					break
				}
				if k == ng-1 || sp[k+1] == ' ' {
					longest = false // a longer span from a still fits
					break
				}
			}
			e.digitSpan(b, gs[a:z+1], sp[a+1:z+1], !last || rightOK, last && ipv4Tail(b, j), longest, &kw, out)
		}
	}
	return j
}

// keywords caches, for one digit token, whether each word list occurs
// before it (keywordBefore), so that the token's spans ask once.
type keywords struct {
	lists *[numWordLists][]kwWord
	b     []byte
	start int
	seen  [numWordLists]int8 // by list: 0 unknown, 1 yes, -1 no
}

// Word lists, by index into Engine.words.
const (
	kwPhone = iota
	kwNIP
	kwREGON
	kwSSN
	kwSteuer
	kwIDCard
	kwVersion
	numWordLists
)

// wordLists splits the word lists once, for an engine.
func wordLists() [numWordLists][]kwWord {
	return [numWordLists][]kwWord{
		kwPhone: splitWords(phoneWords), kwNIP: splitWords(nipWords), kwREGON: splitWords(regonWords),
		kwSSN: splitWords(ssnWords), kwSteuer: splitWords(steuerWords), kwIDCard: splitWords(idCardWords),
		kwVersion: splitWords(versionWords),
	}
}

func (k *keywords) has(list int) bool {
	if k.seen[list] == 0 {
		k.seen[list] = -1
		if keywordBefore(k.b, k.start, k.lists[list]) {
			k.seen[list] = 1
		}
	}
	return k.seen[list] > 0
}

// ipv4Tail reports whether what follows an address at j may follow an
// IPv4 address: a port (":8080") or prefix length ("/24"), or nothing
// glued.
func ipv4Tail(b []byte, j int) bool {
	if j >= len(b) {
		return true
	}
	switch b[j] {
	case ':', '/':
		return j+1 < len(b) && isDigit(b[j+1]) || j+1 >= len(b) || !hostByte(b[j+1])
	case '.', '-', '+', '~':
		return j+1 >= len(b) || !hostByte(b[j+1]) // 1.6.3.1+ds-1, 0.6.46.4-0.1: package versions
	}
	return !hostByte(b[j]) && b[j] != '_'
}

// digitSpan runs the digit detectors on one span of groups; seps are the
// separators between them. rightOK says nothing is glued to its end;
// ipOK says the same for an IPv4 address, which may carry a port.
func (e *Engine) digitSpan(b []byte, gs []group, seps []byte, rightOK, ipOK, longest bool, kw *keywords, out *[]cand) {
	start, end := gs[0].s, gs[len(gs)-1].e
	var sizes [16]int
	total := 0
	for k, g := range gs {
		sizes[k] = g.e - g.s
		total += sizes[k]
	}
	sz := sizes[:len(gs)]
	var sep byte
	for k, c := range seps {
		if k == 0 {
			sep = c
		} else if c != sep {
			sep = '?' // mixed
		}
	}
	if sep == '.' && len(gs) == 4 && ipOK && e.brule[rIPv4] != nil && validIPv4(b[start:end]) &&
		!notableIPv4(b[start:end]) && !versionBefore(b, start, e.words[kwVersion]) {
		e.add(out, rIPv4, start, end)
		return
	}
	if !rightOK || total > 19 || total < 7 {
		return
	}
	var dbuf [19]byte
	d := dbuf[:0]
	for _, g := range gs {
		d = append(d, b[g.s:g.e]...)
	}
	single := len(gs) == 1
	switch total {
	case 9:
		if e.brule[rSSN] != nil && ssnDigits(d) &&
			(sep == '-' && shape(sz, 3, 2, 4) ||
				(single || sep == ' ' && shape(sz, 3, 2, 4)) && kw.has(kwSSN)) {
			e.add(out, rSSN, start, end)
		}
		if e.brule[rREGON] != nil && single && regonDigits(d) && kw.has(kwREGON) {
			e.add(out, rREGON, start, end)
		}
	case 10:
		if e.brule[rNIP] != nil && nipDigits(d) &&
			(sep == '-' && (shape(sz, 3, 3, 2, 2) || shape(sz, 3, 2, 2, 3)) ||
				(single || sep == '-' || sep == ' ') && kw.has(kwNIP)) {
			e.add(out, rNIP, start, end)
		}
		if e.brule[rPhone] != nil && (sep == '-' || sep == '.') && shape(sz, 3, 3, 4) && nanpDigits(d) {
			e.add(out, rPhone, start, end)
		}
	case 11:
		if e.brule[rPESEL] != nil && single && peselDigits(d) {
			e.add(out, rPESEL, start, end)
		}
		if e.brule[rSteuerID] != nil && (single || sep == ' ' && shape(sz, 2, 3, 3, 3)) && steuerIDDigits(d) &&
			kw.has(kwSteuer) {
			e.add(out, rSteuerID, start, end)
		}
	case 14:
		if e.brule[rREGON] != nil && single && regonDigits(d) && kw.has(kwREGON) {
			e.add(out, rREGON, start, end)
		}
	}
	if total >= 13 && e.brule[rCard] != nil && (single || sep == ' ' || sep == '-') && cardShape(sz) && cardDigits(d) {
		m := cand{rule: e.brule[rCard], start: start, end: end}
		if isTestCard(d) {
			m.sev = finding.Low
		}
		*out = append(*out, m)
	}
	if longest && total <= 15 && e.brule[rPhone] != nil && sep != '.' && sep != '?' && !(len(gs) == 3 && dateShape(sz)) &&
		kw.has(kwPhone) {
		e.add(out, rPhone, start, end)
	}
}

// shape reports whether the group sizes are exactly want.
func shape(sizes []int, want ...int) bool {
	if len(sizes) != len(want) {
		return false
	}
	for k := range want {
		if sizes[k] != want[k] {
			return false
		}
	}
	return true
}

// cardShape accepts the ways card numbers are written: contiguous, fours
// with a shorter last group (4-4-4-4, 4-4-4-4-3, 4-4-4-1), and the 4-6-5
// and 4-6-4 of Amex and Diners.
func cardShape(s []int) bool {
	if len(s) == 1 || shape(s, 4, 6, 5) || shape(s, 4, 6, 4) {
		return true
	}
	if len(s) < 3 {
		return false
	}
	for _, x := range s[:len(s)-1] {
		if x != 4 {
			return false
		}
	}
	return s[len(s)-1] >= 1 && s[len(s)-1] <= 4
}

// Words that must come shortly before a value whose format alone is too
// common to report (a bare 10-digit NIP, a national phone number). A
// trailing '*' allows a longer word ("phone*" takes "phones").
const (
	phoneWords  = "tel|tel.|tlf|telephone|telefon*|phone*|mobile|mobil|cell|cellphone|fax|call|kom|kom.|komórka|sms|whatsapp|numer telefonu"
	nipWords    = "nip"
	regonWords  = "regon"
	ssnWords    = "ssn|social security*"
	idCardWords = "dowód*|dowod*|dowodu|dowodem|id card|identity card|nr dok*|seria"
	steuerWords = "steuer*|idnr|identifikationsnummer|tin|tax id"
	// versionWords, right before a dotted quad, make it a version.
	versionWords = "version*|ver|v|release*|update*|upgrade*|runtime|sdk|build|patch*|fixed|introduced|section|rfc|chapter|step|§"
)

// kwWord is one word of a list: lower-case, and whether a longer word
// it begins counts too ("phone*" takes "phones").
type kwWord struct {
	s      string
	prefix bool
}

// splitWords reads a '|'-separated list.
func splitWords(words string) []kwWord {
	var out []kwWord
	for _, w := range strings.Split(words, "|") {
		out = append(out, kwWord{strings.TrimSuffix(w, "*"), strings.HasSuffix(w, "*")})
	}
	return out
}

// keywordBefore reports whether one of the words occurs,
// case-insensitively and starting a word, in the 32 bytes before start
// on the same line.
func keywordBefore(b []byte, start int, words []kwWord) bool {
	w := b[max(0, start-32):start]
	if k := bytes.LastIndexByte(w, '\n'); k >= 0 {
		w = w[k+1:]
	}
	// Where words start in the window; none (a table of numbers) ends it.
	var starts [32]uint8
	ns := 0
	for p := 0; p < len(w); p++ {
		if isLetter(w[p]) && (p == 0 || !isLetter(w[p-1])) {
			starts[ns] = uint8(p)
			ns++
		}
	}
	for _, p8 := range starts[:ns] {
		p := int(p8)
		for _, kw := range words {
			if p+len(kw.s) > len(w) || w[p]|0x20 != kw.s[0]|0x20 || !equalFold(w[p:p+len(kw.s)], kw.s) {
				continue
			}
			if kw.prefix || p+len(kw.s) == len(w) || !isLetter(w[p+len(kw.s)]) {
				return true
			}
		}
	}
	return false
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80 }

// equalFold compares ASCII case-insensitively.
func equalFold(a []byte, s string) bool {
	for i := 0; i < len(s); i++ {
		x, y := a[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// notableIPv4 reports addresses that say nothing about a network or
// are more likely versions: loopback, the documentation ranges of RFC
// 5737, the link-local cloud metadata address every SDK names, 0/8, and
// the shape of a four-part version number.
func notableIPv4(v []byte) bool {
	s := string(v)
	for _, p := range [...]string{"127.", "192.0.2.", "198.51.100.", "203.0.113."} {
		if len(s) > len(p) && s[:len(p)] == p {
			return true
		}
	}
	if s == "169.254.169.254" || s[0] == '0' {
		return true // the metadata address; 0.0.0.0/8 names no host
	}
	// Shapes that read as four-part versions: a first octet under 10 and
	// every octet under 100 (1.8.4.3, 6.9.5.3), or the last three under
	// 20 outside the private and shared ranges (22.11.4.3, CalVer).
	// Real addresses of either shape are rare (6% of the first's /8s, a
	// thirtieth of the space; 0.05% for the second), and the first holds
	// mostly public resolvers (1.1.1.1, 8.8.8.8) that identify no one.
	var oct [4]int
	k := 0
	for _, c := range v {
		if c == '.' {
			k++
		} else {
			oct[k] = oct[k]*10 + int(c-'0')
		}
	}
	if oct[0] < 10 && oct[1] < 100 && oct[2] < 100 && oct[3] < 100 {
		return true
	}
	switch oct[0] {
	case 10, 100, 169, 172, 192:
		return false
	}
	return oct[1] < 20 && oct[2] < 20 && oct[3] < 20
}

// versionBefore reports whether the dotted number at start reads as a
// version or a section number: right after a comparison operator
// (>= 6.0.3.1, ~> 5.2), or shortly after a word such as version,
// release, update, runtime, fixed or section on the same line.
func versionBefore(b []byte, start int, words []kwWord) bool {
	i := start
	for i > 0 && (b[i-1] == ' ' || b[i-1] == '`' || b[i-1] == '"' || b[i-1] == '\'') {
		i--
	}
	if i > 0 && indexByte("<>=~^", b[i-1]) >= 0 {
		return true
	}
	return keywordBefore(b, start, words)
}

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// ipv6 handles a ':' at i between hex digits or colons: the run of hex
// digits and colons around it, at word boundaries, is an IPv6 address
// if net/netip says so. It returns where scanning resumes.
func (e *Engine) ipv6(b []byte, i int, out *[]cand) int {
	n := len(b)
	if e.brule[rIPv6] == nil || i+1 >= n || !(isHex(b[i+1]) || b[i+1] == ':') {
		return i + 1
	}
	s := i
	for s > 0 && i-s < 40 && (isHex(b[s-1]) || b[s-1] == ':') {
		s--
	}
	t := i + 1
	for t < n && t-s < 40 && (isHex(b[t]) || b[t] == ':') {
		t++
	}
	if t-s >= 40 {
		// Longer than any address (39 characters at most): skip the run.
		for t < n && (isHex(b[t]) || b[t] == ':') {
			t++
		}
		return t
	}
	for t > i+1 && b[t-1] == ':' && !(t >= 2 && b[t-2] == ':') {
		t-- // a colon ending a sentence or a key ("addr 2001:db8::1: ok")
	}
	if s > 0 && (e.word(b[s-1]) || b[s-1] == '.') || e.glued(b, t) && b[t] != '/' && b[t] != '%' || !validIPv6(b[s:t]) {
		if s == i {
			return i + 1 // what follows a lone colon may be a value of its own (" :4539 1488 ...")
		}
		return t // the rest of the run is glued to a colon
	}
	e.add(out, rIPv6, s, t)
	return t
}

// validIPv6 accepts what net/netip parses as a plain IPv6 address with
// at least five hex digits, one of them decimal (not "dead::beef", not
// "a::b" in C++), and not unspecified, loopback, IPv4-mapped, in the
// documentation prefix 2001:db8::/32 or the cloud metadata address
// fd00:ec2::254.
func validIPv6(v []byte) bool {
	hex, dec, colons := 0, 0, 0
	for _, c := range v {
		switch {
		case c == ':':
			colons++
		case isDigit(c):
			dec++
			hex++
		case isHex(c):
			hex++
		default:
			return false
		}
	}
	if colons < 2 || hex < 5 || dec == 0 {
		return false
	}
	a, err := netip.ParseAddr(string(v))
	if err != nil || !a.Is6() || a.Is4In6() || a.IsUnspecified() || a.IsLoopback() || string(v) == "fd00:ec2::254" {
		return false
	}
	x := a.As16()
	return !(x[0] == 0x20 && x[1] == 0x01 && x[2] == 0x0d && x[3] == 0xb8)
}
