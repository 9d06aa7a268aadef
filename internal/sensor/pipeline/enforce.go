package pipeline

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/pavesec/pave/internal/sensor/event"
)

// ErrRefused is returned by KillProcess for a process it will not kill.
var ErrRefused = errors.New("refused")

// KillProcess is the userspace enforcement fallback: it sends SIGKILL to
// the event's process when the sensor's hook did not already kill it. It
// refuses host processes, pid 1 and pave itself, and it guards against pid
// reuse: it opens a pidfd first, then checks that the process still has the
// command name the event saw before signalling through that pidfd, so a pid
// recycled after the check cannot be hit. (The executable's inode is not
// compared: on overlayfs the sensor's inode and stat's differ.)
func KillProcess(ev *event.Event) error {
	pid := int(ev.Proc.PID)
	switch {
	case ev.Host || (ev.ContainerID == "" && ev.Container == nil):
		return fmt.Errorf("pid %d is not in a container: %w", pid, ErrRefused)
	case pid <= 1 || pid == os.Getpid():
		return fmt.Errorf("pid %d: %w", pid, ErrRefused)
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	defer unix.Close(fd)
	if ev.Proc.Comm != "" {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		if err != nil {
			return fmt.Errorf("pid %d: %w", pid, err)
		}
		if got := strings.TrimSuffix(string(b), "\n"); got != ev.Proc.Comm {
			return fmt.Errorf("pid %d now runs %q, not %q (pid reused or exec'd again): %w", pid, got, ev.Proc.Comm, ErrRefused)
		}
	}
	if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil {
		return fmt.Errorf("kill %d: %w", pid, err)
	}
	return nil
}
