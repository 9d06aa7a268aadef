package jsonline

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKeyLines(t *testing.T) {
	tests := []struct {
		name     string
		doc      string
		maxDepth int
		descend  string // descend into keys with this name
		want     []string
		wantErr  bool
	}{
		{"top level", "{\n\"a\": 1,\n\n\"b\": {\"c\": 2}\n}", 8, "", []string{"a:2", "b:4"}, false},
		{"descend", "{\"deps\": {\n  \"x\": {\"v\": 1},\n  \"y\": [1, {\"z\": 2}]\n}}", 8, "deps",
			[]string{"deps:1", "deps/x:2", "deps/y:3"}, false},
		{"too deep", `{"deps":{"deps":{"deps":{}}}}`, 1, "deps", []string{"deps:1", "deps/deps:1"}, true},
		{"not an object", `[1]`, 8, "", nil, true},
		{"truncated", "{\"a\": 1,\n\"b\": {", 8, "b", []string{"a:1", "b:2"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := KeyLines([]byte(tt.doc), tt.maxDepth, func(p []string, line int) bool {
				got = append(got, strings.Join(p, "/")+":"+strconv.Itoa(line))
				return tt.descend != "" && p[len(p)-1] == tt.descend
			})
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	if err := KeyLines([]byte(`"s"`), 8, func([]string, int) bool { return true }); !errors.Is(err, ErrNotObject) {
		t.Errorf("string document: err = %v, want ErrNotObject", err)
	}
}

func FuzzKeyLines(f *testing.F) {
	f.Add([]byte("{\n\"a\": {\"b\": [1, {\"c\": 2}]},\n\"d\": \"e\"\n}"))
	f.Add([]byte(`{"a":{"a":{"a":{"a":{}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := strings.Count(string(data), "\n") + 1
		prev := 0
		_ = KeyLines(data, 3, func(p []string, line int) bool {
			if len(p) == 0 || len(p) > 4 || line < prev || line > lines {
				t.Fatalf("path %q at line %d (previous %d, %d lines)", p, line, prev, lines)
			}
			prev = line
			return true
		})
	})
}

func BenchmarkKeyLines(b *testing.B) {
	data, err := os.ReadFile("../npm/testdata/packagelock/v3/package-lock.json")
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := KeyLines(data, 128, func([]string, int) bool { return true }); err != nil {
			b.Fatal(err)
		}
	}
}
