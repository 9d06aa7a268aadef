package sbom

import (
	"strings"
	"testing"
)

func TestMarshalJSON(t *testing.T) {
	tests := []struct {
		name    string
		doc     any
		want    string
		wantErr string
	}{
		{"indented, not escaped", map[string]any{"a": "<b & c>", "n": []int{1}}, "{\n  \"a\": \"<b & c>\",\n  \"n\": [\n    1\n  ]\n}\n", ""},
		{"error prefixed", map[string]any{"f": func() {}}, "", "spdx: encode: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MarshalJSON("spdx", tt.doc)
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.HasPrefix(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want prefix %q", err, tt.wantErr)
			}
		})
	}
}
