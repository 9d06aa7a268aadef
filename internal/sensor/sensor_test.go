package sensor

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/pavesec/pave/internal/sensor/event"
)

func TestExec(t *testing.T) {
	for _, mech := range []string{"tp_btf", "raw_tp"} {
		t.Run(mech, func(t *testing.T) {
			s := openSensor(t, Config{Mechanism: mech})
			if s.Mechanism() != mech {
				t.Fatalf("Mechanism() = %q, want %q", s.Mechanism(), mech)
			}
			wantIno, wantDev := statID(t, "/bin/true")
			cwd, _ := os.Getwd()
			pid := run(t, exec.Command("/bin/true", "first arg", "second"))

			ev := waitFor(t, s, "exec of /bin/true", isType(event.Exec, pid))
			p := ev.Proc
			if p.Exe != "/bin/true" || p.ExeInode != wantIno || p.ExeDev != wantDev {
				t.Errorf("exe = %s inode %d dev %d, want /bin/true inode %d dev %d", p.Exe, p.ExeInode, p.ExeDev, wantIno, wantDev)
			}
			if diff := cmp.Diff([]string{"/bin/true", "first arg", "second"}, p.Args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
			if p.Comm != "true" || p.PPID != uint32(os.Getpid()) || p.Cwd != cwd || p.UID != 0 || p.EUID != 0 {
				t.Errorf("comm %q ppid %d cwd %q uid %d euid %d; want true, %d, %q, 0, 0", p.Comm, p.PPID, p.Cwd, p.UID, p.EUID, os.Getpid(), cwd)
			}
			if p.CapEffective == 0 || p.VPID == 0 || p.TID != p.PID {
				t.Errorf("capEffective %#x vpid %d tid %d: want root's capabilities, a vpid and tid == pid %d", p.CapEffective, p.VPID, p.TID, p.PID)
			}
			if len(p.Ancestors) == 0 || p.Ancestors[0].PID != uint32(os.Getpid()) {
				t.Fatalf("ancestors = %+v, want this test (%d) first", p.Ancestors, os.Getpid())
			}
			if self, _ := os.Executable(); p.Ancestors[0].Exe != self {
				t.Errorf("ancestor exe = %q, want %q", p.Ancestors[0].Exe, self)
			}
			if !ev.Host || ev.CgroupID == 0 || time.Since(ev.Time).Abs() > time.Minute {
				t.Errorf("host %v cgroup %d time %v: want a host event with a cgroup id and a current time", ev.Host, ev.CgroupID, ev.Time)
			}
			exit := waitFor(t, s, "exit", isType(event.Exit, pid))
			if exit.Ret != 0 {
				t.Errorf("exit status %d, want 0", exit.Ret)
			}
		})
	}
}

// TestExecIdentity: a program run through a symlink, a hard link or
// /proc/self/exe is still the same file (inode and device).
func TestExecIdentity(t *testing.T) {
	s := openSensor(t, Config{})
	dir := t.TempDir()
	wantIno, wantDev := statID(t, "/bin/true")
	sym := filepath.Join(dir, "sh")
	if err := os.Symlink("/bin/true", sym); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, exe string }{{sym, sym}}
	hard := filepath.Join(dir, "hard")
	if err := os.Link("/bin/true", hard); err == nil {
		cases = append(cases, struct{ path, exe string }{hard, hard})
	} else {
		t.Logf("no hard link case: %v", err)
	}
	for _, c := range cases {
		pid := run(t, exec.Command(c.path))
		ev := waitFor(t, s, "exec of "+c.path, isType(event.Exec, pid))
		if ev.Proc.Exe != c.exe || ev.Proc.ExeInode != wantIno || ev.Proc.ExeDev != wantDev {
			t.Errorf("%s: exe %s inode %d dev %d, want %s inode %d dev %d", c.path, ev.Proc.Exe, ev.Proc.ExeInode, ev.Proc.ExeDev, c.exe, wantIno, wantDev)
		}
	}
	// A #! script: the path is the script's, the file the interpreter's
	// (as /proc/<pid>/exe shows it).
	script := filepath.Join(dir, "script")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	shIno, shDev := statID(t, "/bin/sh")
	pid := run(t, exec.Command(script))
	ev := waitFor(t, s, "exec of a script", isType(event.Exec, pid))
	if ev.Proc.Exe != script || ev.Proc.ExeInode != shIno || ev.Proc.ExeDev != shDev {
		t.Errorf("script: exe %s inode %d dev %d, want %s with /bin/sh's inode %d dev %d", ev.Proc.Exe, ev.Proc.ExeInode, ev.Proc.ExeDev, script, shIno, shDev)
	}

	self, _ := os.Executable()
	selfIno, selfDev := statID(t, self)
	pid = run(t, helperCmd("exit"))
	ev = waitFor(t, s, "exec of /proc/self/exe", isType(event.Exec, pid))
	if ev.Proc.Exe != "/proc/self/exe" || ev.Proc.ExeInode != selfIno || ev.Proc.ExeDev != selfDev {
		t.Errorf("/proc/self/exe: exe %s inode %d dev %d, want inode %d dev %d", ev.Proc.Exe, ev.Proc.ExeInode, ev.Proc.ExeDev, selfIno, selfDev)
	}
}

