package ahocorasick

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hit is one reported occurrence: keyword index and end offset.
type hit struct{ kw, end int }

func scanAll(m *Matcher, b []byte) []hit {
	var got []hit
	m.Scan(b, func(kw, end int) { got = append(got, hit{kw, end}) })
	return got
}

// asciiLower lower-cases 'A'-'Z' only, leaving every other byte (invalid
// UTF-8 included) as it is.
func asciiLower(b []byte) []byte {
	l := bytes.Clone(b)
	for i, c := range l {
		if 'A' <= c && c <= 'Z' {
			l[i] = c + 'a' - 'A'
		}
	}
	return l
}

// naive finds every occurrence by comparing each keyword at each offset,
// as the set of (keyword, end) pairs.
func naive(kws []string, b []byte) map[hit]bool {
	want := map[hit]bool{}
	lb := asciiLower(b)
	for ki, k := range kws {
		lk := string(asciiLower([]byte(k)))
		for j := 0; j+len(lk) <= len(lb); j++ {
			if string(lb[j:j+len(lk)]) == lk {
				want[hit{ki, j + len(lk)}] = true
			}
		}
	}
	return want
}

// check compares a scan with naive: the same hits, each once, in order of
// end, and KeywordLen matching each keyword.
func check(t *testing.T, kws []string, b []byte) {
	t.Helper()
	m := New(kws)
	for ki, k := range kws {
		if got := m.KeywordLen(ki); got != len(k) {
			t.Fatalf("KeywordLen(%d) = %d, want %d", ki, got, len(k))
		}
	}
	got := scanAll(m, b)
	want := naive(kws, b)
	seen := map[hit]bool{}
	for i, h := range got {
		if !want[h] {
			t.Fatalf("keywords %q, input %q: hit %q ending at %d is not there", kws, b, kws[h.kw], h.end)
		}
		if seen[h] {
			t.Fatalf("keywords %q, input %q: hit %q ending at %d reported twice", kws, b, kws[h.kw], h.end)
		}
		seen[h] = true
		if i > 0 && got[i-1].end > h.end {
			t.Fatalf("keywords %q, input %q: hits out of order: end %d after %d", kws, b, h.end, got[i-1].end)
		}
	}
	for h := range want {
		if !seen[h] {
			t.Fatalf("keywords %q, input %q: missed %q ending at %d", kws, b, kws[h.kw], h.end)
		}
	}
}

func TestScan(t *testing.T) {
	kws := []string{"he", "she", "his", "hers", "ghp_", "a", "aaa"}
	for _, tc := range []struct {
		in   string
		want []hit
	}{
		{"", nil},
		{"xyz", nil},
		{"ushers", []hit{{1, 4}, {0, 4}, {3, 6}}},
		{"USHERS", []hit{{1, 4}, {0, 4}, {3, 6}}},
		{"aaaa", []hit{{5, 1}, {5, 2}, {6, 3}, {5, 3}, {6, 4}, {5, 4}}},
		{"token=GHP_x", []hit{{4, 10}}},
		{"h\xffis", []hit{}},
		{"\x00his\x00", []hit{{2, 4}}},
	} {
		got := scanAll(New(kws), []byte(tc.in))
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(hit{}), cmpEmpty); diff != "" {
			t.Errorf("Scan(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

// cmpEmpty treats a nil and an empty hit list as equal.
var cmpEmpty = cmp.FilterValues(func(a, b []hit) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())

func TestScanRandom(t *testing.T) {
	kws := []string{"he", "she", "his", "hers", "ghp_", "a", "aaa"}
	const alphabet = "aAhHeEsSrRiIgp_x"
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 200; i++ {
		b := make([]byte, r.IntN(60))
		for j := range b {
			b[j] = alphabet[r.IntN(len(alphabet))]
		}
		check(t, kws, b)
	}
}

func TestDuplicateKeywords(t *testing.T) {
	// Each index reports its own hits, whatever the case of the keyword.
	check(t, []string{"key", "KEY", "ey"}, []byte("a Key and a kEy"))
}

func TestNoKeywords(t *testing.T) {
	if got := scanAll(New(nil), []byte("anything at all")); len(got) != 0 {
		t.Errorf("Scan with no keywords = %v, want no hits", got)
	}
}

func FuzzScan(f *testing.F) {
	f.Add("he\x00she\x00hers", []byte("ushers"))
	f.Add("AKIA\x00ghp_\x00xox", []byte("AKIAIOSFODNN7EXAMPLE ghp_abc xoxb-1"))
	f.Add("a\x00aa\x00aaa", []byte("aaaaaaa"))
	f.Add("\xff\x00\x80", []byte("\xff\x80\xff"))
	f.Fuzz(func(t *testing.T, keywords string, b []byte) {
		var kws []string
		for _, k := range strings.Split(keywords, "\x00") {
			if k != "" {
				kws = append(kws, k)
			}
		}
		if len(kws) > 64 || len(b) > 4096 {
			return
		}
		check(t, kws, b)
	})
}

// BenchmarkScan scans Go source, the common input of both scanners, for a
// keyword set in the shape of the secret rules' prefixes.
func BenchmarkScan(b *testing.B) {
	kws := []string{"akia", "asia", "ghp_", "gho_", "ghs_", "github_pat_", "xoxb-", "xoxp-",
		"sk_live_", "rk_live_", "glpat-", "-----begin", "password", "secret", "token", "api_key",
		"apikey", "npm_", "pypi-", "hf_", "sk-ant-", "sk-proj-", "aiza", "ya29.", "eyj"}
	src := goSource(b, 4<<20)
	m := New(kws)
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Scan(src, func(int, int) {})
	}
}

// goSource is up to n bytes of the module's own Go files.
func goSource(tb testing.TB, n int) []byte {
	var src []byte
	err := filepath.WalkDir("../..", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if len(src) >= n {
			return filepath.SkipAll
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		c, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		src = append(src, c...)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return src
}
