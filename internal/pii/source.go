package pii

import (
	"bytes"
	"fmt"
)

// Line kinds for the source-code detector.
const (
	lineBlank = iota
	lineText
	lineCode
	lineNeutral // a '#' comment or heading: neither breaks nor extends a block
)

// Limits of a source-code block: how many prose lines in a row and blank
// lines in a row it may hold, and how many lines vote on its language.
const (
	maxTextGap  = 2
	maxBlankGap = 3
	maxVoteLine = 64
)

// codeBlock is a run of lines being read as code.
type codeBlock struct {
	start, end int // bytes: start of the first code line, end of the last
	code       int // code lines
	votes      [numLangs]int
	fence      string // language named by a Markdown fence opening the block
}

// scanSource returns the blocks of at least min lines of source code.
func scanSource(b []byte, min int, r *Rule, tbl *[256]uint8) []Match {
	var out []Match
	var blk *codeBlock
	textGap, blankGap := 0, 0
	fence := ""
	closeBlock := func() {
		if blk != nil && blk.code >= min {
			lang := blk.language()
			out = append(out, Match{Rule: r, Start: blk.start, End: blk.end, Lines: blk.code, Language: lang,
				Masked: fmt.Sprintf("%d lines of %s", blk.code, lang)})
		}
		blk = nil
	}
	for pos := 0; pos < len(b); {
		eol := bytes.IndexByte(b[pos:], '\n')
		next := len(b)
		if eol >= 0 {
			next = pos + eol + 1
		} else {
			eol = len(b) - pos
		}
		line := b[pos : pos+eol]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		t := trimSpace(line)
		if len(t) >= 3 && (t[0] == '`' || t[0] == '~') && (bytes.HasPrefix(t, []byte("```")) || bytes.HasPrefix(t, []byte("~~~"))) {
			// A Markdown fence: the opening one may name the language.
			closeBlock()
			fence = fenceLang(t[3:])
			textGap, blankGap = 0, 0
			pos = next
			continue
		}
		switch kind := classifyLine(tbl, line, t); kind {
		case lineCode:
			if blk == nil {
				blk = &codeBlock{start: pos, fence: fence}
			}
			blk.code++
			blk.end = pos + len(line)
			if blk.code <= maxVoteLine {
				voteLine(&blk.votes, t)
			}
			textGap, blankGap = 0, 0
		case lineBlank:
			blankGap++
			if blankGap > maxBlankGap {
				closeBlock()
			}
		case lineText:
			textGap++
			blankGap = 0
			if textGap > maxTextGap {
				closeBlock()
				fence = ""
			}
		}
		pos = next
	}
	closeBlock()
	return out
}

// Byte flags of the source-code line reader.
const (
	lcBound  = 1 << iota // ends a word: space , ( )
	lcSymbol             // counts towards symbol density
	lcOp                 // needs a closer look: space ( = : - !
)

// lineClasses builds the flag table classifyLine reads.
func lineClasses() [256]uint8 {
	var t [256]uint8
	for _, c := range []byte(" ,()") {
		t[c] |= lcBound
	}
	for _, c := range []byte("{}[];<>|&\"()=:-!") {
		t[c] |= lcSymbol
	}
	for _, c := range []byte(" (=:-!") {
		t[c] |= lcOp
	}
	return t
}

// trimSpace cuts blanks (and a carriage return) from both ends.
func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	for j > i && (b[j-1] == ' ' || b[j-1] == '\t' || b[j-1] == '\r') {
		j--
	}
	return b[i:j]
}

