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
	maxVoteLine = 200
)

// codeBlock is a run of lines being read as code.
type codeBlock struct {
	start, end int // bytes: start of the first code line, end of the last
	code       int // code lines
	votes      [numLangs]int
	fence      string // language named by a Markdown fence opening the block
}

// scanSource returns the blocks of at least min lines of source code.
func scanSource(b []byte, min int, r *Rule) []Match {
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
		if t := trimSpace(line); bytes.HasPrefix(t, []byte("```")) || bytes.HasPrefix(t, []byte("~~~")) {
			// A Markdown fence: the opening one may name the language.
			closeBlock()
			fence = fenceLang(t[3:])
			textGap, blankGap = 0, 0
			pos = next
			continue
		}
		switch kind := classifyLine(line); kind {
		case lineCode:
			if blk == nil {
				blk = &codeBlock{start: pos, fence: fence}
			}
			blk.code++
			blk.end = pos + len(line)
			if blk.code <= maxVoteLine {
				voteLine(&blk.votes, trimSpace(line))
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
func classifyLine(line []byte) int {
	t := trimSpace(line)
	if len(t) == 0 {
		return lineBlank
	}
	indent := len(line) - len(bytes.TrimLeft(line, " \t")) // counts bytes
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
	case '*':
		if len(t) == 1 || t[1] == ' ' || t[1] == '/' {
			if indent > 0 {
				return lineCode // inside a /* */ block
			}
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
	}
	switch t[len(t)-1] {
	case ';', '{', '}':
		syn += 2
	case '(', '[', ')':
		syn++
	}
	// One pass over the line: operators, calls, symbol density.
	symbols, words := 0, 1
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch c {
		case ' ':
			words++
		case '{', '}', '[', ']', ';', '<', '>', '|', '&', '"':
			symbols++
		case '(':
			symbols++
			if i > 0 && wordByte(t[i-1]) {
				syn++ // a call: name(
			}
		case ')':
			symbols++
		case '=', ':', '-', '!':
			symbols++
			if i+1 < len(t) {
				switch n := t[i+1]; {
				case c == ':' && n == '=', c == '-' && n == '>', c == '=' && n == '>', c == '=' && n == '=',
					c == '!' && n == '=', c == ':' && n == ':':
					syn++
				case c == '=' && n == ' ' && i > 1 && t[i-1] == ' ' && wordByte(t[i-2]) && words <= 3:
					syn += 2 // name = value, early in the line
				}
			}
		}
	}
	if symbols >= 3 && symbols*12 >= len(t) {
		syn++
	}
	if startsWithKeyword(t) {
		kw = 2
	}
	score := syn + kw
	if indent >= 2 && score > 0 {
		score++
	}
	if t[len(t)-1] == '.' && words >= 6 && syn < 2 {
		return lineText
	}
	if score >= 3 || syn >= 2 {
		return lineCode
	}
	return lineText
}

// startsWithKeyword reports whether the line opens with a lower-case
// keyword of a common language (or an upper-case SQL one) followed by a
// space, bracket or colon.
func startsWithKeyword(t []byte) bool {
	n := 0
	for n < len(t) && (t[n] >= 'a' && t[n] <= 'z' || t[n] >= 'A' && t[n] <= 'Z') {
		n++
	}
	if n == 0 || n == len(t) {
		return n > 0 && isCloser(string(t[:n]))
	}
	if c := t[n]; c != ' ' && c != '(' && c != ':' && c != '{' {
		return false
	}
	switch string(t[:n]) {
	case "func", "def", "fn", "var", "let", "const", "import", "package", "public", "private", "protected",
		"static", "class", "struct", "interface", "impl", "return", "elif", "except", "async", "await",
		"function", "namespace", "using", "typedef", "pub", "mod", "if", "else", "for", "while", "switch",
		"case", "default", "try", "catch", "finally", "throw", "raise", "yield", "defer", "go", "select",
		"type", "enum", "export", "from", "with", "lambda", "match", "unsafe", "extern", "void", "int",
		"char", "float", "double", "bool", "auto", "template", "module", "require", "local", "foreach",
		"echo", "then", "fi", "do", "done", "esac", "break", "continue", "new", "delete", "assert", "print",
		"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP", "FROM", "WHERE", "JOIN":
		return true
	}
	return false
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
	numLangs
)

func langName(l int) string {
	return [...]string{"go", "python", "javascript", "java", "c", "csharp", "rust", "ruby", "php", "shell", "sql"}[l]
}

// voteLine adds the language signs of one code line.
func voteLine(v *[numLangs]int, t []byte) {
	has := func(s string) bool { return bytes.Contains(t, []byte(s)) }
	pre := func(s string) bool { return bytes.HasPrefix(t, []byte(s)) }
	switch {
	case pre("func ") || pre("package ") || has(":= ") || has("err != nil") || pre("go func") || pre("defer "):
		v[langGo] += 2
	case pre("def ") || pre("elif ") || has("self.") || pre("from ") && has(" import ") || has("__"):
		v[langPython] += 2
	case pre("fn ") || pre("pub fn") || has("let mut ") || pre("impl ") || has("println!") || pre("use ") && has("::"):
		v[langRust] += 2
	case pre("#include") || has("std::") || has("printf(") || pre("#define") || has("nullptr"):
		v[langC] += 2
	case pre("using System") || has("Console.") || pre("namespace "):
		v[langCSharp] += 2
	case has("System.out") || pre("@Override") || pre("import java") || has("public static void"):
		v[langJava] += 2
	case pre("<?php") || has("$this->") || pre("echo ") && has("$"):
		v[langPHP] += 2
	case has("=> ") || has("===") || has("console.") || pre("const ") || pre("let ") || has("function") || has("require("):
		v[langJS] += 2
	case pre("#!/bin/") || pre("fi") || pre("done") || pre("then") || has("$("):
		v[langShell] += 2
	case pre("SELECT ") || pre("INSERT ") || pre("CREATE TABLE") || pre("UPDATE ") || pre("WHERE "):
		v[langSQL] += 2
	case pre("end") || pre("puts ") || pre("require '"):
		v[langRuby]++
	case pre("public ") || pre("private ") || pre("protected "):
		v[langJava]++
		v[langCSharp]++
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