// TestOpenWrite: write opens are reported with the resolved path, a file
// with exec bits also as write_exec, a second write open of the same file
// by the same process is aggregated away, and plain reads are not
// reported.
func TestOpenWrite(t *testing.T) {
	s := openSensor(t, Config{})
	dir := t.TempDir()
	data := filepath.Join(dir, "data.txt")
	script := filepath.Join(dir, "tool")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(data, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	f, err = os.OpenFile(script, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := os.ReadFile(data); err != nil {
		t.Fatal(err)
	}
	done := marker(t)
	me := uint32(os.Getpid())
	got := collectUntil(t, s, func(ev *event.Event) bool {
		return ev.Proc.PID == me && ev.File != nil && strings.HasPrefix(ev.File.Path, dir)
	}, done)
	got = got[:len(got)-1]

	dIno, dDev := statID(t, data)
	sIno, sDev := statID(t, script)
	// The kernel keeps neither O_CREAT, O_TRUNC nor O_CLOEXEC in f_flags.
	want := []event.File{
		{Path: script, Inode: sIno, Dev: sDev, Flags: unix.O_WRONLY | oLargefile, Write: true},
		{Path: script, Inode: sIno, Dev: sDev, Flags: unix.O_WRONLY | oLargefile, Write: true},
		{Path: data, Inode: dIno, Dev: dDev, Flags: unix.O_WRONLY | oLargefile, Write: true},
	}
	var files []event.File
	var types []event.Type
	for _, ev := range got {
		files = append(files, *ev.File)
		types = append(types, ev.Type)
	}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]event.Type{event.Open, event.WriteExec, event.Open}, types); diff != "" {
		t.Errorf("types (-want +got):\n%s", diff)
	}
	if st := s.Stats(); st.Filtered == 0 {
		t.Errorf("the repeated write open was not counted as filtered")
	}
}

// oLargefile is what the kernel adds to f_flags on 64-bit (x/sys/unix
// defines O_LARGEFILE as 0 there).
const oLargefile = 0x8000

func TestOpenTracked(t *testing.T) {
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets")
	keys := filepath.Join(dir, "home", "pave-keys")
	for _, d := range []string{filepath.Join(secrets, "sub"), keys} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]bool{ // path → reported on a read
		filepath.Join(secrets, "token"):         true,
		filepath.Join(secrets, "sub", "token"):  true,
		filepath.Join(keys, "id"):               true,
		filepath.Join(dir, "secrets-not"):       false,
		filepath.Join(dir, "other", "secrets2"): false,
		filepath.Join(dir, "other", "secrets"):  false, // tracked name, untracked path
	}
	os.MkdirAll(filepath.Join(dir, "other"), 0o700)
	for p := range files {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := openSensor(t, Config{TrackedPaths: []string{secrets}, TrackedNames: []string{"pave-keys"}})
	for p := range files {
		if _, err := os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
	}
	me := uint32(os.Getpid())
	got := map[string]bool{}
	for _, ev := range collectUntil(t, s, func(ev *event.Event) bool {
		return ev.Type == event.Open && ev.Proc.PID == me && strings.HasPrefix(ev.File.Path, dir)
	}, marker(t)) {
		if ev.File.Write {
			continue // the marker
		}
		got[ev.File.Path] = true
	}
	for p, want := range files {
		if got[p] != want {
			t.Errorf("read of %s reported = %v, want %v", p, got[p], want)
		}
	}
}

