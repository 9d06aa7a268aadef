package promtext

import (
	"strings"
	"testing"
)

func TestLabel(t *testing.T) {
	for in, want := range map[string]string{
		"execve":          `"execve"`,
		`C:\tmp`:          `"C:\\tmp"`,
		`say "hi"`:        `"say \"hi\""`,
		"two\nlines":      `"two\nlines"`,
		"":                `""`,
		"a\"b\\c\nd":      `"a\"b\\c\nd"`,
		"PAVE-RT-001 ünï": `"PAVE-RT-001 ünï"`,
	} {
		if got := Label(in); got != want {
			t.Errorf("Label(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFamily(t *testing.T) {
	var b strings.Builder
	Family(&b, "pave_sensor_events_total", "counter", "Events read from the source.")
	want := "# HELP pave_sensor_events_total Events read from the source.\n# TYPE pave_sensor_events_total counter\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