// classifyLine reads one line as code, prose, blank or neutral. Code is
// told by syntax: a line ending in ; { or }, a line of closing brackets,
// operators (:= -> => == && ::), calls and assignments, comment markers,
// and a lower-case keyword opening the line, with indentation as a weak
// extra sign. Prose (capitalised words, a full stop at the end) has none
// of these.
func classifyLine(tbl *[256]uint8, line, t []byte) int {
	if len(t) == 0 {
		return lineBlank
	}
	indent := 0 // columns, a tab counting four
	for _, c := range line {
		if c == ' ' {
			indent++
		} else if c == '\t' {
			indent += 4
		} else {
			break
		}
	}
	syn, kw := 0, 0
	switch t[0] {
	case '#':
		if bytes.HasPrefix(t, []byte("#include")) || bytes.HasPrefix(t, []byte("#define")) ||
			bytes.HasPrefix(t, []byte("#!")) || bytes.HasPrefix(t, []byte("#if")) || bytes.HasPrefix(t, []byte("#pragma")) {
			return lineCode
		}
		return lineNeutral
	case '/':
		if len(t) > 1 && (t[1] == '/' || t[1] == '*') {
			return lineCode
		}
	case '*', '-', '+', '>':
		// A Markdown bullet or quote, or the inside of a /* */ comment:
		// neither breaks nor extends a block.
		if len(t) == 1 || t[1] == ' ' || t[1] == '/' && t[0] == '*' {
			return lineNeutral
		}
	case '}', ')', ']':
		if len(t) <= 4 {
			return lineCode
		}
		syn += 2
	case '<':
		if bytes.HasPrefix(t, []byte("<?php")) {
			return lineCode
		}
	case '@':
		if len(t) > 1 && wordByte(t[1]) && bytes.IndexByte(t, ' ') < 0 {
			return lineCode // a decorator or annotation
		}
	}
	switch t[len(t)-1] {
	case ';', '{', '}':
		return lineCode
	case '(', '[', ')':
		syn++
	case ',':
		if indent >= 2 {
			syn++ // an argument, field or column in an indented list
		}
	}
	switch keywordAt(t) {
	case kwStrong:
		return lineCode
	case kwWeak:
		kw = 2
		if syn > 0 || indent >= 2 {
			return lineCode
		}
	}
	if isUpper(t[0]) && kw == 0 && syn == 0 {
		switch c := t[len(t)-1]; {
		case c == '.' || c == ',' || c == '?' || c == '!' || isLetter(c):
			return lineText // a sentence
		}
	}
	if syn >= 2 || indent >= 2 && syn > 0 && t[len(t)-1] != '.' {
		return lineCode // decided before reading the line
	}
	// One pass over (the start of) the line: operators, calls, symbol
	// density.
	symbols, words, sqlWords := 0, 1, 0
	aligned := false
	u := t
	if len(u) > 256 {
		u = u[:256]
	}
	ws := 0 // start of the current word
	for i := 0; i < len(u); i++ {
		c := u[i]
		f := tbl[c]
		if f == 0 {
			continue // letters, digits and most punctuation
		}
		if f&lcBound != 0 {
			if i-ws >= 2 && i-ws <= 10 && isUpper(u[ws]) && sqlWord(u[ws:i]) {
				sqlWords++
			}
			ws = i + 1
			if i >= 40 && words >= 5 && syn == 0 && kw == 0 && symbols <= 1 && sqlWords == 0 {
				return lineText // forty bytes of plain words: prose
			}
		}
		if f&lcSymbol != 0 {
			symbols++
		}
		if f&lcOp == 0 {
			continue
		}
		switch c {
		case ' ':
			if i > 0 && t[i-1] != ' ' {
				words++
			} else if i > 0 && !aligned {
				aligned = true // two spaces inside a line: aligned columns
				if indent >= 2 {
					syn++
				}
			}
		case '(':
			if i > 0 && wordByte(t[i-1]) {
				syn++ // a call: name(
			}
		default: // = : - !
			if i+1 < len(t) {
				switch n := t[i+1]; {
				case c == ':' && n == '=', c == '-' && n == '>', c == '=' && n == '>', c == '=' && n == '=',
					c == '!' && n == '=', c == ':' && n == ':':
					syn++
				case c == '=' && n == ' ' && i > 1 && t[i-1] == ' ' && words <= 3 && assignee(t[:i]):
					syn += 2 // name = value
				}
			}
		}
	}
	if n := len(u) - ws; n >= 2 && n <= 10 && isUpper(u[ws]) && sqlWord(u[ws:]) {
		sqlWords++
	}
	if symbols >= 3 && symbols*12 >= len(u) {
		syn++
	}
	if sqlWords >= 2 {
		syn += 2
	}
	score := syn + kw
	if indent >= 2 && score > 0 {
		score++
	}
	if t[len(t)-1] == '.' && words >= 6 && syn < 2 {
		return lineText
	}
	switch {
	case score >= 3 || syn >= 2 || indent >= 2 && score >= 2:
		return lineCode
	case kw > 0:
		return lineNeutral // "if you...", "FROM t": may be either
	}
	return lineText
}