func TestOpenDefaultSensitive(t *testing.T) {
	if _, err := os.Stat("/etc/shadow"); err != nil {
		t.Skip("no /etc/shadow")
	}
	s := openSensor(t, Config{})
	if _, err := os.ReadFile("/etc/shadow"); err != nil {
		t.Fatal(err)
	}
	me := uint32(os.Getpid())
	ev := waitFor(t, s, "open of /etc/shadow", func(ev *event.Event) bool {
		return ev.Type == event.Open && ev.Proc.PID == me && ev.File.Path == "/etc/shadow"
	})
	if ev.File.Write {
		t.Errorf("read of /etc/shadow reported as a write")
	}
}

func TestNetwork(t *testing.T) {
	s := openSensor(t, Config{})
	me := uint32(os.Getpid())
	for _, c := range []struct{ network, addr, family, host string }{
		{"tcp4", "127.0.0.1:0", "ipv4", "127.0.0.1"},
		{"tcp6", "[::1]:0", "ipv6", "::1"},
	} {
		ln, err := net.Listen(c.network, c.addr)
		if err != nil {
			t.Logf("%s: %v", c.network, err)
			continue
		}
		port := uint16(ln.Addr().(*net.TCPAddr).Port)
		accepted := make(chan net.Conn, 1)
		go func() {
			conn, err := ln.Accept()
			if err == nil {
				accepted <- conn
			}
			close(accepted)
		}()
		conn, err := net.Dial(c.network, ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		cport := uint16(conn.LocalAddr().(*net.TCPAddr).Port)
		if sc := <-accepted; sc != nil {
			sc.Close()
		}
		conn.Close()
		ln.Close()

		want := map[event.Type]event.Net{
			event.Bind:    {Family: c.family, Protocol: "tcp", SrcAddr: c.host},
			event.Connect: {Family: c.family, Protocol: "tcp", DstAddr: c.host, DstPort: port},
			event.Accept:  {Family: c.family, Protocol: "tcp", SrcAddr: c.host, SrcPort: port, DstAddr: c.host, DstPort: cport},
		}
		got := map[event.Type]event.Net{}
		for _, ev := range collectUntil(t, s, func(ev *event.Event) bool {
			return ev.Proc.PID == me && ev.Net != nil && ev.Net.Family == c.family
		}, marker(t)) {
			if ev.Net != nil {
				got[ev.Type] = *ev.Net
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.network, diff)
		}
	}

	// A unix socket: connect reports the path.
	sock := filepath.Join(t.TempDir(), "pave.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	ev := waitFor(t, s, "unix connect", func(ev *event.Event) bool {
		return ev.Type == event.Connect && ev.Proc.PID == me && ev.Net.Family == "unix"
	})
	if ev.Net.DstAddr != sock {
		t.Errorf("unix connect to %q, want %q", ev.Net.DstAddr, sock)
	}
}

func TestCredentials(t *testing.T) {
	s := openSensor(t, Config{})
	pid := run(t, helperCmd("setuid"))
	ev := waitFor(t, s, "setgid", isType(event.Setgid, pid))
	if ev.Change == nil || ev.Change.NewGID == nil || *ev.Change.NewGID != 65534 {
		t.Errorf("setgid change = %+v, want gid 65534", ev.Change)
	}
	ev = waitFor(t, s, "setuid", isType(event.Setuid, pid))
	if ev.Change == nil || ev.Change.NewUID == nil || *ev.Change.NewUID != 65534 {
		t.Errorf("setuid change = %+v, want uid 65534", ev.Change)
	}
}

