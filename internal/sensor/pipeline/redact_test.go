package pipeline

import (
	"strings"
	"testing"

	"github.com/pavesec/pave/internal/sensor/event"
)

func TestRedact(t *testing.T) {
	// A generic password assignment and an AWS secret key by name; the
	// values are random, not documentation examples (those the engine
	// leaves alone).
	tests := []struct {
		name   string
		args   []string
		secret string // must not survive
		keep   []string
	}{
		{"password flag", []string{"mysql", "--password=Zq8vLm2xKp9wRt4y", "-h", "db"}, "Zq8vLm2xKp9wRt4y", []string{"mysql", "-h", "db"}},
		{"aws key", []string{"env", "AWS_SECRET_ACCESS_KEY=h7Rk2Qp9Lm4vXz8Nw3Tb6Yc1Jd5Fg0Sa/Ue+Wq7Pi", "aws", "s3", "ls"}, "h7Rk2Qp9Lm4vXz8Nw3Tb6Yc1Jd5Fg0Sa/Ue+Wq7Pi", []string{"env", "aws", "s3", "ls"}},
		{"nothing", []string{"sed", "-n", "1p", "/etc/hostname"}, "", []string{"sed", "-n", "1p", "/etc/hostname"}},
	}
	r := NewRedactor(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := &event.Event{Type: event.Exec, Proc: event.Process{Args: append([]string(nil), tt.args...)}}
			changed := r.Redact(ev)
			if changed != (tt.secret != "") {
				t.Errorf("changed = %v for %q", changed, ev.Proc.Args)
			}
			if len(ev.Proc.Args) != len(tt.args) {
				t.Fatalf("args %q: count changed", ev.Proc.Args)
			}
			joined := strings.Join(ev.Proc.Args, " ")
			if tt.secret != "" && (strings.Contains(joined, tt.secret) || !strings.Contains(joined, "chars)")) {
				t.Errorf("secret survives or no mask: %q", ev.Proc.Args)
			}
			for _, k := range tt.keep {
				found := false
				for _, a := range ev.Proc.Args {
					found = found || a == k
				}
				if !found {
					t.Errorf("argument %q lost: %q", k, ev.Proc.Args)
				}
			}
		})
	}
}