// Kinds of line-opening keywords.
const (
	kwNone   = iota
	kwWeak   // also opens English phrases ("if you", "for example")
	kwStrong // opens code only
)

// keywordAt classifies the word opening the line: a lower-case keyword
// of a common language (or an upper-case SQL one) followed by a space,
// bracket or colon.
func keywordAt(t []byte) int {
	n := 0
	for n < len(t) && (t[n] >= 'a' && t[n] <= 'z' || t[n] >= 'A' && t[n] <= 'Z') {
		n++
	}
	if n == 0 {
		return kwNone
	}
	if n == len(t) {
		if isCloser(string(t)) {
			return kwWeak
		}
		return kwNone
	}
	if c := t[n]; c != ' ' && c != '(' && c != ':' && c != '{' && c != '<' {
		return kwNone
	}
	switch string(t[:n]) {
	case "func", "def", "fn", "var", "let", "const", "import", "package", "class", "struct", "interface",
		"impl", "elif", "except", "async", "function", "namespace", "typedef", "pub", "enum", "extern",
		"template", "lambda", "foreach", "esac", "SELECT", "INSERT", "CREATE", "ALTER":
		return kwStrong
	case "public", "private", "protected", "static", "return", "await", "using", "mod", "if", "else",
		"for", "while", "switch", "case", "default", "try", "catch", "finally", "throw", "raise", "yield",
		"defer", "go", "select", "type", "export", "from", "with", "match", "unsafe", "void", "int", "char",
		"float", "double", "bool", "auto", "module", "require", "local", "echo", "then", "fi", "do", "done",
		"break", "continue", "new", "delete", "assert", "print", "UPDATE", "DELETE", "DROP", "FROM",
		"WHERE", "JOIN", "GROUP", "ORDER", "AND", "OR", "SET", "VALUES", "LEFT", "INNER":
		return kwWeak
	}
	return kwNone
}

func isCloser(w string) bool {
	switch w {
	case "end", "fi", "done", "esac", "else", "break", "continue", "return", "pass":
		return true
	}
	return false
}

// Languages the detector guesses.
const (
	langGo = iota
	langPython
	langJS
	langJava
	langC
	langCSharp
	langRust
	langRuby
	langPHP
	langShell
	langSQL
	langJSON
	numLangs
)

func langName(l int) string {
	return [...]string{"go", "python", "javascript", "java", "c", "csharp", "rust", "ruby", "php", "shell", "sql", "json"}[l]
}

