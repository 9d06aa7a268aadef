package pii

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSourceCode(t *testing.T) {
	e := engine(t, Config{})
	for _, tt := range []struct {
		file, lang string
	}{
		{"python.py", "python"},
		{"javascript.js", "javascript"},
		{"java.java", "java"},
		{"c.c", "c"},
		{"rust.rs", "rust"},
		{"sql.sql", "sql"},
		{"prose-notes.md", ""},
		{"chat.txt", ""},
		{"config.yaml", ""},
	} {
		b, err := os.ReadFile(filepath.Join("testdata/source", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		var code []Match
		for _, m := range e.Scan(b) {
			if m.Category == CategorySourceCode {
				code = append(code, m)
			}
		}
		if tt.lang == "" {
			for _, m := range code {
				t.Errorf("%s: reported as %s", tt.file, m.Masked)
			}
			continue
		}
		if len(code) != 1 {
			t.Errorf("%s: %d source-code matches, want 1", tt.file, len(code))
			continue
		}
		m := code[0]
		lines := strings.Count(string(b), "\n")
		if m.Language != tt.lang || m.Lines < lines/2 || m.Lines > lines || m.Rule.Name != "source-code" {
			t.Errorf("%s: %s (%d lines, language %s), want %s with at most %d lines", tt.file, m.Masked, m.Lines, m.Language, tt.lang, lines)
		}
		if m.Start != 0 || m.End < len(b)-2 {
			t.Errorf("%s: block %d-%d, want the whole file 0-%d", tt.file, m.Start, m.End, len(b))
		}
	}
}

func TestSourceCodeThreshold(t *testing.T) {
	src := goSample(30) // 30 lines of Go, some 24 of them code
	for _, tt := range []struct {
		min  int
		want int
	}{{0, 1}, {10, 1}, {60, 0}, {-1, 0}} {
		e := engine(t, Config{SourceCodeMinLines: tt.min})
		n := 0
		for _, m := range e.Scan([]byte(src)) {
			if m.Category == CategorySourceCode {
				n++
				if m.Language != "go" || m.Masked != fmt.Sprintf("%d lines of go", m.Lines) {
					t.Errorf("min %d: %s", tt.min, m.Masked)
				}
			}
		}
		if n != tt.want {
			t.Errorf("SourceCodeMinLines %d: %d blocks, want %d", tt.min, n, tt.want)
		}
	}
}

// Code pasted inside a prompt is a block of its own, named by its fence,
// and the personal data inside it is still found.
func TestSourceCodeInProse(t *testing.T) {
	e := engine(t, Config{SourceCodeMinLines: 10})
	var b strings.Builder
	b.WriteString("Please review this function, it fails for some users.\n\n```kotlin\n")
	for i := 0; i < 12; i++ {
		b.WriteString("    val total = items.filter { it.active }.sumOf { it.price }\n")
	}
	b.WriteString("    sendReceipt(\"ola.nowak@poczta.pl\")\n```\n\nThanks, I will check back tomorrow.\n")
	var kinds []string
	for _, m := range e.Scan([]byte(b.String())) {
		kinds = append(kinds, m.Rule.Name+":"+m.Language)
	}
	if strings.Join(kinds, " ") != "source-code:kotlin email:" {
		t.Errorf("got %q, want a kotlin block and the address inside it", kinds)
	}
}

func TestClassifyLine(t *testing.T) {
	tbl := lineClasses()
	for _, tt := range []struct {
		line string
		want int
	}{
		{"func main() {", lineCode},
		{"\treturn x, nil", lineCode},
		{"    self.total = 0", lineCode},
		{"x := compute(a, b)", lineCode},
		{"}", lineCode},
		{"  });", lineCode},
		{"// Package foo does things.", lineCode},
		{"#include <stdio.h>", lineCode},
		{"SELECT id FROM users;", lineCode},
		{"The meeting moved to Thursday, please update your calendars.", lineText},
		{"We will ship it when the tests pass.", lineText},
		{"use the following command to install it", lineText},
		{"if you have any questions, let me know", lineNeutral}, // a weak keyword alone decides nothing
		{"", lineBlank},
		{"   ", lineBlank},
		{"# Heading", lineNeutral},
		{"- a bullet (with parentheses)", lineNeutral},
		{"* zstd: faster decoding by @someone in https://example.com/pull/1", lineNeutral},
	} {
		if got := classifyLine(&tbl, []byte(tt.line), trimSpace([]byte(tt.line))); got != tt.want {
			t.Errorf("classifyLine(%q) = %d, want %d", tt.line, got, tt.want)
		}
	}
}
