package rules

import (
	"os"
	"strings"
	"testing"

	"github.com/pavesec/pave/internal/sensor/event"
)

// fuzzEvents are evaluated by every rule a fuzz input compiles into.
func fuzzEvents() []*event.Event {
	return []*event.Event{
		execEv("bash", args("-c", "id"), parents("nginx")),
		execEv("sh", tty, parents(), onHost),
		openEv("cat", "/etc/shadow", false),
		openEv("vi", "/etc/passwd", true, ret(-13)),
		connectEv("curl", "ipv4", "10.0.0.1", 3333),
		connectEv("curl", "unix", "/run/docker.sock", 0),
		changeEv(event.Setuid, "x", event.Change{NewUID: u32(0)}, euid(1000)),
		changeEv(event.Unshare, "x", event.Change{Flags: []string{"CLONE_NEWUSER"}}),
		newEv(event.MemfdExec, "x"),
		{Type: event.Exec},
	}
}

// FuzzParseCondition: any input parses or fails with an error, never a
// panic; what parses compiles and evaluates without panicking.
func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{
		"evt.type = execve and proc.name in (sh, bash)",
		"not (a or b) and proc.aname[2] = runc:[0:PARENT]",
		"fd.name glob '/home/*/.ssh/*' or fd.net in (10.0.0.0/8)",
		"proc.cmdline icontains \"x\\\"y\" and user.uid >= 1000",
		"evt.arg.flags contains O_TRUNC and evt.arg[0] exists",
		"proc.name pmatch (/a, /b) and proc.name bcontains 0a0b",
		"((((", "proc.name in (", "'", "a and or b", "proc.name regex '['",
	} {
		f.Add(s)
	}
	ev := fuzzEvents()
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseCondition(s)
		if err != nil {
			if n != nil {
				t.Fatal("a tree and an error")
			}
			return
		}
		c := &compiler{lists: map[string][]value{"l": {{text: "sh"}}}, macros: map[string]*macroDef{"m": {cond: "proc.name = sh"}}}
		c.begin()
		cc := c.compile(n, inChain)
		if cc.p == nil {
			t.Fatal("nil predicate")
		}
		var cx evctx
		for i, e := range ev {
			cx.reset(e, uint64(i+1))
			cc.p(&cx)
		}
	})
}

// FuzzLoad: any rules file loads or fails with a one-line error; what
// loads compiles, renders and analyses events without panicking.
func FuzzLoad(f *testing.F) {
	f.Add(string(builtinYAML))
	for _, p := range falcoFiles {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b[:min(len(b), 6000)]))
		}
	}
	f.Add(oneRule("evt.type = execve and proc.name = sh"))
	f.Add("- list: l\n  items: [a, l]\n- macro: m\n  condition: m\n- rule: r\n  condition: m and proc.name in (l)\n  priority: INFO\n  output: '%proc.name %'\n")
	f.Add("- rule: r\n  condition: evt.type=open\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [proc.name]\n      values: [[a]]\n")
	f.Add("- rule: [")
	f.Add("")
	ev := fuzzEvents()
	f.Fuzz(func(t *testing.T, s string) {
		rs := newRuleSet()
		if err := rs.load("fuzz", []byte(s)); err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		e, rep := compileSet(rs)
		_ = rep.String()
		for _, x := range ev {
			for _, fd := range e.Analyze(x) {
				if fd.Rule.ID == "" || fd.Fingerprint == "" {
					t.Fatalf("finding without id or fingerprint: %+v", fd)
				}
			}
		}
		e.EnforcedExecNames()
	})
}