func TestNamespacesAndMount(t *testing.T) {
	s := openSensor(t, Config{})
	dir := t.TempDir()
	pid := run(t, helperCmd("ns", "PAVE_MOUNT_DIR="+dir))
	ev := waitFor(t, s, "unshare", isType(event.Unshare, pid))
	if diff := cmp.Diff([]string{"CLONE_NEWNS", "CLONE_NEWUTS"}, ev.Change.Flags); diff != "" {
		t.Errorf("unshare flags (-want +got):\n%s", diff)
	}
	ev = waitFor(t, s, "tmpfs mount", func(ev *event.Event) bool {
		return ev.Type == event.Mount && ev.Proc.PID == uint32(pid) && ev.Change.FSType == "tmpfs"
	})
	want := &event.Change{Source: "pave-src", FSType: "tmpfs", Flags: []string{"MS_NOSUID", "MS_NODEV"}}
	if diff := cmp.Diff(want, ev.Change); diff != "" || ev.File.Path != dir {
		t.Errorf("mount target %q (want %q), change (-want +got):\n%s", ev.File.Path, dir, diff)
	}
}

func TestMemfdExec(t *testing.T) {
	s := openSensor(t, Config{})
	pid := run(t, helperCmd("memfd"))
	ev := waitFor(t, s, "memfd exec", func(ev *event.Event) bool {
		return ev.Type == event.Exec && ev.Proc.PID == uint32(pid) && strings.HasPrefix(ev.Proc.Exe, "/proc/self/fd/")
	})
	twin := waitFor(t, s, "memfd_exec", isType(event.MemfdExec, pid))
	if !strings.HasPrefix(twin.File.Path, "memfd:pave-fileless") || twin.File.Inode != ev.Proc.ExeInode {
		t.Errorf("memfd exec: file %+v, want memfd:pave-fileless with inode %d", twin.File, ev.Proc.ExeInode)
	}
	if diff := cmp.Diff([]string{"fileless", "--flag"}, twin.Proc.Args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
}

func TestPtrace(t *testing.T) {
	s := openSensor(t, Config{})
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { child.Process.Kill(); child.Wait() }()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		err := syscall.PtraceAttach(child.Process.Pid)
		if err == nil {
			var ws syscall.WaitStatus
			syscall.Wait4(child.Process.Pid, &ws, syscall.WALL, nil)
			err = syscall.PtraceDetach(child.Process.Pid)
		}
		done <- err
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ev := waitFor(t, s, "ptrace", isType(event.Ptrace, os.Getpid()))
	if ev.Change.Request != "PTRACE_ATTACH" || ev.Change.TargetPID != uint32(child.Process.Pid) {
		t.Errorf("ptrace change = %+v, want PTRACE_ATTACH of %d", ev.Change, child.Process.Pid)
	}
}

// TestMmapLibrary: a shared library mapped executable is reported once per
// container (here: once for the host cgroup).
func TestMmapLibrary(t *testing.T) {
	lib := filepath.Join(t.TempDir(), "libpave.so")
	src, err := filepath.Glob("/usr/lib/x86_64-linux-gnu/libz.so.1*")
	if err != nil || len(src) == 0 {
		t.Skip("no libz to copy")
	}
	data, err := os.ReadFile(src[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lib, data, 0o755); err != nil {
		t.Fatal(err)
	}
	s := openSensor(t, Config{})
	ino, dev := statID(t, lib)
	var pids []int
	for range 2 {
		cmd := exec.Command("/bin/true")
		cmd.Env = []string{"LD_PRELOAD=" + lib}
		pids = append(pids, run(t, cmd))
	}
	got := collectUntil(t, s, func(ev *event.Event) bool {
		return ev.Type == event.Mmap && ev.File.Path == lib
	}, marker(t))
	got = got[:len(got)-1]
	if len(got) != 1 {
		t.Fatalf("%d mmap events for %s, want 1 (deduplicated)", len(got), lib)
	}
	if f := got[0].File; f.Inode != ino || f.Dev != dev || got[0].Proc.PID != uint32(pids[0]) {
		t.Errorf("mmap event %+v by %d, want inode %d dev %d by %d", f, got[0].Proc.PID, ino, dev, pids[0])
	}
}

func TestEnforce(t *testing.T) {
	s := openSensor(t, Config{})
	dir := t.TempDir()
	data, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	byName := filepath.Join(dir, "pave-kill-me")
	byInode := filepath.Join(dir, "innocent-name")
	for _, p := range []string{byName, byInode} {
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	target, err := KillTargetForPath(byInode, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Enforce([]KillTarget{{Name: "pave-kill-me"}, target}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{byName, byInode} {
		cmd := exec.Command(p)
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Errorf("%s: err %v, want killed by SIGKILL", p, err)
			continue
		}
		ev := waitFor(t, s, "killed exec", isType(event.Exec, cmd.Process.Pid))
		if !ev.Killed {
			t.Errorf("%s: exec event not marked Killed", p)
		}
	}
	// Containers-only targets spare the host; an empty list stops
	// enforcement.
	if err := s.Enforce([]KillTarget{{Name: "pave-kill-me", ContainersOnly: true}}); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command(byName).Run(); err != nil {
		t.Errorf("containers-only target killed a host process: %v", err)
	}
	if err := s.Enforce(nil); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command(byInode).Run(); err != nil {
		t.Errorf("after Enforce(nil): %v", err)
	}
	if err := s.Enforce([]KillTarget{{}}); err == nil {
		t.Errorf("Enforce accepted an empty target")
	}
}

func TestContainersOnlyFiltersHost(t *testing.T) {
	s := openSensor(t, Config{ContainersOnly: true})
	run(t, exec.Command("/bin/true"))
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	for {
		ev, err := s.Next(ctx)
		if err != nil {
			break
		}
		if ev.Host {
			t.Fatalf("host event with ContainersOnly: %+v", ev)
		}
	}
	if st := s.Stats(); st.Filtered == 0 {
		t.Errorf("Stats.Filtered = 0 after a host exec with ContainersOnly")
	}
}

// TestDocker: an event from a container carries the inode of the
// container's cgroup v2 directory as CgroupID, and is not a host event.
func TestDocker(t *testing.T) {
	const image = "pave-test/runtime:bookworm"
	if err := exec.Command("docker", "image", "inspect", image).Run(); err != nil {
		t.Skipf("docker or %s not available: %v", image, err)
	}
	root, err := cgroup2Root()
	if err != nil {
		t.Skip(err)
	}
	s := openSensor(t, Config{ContainersOnly: true})
	out, err := exec.Command("docker", "run", "-d", "--rm", image, "sleep", "20").Output()
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(string(out))
	defer exec.Command("docker", "rm", "-f", id).Run()
	out, err = exec.Command("docker", "inspect", "-f", "{{.State.Pid}}", id).Output()
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(string(out))
	cg, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	var rel string
	for sc := bufio.NewScanner(bytes.NewReader(cg)); sc.Scan(); {
		if after, ok := strings.CutPrefix(sc.Text(), "0::"); ok {
			rel = after
		}
	}
	wantCg, _ := statID(t, filepath.Join(root, rel))
	if !strings.Contains(rel, id) {
		t.Fatalf("cgroup %q does not name container %s", rel, id)
	}
	ev := waitFor(t, s, "container exec", func(ev *event.Event) bool {
		return ev.Type == event.Exec && ev.Proc.Comm == "sleep" && ev.CgroupID == wantCg
	})
	if ev.Host || ev.Proc.VPID != 1 {
		t.Errorf("container exec: host %v vpid %d, want a container event with vpid 1", ev.Host, ev.Proc.VPID)
	}
}

// TestDrops: with a one-page ring buffer that nobody reads, records are
// dropped, and every one is counted.
func TestDrops(t *testing.T) {
	s := openSensor(t, Config{RingBufferSize: os.Getpagesize()})
	dir := t.TempDir()
	const n = 300
	for i := range n {
		f, err := os.Create(filepath.Join(dir, "f"+string(rune('a'+i%26))+strings.Repeat("x", i/26)))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	st := s.Stats()
	if st.Dropped[event.Open] == 0 {
		t.Fatalf("no open drops counted after %d write opens into a one-page ring: %+v", n, st)
	}
	// Drain: what was queued plus what was dropped covers our opens.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	for {
		if _, err := s.Next(ctx); err != nil {
			break
		}
	}
	st = s.Stats()
	if total := st.Received[event.Open] + st.Dropped[event.Open]; total < n {
		t.Errorf("received %d + dropped %d opens < %d opened", st.Received[event.Open], st.Dropped[event.Open], n)
	}
}

func TestCloseEndsNext(t *testing.T) {
	s := openSensor(t, Config{ContainersOnly: true})
	errc := make(chan error, 1)
	go func() {
		for {
			if _, err := s.Next(context.Background()); err != nil {
				errc <- err
				return
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, io.EOF) {
		t.Errorf("Next after Close = %v, want io.EOF", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestProbe(t *testing.T) {
	if os.Getenv("CI") == "" && os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	fs, err := Probe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"btf", "ringbuf", "tracepoint", "raw_tracepoint"} {
		if !fs.Has(name) {
			t.Errorf("%s not available: the sensor runs here, so the probe is wrong", name)
		}
	}
	var buf bytes.Buffer
	if err := fs.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(fs)+1 || !strings.HasPrefix(lines[0], "FEATURE") {
		t.Errorf("table has %d lines for %d features:\n%s", len(lines), len(fs), buf.String())
	}
	for _, f := range fs {
		if !f.Available && f.Reason == "" {
			t.Errorf("%s unavailable without a reason", f.Name)
		}
	}
	t.Logf("\n%s", buf.String())
}

func TestOpenConfigErrors(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to get past the first check")
	}
	for _, cfg := range []Config{
		{RingBufferSize: 5000},
		{TrackedPaths: []string{"relative/path"}},
		{TrackedPaths: []string{"/"}},
		{TrackedNames: []string{"a/b"}},
		{TrackedNames: []string{strings.Repeat("n", 40)}},
		{Mechanism: "kprobe"},
	} {
		if s, err := Open(context.Background(), cfg); err == nil {
			s.Close()
			t.Errorf("Open(%+v) succeeded", cfg)
		}
	}
}

// TestLanguageReads: with LanguageReads, a read-only open of a file whose
// name has a language package suffix is reported once per cgroup and
// inode; other names, and every name without LanguageReads, are not.
func TestLanguageReads(t *testing.T) {
	dir := t.TempDir()
	lang := []string{"a.py", "six.pyc", "a.js", "index.mjs", "index.cjs", "rack_application.rb",
		"commons-cli-1.5.0.jar", "x.php", "Main.class", "a_rather_long_module_name.py", ".py"}
	other := []string{"py", "js", "a.pyx", "package.json", "a.jsx", "a.txt", "class", "a.phpx", "ajar", "a.pyc.bak"}
	for _, n := range append(append([]string{}, lang...), other...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	readAll := func() {
		for range 2 {
			for _, n := range append(append([]string{}, lang...), other...) {
				if _, err := os.ReadFile(filepath.Join(dir, n)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	inDir := func(ev *event.Event) bool {
		return ev.Type == event.Open && ev.File != nil && filepath.Dir(ev.File.Path) == dir
	}

	t.Run("off", func(t *testing.T) {
		s := openSensor(t, Config{})
		readAll()
		if got := collectUntil(t, s, inDir, marker(t)); len(got) != 1 {
			t.Errorf("%d open events without LanguageReads, want none: %+v", len(got)-1, got[0].File)
		}
	})

	s := openSensor(t, Config{LanguageReads: true})
	before := s.Stats().Filtered
	readAll()
	got := collectUntil(t, s, inDir, marker(t))
	got = got[:len(got)-1]
	seen := map[string]int{}
	for _, ev := range got {
		seen[filepath.Base(ev.File.Path)]++
		if ev.File.Write || ev.Proc.PID != uint32(os.Getpid()) {
			t.Errorf("language read event %+v by %d, want a read by %d", ev.File, ev.Proc.PID, os.Getpid())
		}
	}
	for _, n := range lang {
		if seen[n] != 1 {
			t.Errorf("%s: %d events, want 1", n, seen[n])
		}
		ino, dev := statID(t, filepath.Join(dir, n))
		for _, ev := range got {
			if filepath.Base(ev.File.Path) == n && (ev.File.Inode != ino || ev.File.Dev != dev) {
				t.Errorf("%s: inode %d dev %d, want %d %d", n, ev.File.Inode, ev.File.Dev, ino, dev)
			}
		}
	}
	for _, n := range other {
		if seen[n] != 0 {
			t.Errorf("%s: %d events, want none", n, seen[n])
		}
	}
	if d := s.Stats().Filtered - before; d < uint64(len(lang)) {
		t.Errorf("Stats.Filtered grew by %d, want at least %d (the repeated reads)", d, len(lang))
	}
}
