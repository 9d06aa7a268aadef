package finding

import (
	"encoding/json"
	"testing"
)

func TestSeverityRoundTrip(t *testing.T) {
	for s := Unknown; s <= Critical; s++ {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var got Severity
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		if got != s {
			t.Errorf("round trip %v: got %v", s, got)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity(severe) succeeded")
	}
	if s, _ := ParseSeverity("HIGH"); s != High {
		t.Errorf("ParseSeverity(HIGH) = %v", s)
	}
}

func TestFingerprintIgnoresLines(t *testing.T) {
	a := Finding{Rule: Rule{ID: "R1"}, Target: Target{Name: "img"}, Location: Location{Path: "Dockerfile", StartLine: 3}}
	b := a
	b.Location.StartLine = 9
	if a.ComputeFingerprint() != b.ComputeFingerprint() {
		t.Error("fingerprint changed with the line number")
	}
	c := a
	c.Rule.ID = "R2"
	if a.ComputeFingerprint() == c.ComputeFingerprint() {
		t.Error("fingerprint did not change with the rule")
	}
}
