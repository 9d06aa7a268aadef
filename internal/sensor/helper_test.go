package sensor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pavesec/pave/internal/sensor/event"
)

// helperEnv selects a helper action when the test binary runs itself as a
// child process (the os/exec test pattern): the child performs one system
// call the sensor must see, from a process the test can tell apart.
const helperEnv = "PAVE_SENSOR_HELPER"

func TestMain(m *testing.M) {
	if action := os.Getenv(helperEnv); action != "" {
		if err := runHelper(action); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runHelper(action string) error {
	switch action {
	case "exit":
		return nil
	case "setuid":
		if err := syscall.Setgid(65534); err != nil {
			return err
		}
		return syscall.Setuid(65534)
	case "ns":
		// Unshare a mount and UTS namespace, then mount a tmpfs in it.
		if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_NEWUTS); err != nil {
			return err
		}
		if err := unix.Mount("none", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			return err
		}
		return unix.Mount("pave-src", os.Getenv("PAVE_MOUNT_DIR"), "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=1m")
	case "memfd":
		// Fileless exec: copy /bin/true into a memfd and exec it.
		data, err := os.ReadFile("/bin/true")
		if err != nil {
			return err
		}
		fd, err := unix.MemfdCreate("pave-fileless", 0)
		if err != nil {
			return err
		}
		if _, err := unix.Write(fd, data); err != nil {
			return err
		}
		p := "/proc/self/fd/" + strconv.Itoa(fd)
		return syscall.Exec(p, []string{"fileless", "--flag"}, os.Environ())
	}
	return fmt.Errorf("unknown helper action %q", action)
}

// helperCmd runs the test binary as a helper performing action.
func helperCmd(action string, env ...string) *exec.Cmd {
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{helperEnv + "=" + action}, env...)...)
	return cmd
}

// openSensor opens a sensor for a test, skipping when the machine cannot
// run one (not root, no BTF) unless CI is set: on CI a root runner must
// run these tests.
func openSensor(t *testing.T, cfg Config) *Sensor {
	t.Helper()
	if os.Getenv("CI") == "" {
		if os.Geteuid() != 0 {
			t.Skip("needs root")
		}
		if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
			t.Skip("no kernel BTF")
		}
	}
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// waitFor reads events until match accepts one, failing after a few
// seconds. Events from the rest of the machine are skipped.
func waitFor(t *testing.T, s *Sensor, what string, match func(*event.Event) bool) *event.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		ev, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if match(ev) {
			return ev
		}
	}
}

// collectUntil returns the events matching keep that arrive before one
// matching stop (which is returned last).
func collectUntil(t *testing.T, s *Sensor, keep, stop func(*event.Event) bool) []*event.Event {
	t.Helper()
	var out []*event.Event
	waitFor(t, s, "marker", func(ev *event.Event) bool {
		if stop(ev) {
			out = append(out, ev)
			return true
		}
		if keep(ev) {
			out = append(out, ev)
		}
		return false
	})
	return out
}

func statID(t *testing.T, p string) (ino, dev uint64) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino, st.Dev
}

// marker opens a fresh file for writing from this process; its open event
// tells a test that everything before it has been read.
func marker(t *testing.T) func(*event.Event) bool {
	t.Helper()
	p := filepath.Join(t.TempDir(), "marker")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	pid := uint32(os.Getpid())
	return func(ev *event.Event) bool {
		return ev.Type == event.Open && ev.Proc.PID == pid && ev.File.Path == p
	}
}

func isType(typ event.Type, pid int) func(*event.Event) bool {
	return func(ev *event.Event) bool { return ev.Type == typ && ev.Proc.PID == uint32(pid) }
}

func run(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("%v: %v", cmd.Args, err)
		}
		t.Fatalf("%v: %v: %s", cmd.Args, err, out)
	}
	return cmd.Process.Pid
}