// voteLine adds the language signs of one code line: mostly its first
// word, and a few telling fragments.
func voteLine(v *[numLangs]int, t []byte) {
	n := 0
	for n < len(t) && (t[n] >= 'a' && t[n] <= 'z' || t[n] >= 'A' && t[n] <= 'Z' || t[n] == '#' || t[n] == '<' || t[n] == '?' || t[n] == '@') {
		n++
	}
	has := func(s string) bool { return bytes.Contains(t, []byte(s)) }
	if len(t) > 0 && t[0] == '"' && has("\": ") {
		v[langJSON]++
		return
	}
	switch string(t[:n]) {
	case "func", "package", "defer", "go", "chan":
		v[langGo] += 2
		return
	case "def", "elif", "except", "lambda", "self":
		v[langPython] += 2
		return
	case "fn", "impl", "pub", "mod", "let" /* also JavaScript, below */ :
		if string(t[:n]) != "let" || has("let mut ") {
			v[langRust] += 2
			return
		}
	case "#include", "#define", "#ifdef", "#ifndef", "#endif", "#pragma", "typedef":
		v[langC] += 2
		return
	case "using", "namespace":
		v[langCSharp] += 2
		return
	case "@Override":
		v[langJava] += 2
		return
	case "<?php":
		v[langPHP] += 2
		return
	case "const", "var", "function", "export", "require":
		v[langJS] += 2
		return
	case "fi", "done", "then", "esac", "elif_":
		v[langShell] += 2
		return
	case "SELECT", "INSERT", "CREATE", "UPDATE", "WHERE", "FROM":
		v[langSQL] += 2
		return
	case "end", "puts":
		v[langRuby]++
		return
	case "public", "private", "protected":
		v[langJava]++
		v[langCSharp]++
		return
	}
	total := 0
	for _, x := range v {
		total += x
	}
	if len(t) < 4 || total >= 3 {
		return // fragments only decide blocks whose first words did not
	}
	switch {
	case has(":= ") || has("err != nil"):
		v[langGo]++
	case has("self.") || has("__"):
		v[langPython]++
	case has("=> ") || has("===") || has("console."):
		v[langJS]++
	case has("std::") || has("->"):
		v[langC]++
	case has("$this->"):
		v[langPHP]++
	case has("System.out"):
		v[langJava]++
	}
}

// language is the fence's language if a Markdown fence named one, else
// the language with the most votes, else "unknown".
func (c *codeBlock) language() string {
	if c.fence != "" {
		return c.fence
	}
	best, n := -1, 0
	for l, x := range c.votes {
		if x > n {
			best, n = l, x
		}
	}
	if best < 0 {
		return "unknown"
	}
	return langName(best)
}

// fenceLang reads the language a Markdown fence names ("go" from
// "```go title=x"), or "".
func fenceLang(info []byte) string {
	info = trimSpace(info)
	n := 0
	for n < len(info) && n < 20 && (wordByte(info[n]) && info[n] < 0x80 || info[n] == '+' || info[n] == '#' || info[n] == '-') {
		n++
	}
	if n == len(info) || info[n] == ' ' || info[n] == '{' {
		return string(bytes.ToLower(info[:n]))
	}
	return ""
}

// sqlWord reports the upper-case words SQL statements and column
// definitions are made of.
func sqlWord(w []byte) bool {
	switch string(w) {
	case "NOT", "NULL", "PRIMARY", "KEY", "REFERENCES", "DEFAULT", "BIGINT", "INT", "INTEGER", "TEXT",
		"VARCHAR", "CHAR", "TIMESTAMP", "BOOLEAN", "SERIAL", "UNIQUE", "CHECK", "AS", "ON", "AND", "OR",
		"IN", "IS", "BY", "GROUP", "ORDER", "JOIN", "LEFT", "INNER", "WHERE", "FROM", "SELECT", "SET",
		"VALUES", "INTO", "DESC", "ASC", "LIMIT", "UPDATE", "DELETE", "INSERT", "TABLE", "INDEX", "CASCADE":
		return true
	}
	return false
}

// assignee reports whether s, the text before " = ", is one name (with
// dots, indexes or a declaration keyword such as var or let), padded by
// spaces for alignment.
func assignee(s []byte) bool {
	s = trimSpace(s)
	if k := bytes.IndexByte(s, ':'); k > 0 && k+1 < len(s) && s[k+1] == ' ' {
		s = s[:k] // name: type = value
	}
	if k := bytes.IndexByte(s, ' '); k >= 0 {
		if keywordAt(s) == kwNone {
			return false
		}
		s = trimSpace(s[k+1:])
	}
	if len(s) == 0 {
		return false
	}
	for _, c := range s {
		if !wordByte(c) && c != '.' && c != '[' && c != ']' && c != '$' {
			return false
		}
	}
	return true
}
