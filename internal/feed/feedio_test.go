package feed

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

func TestLimitReader(t *testing.T) {
	got, err := io.ReadAll(LimitReader(strings.NewReader("abcdef"), 3))
	if string(got) != "abc" || err != ErrTooLarge {
		t.Errorf("over the bound: %q, %v", got, err)
	}
	got, err = io.ReadAll(LimitReader(strings.NewReader("abc"), 3))
	if string(got) != "abc" || err != nil {
		t.Errorf("at the bound: %q, %v", got, err)
	}
}

func TestProblems(t *testing.T) {
	var p Problems
	if p.Err() != nil {
		t.Error("no problems gave an error")
	}
	p.Prefix = "kev: x.json: "
	for i := range MaxProblems + 3 {
		p.Add("entry %d: bad", i)
	}
	msg := p.Err().Error()
	if !strings.HasPrefix(msg, "kev: x.json: entry 0: bad") || !strings.HasSuffix(msg, "kev: x.json: 3 more problems") ||
		strings.Count(msg, "\n") != MaxProblems {
		t.Errorf("Err() = %q", msg)
	}
}

func TestSmallHelpers(t *testing.T) {
	if TrimCompression("nvdcve-2.0-2024.json.gz") != "nvdcve-2.0-2024.json" || TrimCompression("a.json") != "a.json" {
		t.Error("TrimCompression")
	}
	if c := Clip(strings.Repeat("é", 90)); c != strings.Repeat("é", 80)+"…" {
		t.Errorf("Clip = %q", c)
	}
	dec := json.NewDecoder(strings.NewReader(`{"k": 1}`))
	if err := ExpectDelim(dec, '{'); err != nil {
		t.Fatal(err)
	}
	if k, err := StringToken(dec); k != "k" || err != nil {
		t.Errorf("StringToken = %q, %v", k, err)
	}
	if _, err := StringToken(dec); err == nil {
		t.Error("StringToken accepted a number")
	}
	if err := ExpectDelim(json.NewDecoder(strings.NewReader(`[`)), '{'); err == nil {
		t.Error("ExpectDelim accepted [ for {")
	}
}
