// Package sensor is pave's eBPF runtime sensor: it loads the programs in
// internal/sensor/bpf, attaches them to the kernel's scheduler and system
// call tracepoints, and yields the ring buffer's records as event.Events
// (exec, exit, opens with write intent or of tracked paths, connect,
// accept, bind, set*id, capset, ptrace, mount, unshare, setns, memfd exec,
// writes to executables, executable file maps). Filtering and aggregation
// happen in the kernel; every record the kernel could not queue is counted
// by type (Stats). Enforce asks the kernel to SIGKILL chosen programs at
// exec. Probe reports which eBPF features this kernel offers.
//
// docs/sensor-kernel.md describes the hooks, the kernel-side filters and
// their limits.
package sensor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/pavesec/pave/internal/sensor/bpf"
	"github.com/pavesec/pave/internal/sensor/event"
)

// ErrNotSupported is wrapped by Open and Probe when the sensor cannot run
// here: not root, no kernel BTF, or a kernel lacking a required feature.
var ErrNotSupported = errors.New("sensor: not supported")

// DefaultRingBufferSize is the ring buffer's size when Config leaves it 0:
// room for about 40,000 typical records.
const DefaultRingBufferSize = 8 << 20

// DefaultTrackedPaths are the paths whose opens are reported even without
// write intent: credentials, sudo configuration, service-account tokens and
// container runtime sockets. A path matches itself and anything below it.
var DefaultTrackedPaths = []string{
	"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/sudoers.d",
	"/etc/ssh/sshd_config", "/etc/pam.d",
	"/run/secrets/kubernetes.io", "/var/run/secrets/kubernetes.io",
	"/run/docker.sock", "/var/run/docker.sock",
	"/run/containerd/containerd.sock", "/var/run/containerd/containerd.sock",
	"/run/crio/crio.sock", "/var/run/crio/crio.sock",
}

// DefaultTrackedNames are file or directory names whose files are reported
// wherever they are: SSH keys and cloud or registry credentials.
var DefaultTrackedNames = []string{
	".ssh", "id_rsa", "id_ecdsa", "id_ed25519", "id_dsa", ".aws", ".kube", ".docker",
	".git-credentials", ".netrc", ".pgpass", ".gnupg",
}

// Config says what the sensor watches.
type Config struct {
	// ContainersOnly drops host events in the kernel (counted in
	// Stats.Filtered). Host means "in the host's mount namespace".
	ContainersOnly bool
	// RingBufferSize in bytes, a power of two of at least a page;
	// 0 means DefaultRingBufferSize.
	RingBufferSize int
	// TrackedPaths replace DefaultTrackedPaths when non-nil. Each is an
	// absolute path; opens of it or of anything at most three levels
	// below it are reported. Paths are as the process sees them (inside
	// its container). Components longer than 31 bytes cannot be tracked.
	TrackedPaths []string
	// TrackedNames replace DefaultTrackedNames when non-nil: a file with
	// this name, or under a directory with this name (at most three
	// levels up), is reported wherever it lives.
	TrackedNames []string
	// LanguageReads also reports read-only opens of language package
	// files, decided in the kernel by the file name's suffix (.py .pyc
	// .js .mjs .cjs .rb .jar .php .class), once per (cgroup, inode,
	// device) while the kernel remembers it; repeats count in
	// Stats.Filtered. It lets the in-use recorder see interpreted code
	// run (pave sensor turns it on with --evidence).
	LanguageReads bool
	// Mechanism forces the exec/exit attach mechanism: "" picks the best
	// that loads (tp_btf, else raw_tp); "tp_btf" or "raw_tp".
	Mechanism string
}

// Sensor is a running sensor. Next must be called from one goroutine;
// Stats, Enforce and Close may be called from any.
type Sensor struct {
	coll      *ebpf.Collection
	links     []link.Link
	rd        *ringbuf.Reader
	boot      time.Time
	mechanism string

	// Owned by the goroutine calling Next.
	rec     ringbuf.Record
	pending []*event.Event
	exes    map[uint32]string // tgid → exe, from exec events

	mu       sync.Mutex
	received map[event.Type]uint64
	invalid  uint64
	closed   bool
}

var _ event.Source = (*Sensor)(nil)

// The kernel wakes the reader only when 1/wakeupFraction of the ring is
// full; otherwise Next finds the records when it polls, every
// pollInterval. A record therefore waits at most about pollInterval.
const (
	wakeupFraction = 16
	pollInterval   = 50 * time.Millisecond
)

// maxExes bounds the tgid → exe cache used to name ancestors.
const maxExes = 1 << 16

// Open loads and attaches the sensor. It needs root and kernel BTF; it
// mounts tracefs on /sys/kernel/tracing when it is not mounted (the system
// call tracepoints are found there).
func Open(ctx context.Context, cfg Config) (*Sensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("sensor: open: %w: needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN)", ErrNotSupported)
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		return nil, fmt.Errorf("sensor: open: %w: no kernel BTF (/sys/kernel/btf/vmlinux): %v", ErrNotSupported, err)
	}
	if err := ensureTracefs(); err != nil {
		return nil, fmt.Errorf("sensor: open: %w: %v", ErrNotSupported, err)
	}
	size := cfg.RingBufferSize
	if size == 0 {
		size = DefaultRingBufferSize
	}
	if size < os.Getpagesize() || size&(size-1) != 0 {
		return nil, fmt.Errorf("sensor: open: ring buffer size %d is not a power of two of at least a page", size)
	}
	paths, nameKeys, err := trackedKeys(cfg)
	if err != nil {
		return nil, err
	}
	hostNS, err := hostMntNS()
	if err != nil {
		return nil, fmt.Errorf("sensor: open: %w", err)
	}
	var lens uint64
	for k := range nameKeys {
		lens |= 1 << len(strings.TrimRight(string(k[:]), "\x00"))
	}

	mechs := []string{"tp_btf", "raw_tp"}
	if cfg.Mechanism != "" {
		if cfg.Mechanism != "tp_btf" && cfg.Mechanism != "raw_tp" {
			return nil, fmt.Errorf("sensor: open: unknown mechanism %q (tp_btf, raw_tp)", cfg.Mechanism)
		}
		mechs = []string{cfg.Mechanism}
	}
	var coll *ebpf.Collection
	var mech string
	var loadErrs []error
	for _, m := range mechs {
		coll, err = load(uint32(size), hostNS, cfg, lens, m)
		if err == nil {
			mech = m
			break
		}
		loadErrs = append(loadErrs, fmt.Errorf("%s: %w", m, err))
	}
	if coll == nil {
		return nil, fmt.Errorf("sensor: open: load: %w", errors.Join(loadErrs...))
	}
	s := &Sensor{coll: coll, mechanism: mech, exes: map[uint32]string{}, received: map[event.Type]uint64{}}
	if err := s.fillTracked(paths, nameKeys); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.attach(); err != nil {
		s.Close()
		return nil, err
	}
	s.rd, err = ringbuf.NewReader(coll.Maps["events"])
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sensor: open: ring buffer reader: %w", err)
	}
	s.boot, err = bootTime()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sensor: open: %w", err)
	}
	return s, nil
}

// load loads the collection with the exec/exit programs of one mechanism.
func load(size, hostNS uint32, cfg Config, lens uint64, mech string) (*ebpf.Collection, error) {
	spec, err := bpf.LoadSensor()
	if err != nil {
		return nil, err
	}
	spec.Maps["events"].MaxEntries = size
	vars := map[string]any{
		"cfg_host_mntns": hostNS, "cfg_containers_only": b2u(cfg.ContainersOnly),
		"cfg_lang_reads": b2u(cfg.LanguageReads), "cfg_name_lens": lens,
		"cfg_wakeup_bytes": uint64(size / wakeupFraction),
	}
	for name, v := range vars {
		if err := spec.Variables[name].Set(v); err != nil {
			return nil, fmt.Errorf("set %s: %w", name, err)
		}
	}
	drop := "_raw"
	if mech == "raw_tp" {
		drop = "_btf"
	}
	for name := range spec.Programs {
		if strings.HasSuffix(name, drop) {
			delete(spec.Programs, name)
		}
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("%w (verifier: %s)", err, lastLines(ve.Log, 5))
		}
		return nil, err
	}
	return coll, nil
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func lastLines(log []string, n int) string {
	if len(log) > n {
		log = log[len(log)-n:]
	}
	return strings.Join(log, " | ")
}

// attach links every loaded program to its hook. A missing system call
// tracepoint (an old kernel without openat2) is skipped; any other failure
// is an error.
func (s *Sensor) attach() error {
	for name, prog := range s.coll.Programs {
		var l link.Link
		var err error
		switch {
		case strings.HasSuffix(name, "_btf"):
			l, err = link.AttachTracing(link.TracingOptions{Program: prog, AttachType: ebpf.AttachTraceRawTp})
		case strings.HasSuffix(name, "_raw"):
			tp := "sched_process_exec"
			if strings.HasPrefix(name, "exit") {
				tp = "sched_process_exit"
			}
			l, err = link.AttachRawTracepoint(link.RawTracepointOptions{Name: tp, Program: prog})
		case strings.HasPrefix(name, "sys_"):
			l, err = link.Tracepoint("syscalls", name, prog, nil)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
		default:
			return fmt.Errorf("sensor: attach: unknown program %s", name)
		}
		if err != nil {
			return fmt.Errorf("sensor: attach %s: %w", name, err)
		}
		s.links = append(s.links, l)
	}
	return nil
}

// Mechanism names how exec and exit are hooked: "tp_btf" or "raw_tp".
func (s *Sensor) Mechanism() string { return s.mechanism }

// Next returns the next event. It blocks until one arrives, ctx ends or
// the sensor is closed (io.EOF).
func (s *Sensor) Next(ctx context.Context) (*event.Event, error) {
	for {
		if len(s.pending) > 0 {
			ev := s.pending[0]
			s.pending[0] = nil
			s.pending = s.pending[1:]
			return ev, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		deadline := time.Now().Add(pollInterval)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		s.rd.SetDeadline(deadline)
		err := s.rd.ReadInto(&s.rec)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			continue
		case errors.Is(err, ringbuf.ErrClosed):
			return nil, io.EOF
		case err != nil:
			return nil, fmt.Errorf("sensor: read: %w", err)
		}
		evs, err := decode(s.rec.RawSample, s.boot)
		s.mu.Lock()
		if err != nil {
			s.invalid++
		}
		for _, ev := range evs {
			s.received[ev.Type]++
		}
		s.mu.Unlock()
		for _, ev := range evs {
			s.track(ev)
		}
		s.pending = append(s.pending, evs...)
	}
}

// track keeps the tgid → exe cache and names ancestors from it, falling
// back to /proc for processes that started before the sensor.
func (s *Sensor) track(ev *event.Event) {
	switch ev.Type {
	case event.Exec:
		if len(s.exes) >= maxExes {
			clear(s.exes)
		}
		s.exes[ev.Proc.PID] = ev.Proc.Exe
		for i := range ev.Proc.Ancestors {
			a := &ev.Proc.Ancestors[i]
			exe, ok := s.exes[a.PID]
			if !ok {
				exe, _ = os.Readlink(fmt.Sprintf("/proc/%d/exe", a.PID))
				s.exes[a.PID] = exe
			}
			a.Exe = exe
		}
	case event.Exit:
		delete(s.exes, ev.Proc.PID)
	}
}

// invalidType is the Stats.Dropped key for records that failed to decode
// (none are expected: the kernel writes them).
const invalidType event.Type = "invalid"

// Stats reports what Next delivered, what the kernel dropped because the
// ring buffer was full (by type), and what it filtered on purpose.
func (s *Sensor) Stats() event.Stats {
	st := event.Stats{Received: map[event.Type]uint64{}, Dropped: map[event.Type]uint64{}}
	s.mu.Lock()
	for t, n := range s.received {
		st.Received[t] = n
	}
	if s.invalid > 0 {
		st.Dropped[invalidType] = s.invalid
	}
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return st
	}
	m := s.coll.Maps["counters"]
	var per []uint64
	for i := uint32(0); i < tMax; i++ {
		if err := m.Lookup(i, &per); err != nil {
			continue
		}
		var sum uint64
		for _, v := range per {
			sum += v
		}
		if i == 0 {
			st.Filtered = sum
		} else if sum > 0 {
			st.Dropped[kernelTypes[i]] += sum
		}
	}
	return st
}

// Close detaches the programs and frees the kernel objects; a blocked Next
// returns io.EOF.
func (s *Sensor) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	var errs []error
	for _, l := range s.links {
		errs = append(errs, l.Close())
	}
	if s.rd != nil {
		errs = append(errs, s.rd.Close())
	}
	s.coll.Close()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sensor: close: %w", err)
	}
	return nil
}

// ensureTracefs mounts tracefs when the system call tracepoints are not
// visible.
func ensureTracefs() error {
	for _, dir := range []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"} {
		if _, err := os.Stat(dir + "/events/syscalls"); err == nil {
			return nil
		}
	}
	if err := syscall.Mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, ""); err != nil {
		return fmt.Errorf("mount tracefs on /sys/kernel/tracing: %w", err)
	}
	if _, err := os.Stat("/sys/kernel/tracing/events/syscalls"); err != nil {
		return fmt.Errorf("no system call tracepoints (CONFIG_FTRACE_SYSCALLS): %w", err)
	}
	return nil
}

// hostMntNS is the inode of the host's mount namespace: the one pid 1 is
// in, or the sensor's own when pid 1's is not readable (a sandbox that
// denies ptrace access to pid 1).
func hostMntNS() (uint32, error) {
	var st syscall.Stat_t
	err := syscall.Stat("/proc/1/ns/mnt", &st)
	if err != nil {
		err = syscall.Stat("/proc/self/ns/mnt", &st)
	}
	if err != nil {
		return 0, fmt.Errorf("host mount namespace: %w", err)
	}
	return uint32(st.Ino), nil
}

// bootTime is the wall time at which CLOCK_BOOTTIME (bpf_ktime_get_boot_ns)
// was zero.
func bootTime() (time.Time, error) {
	var ts unix.Timespec
	now := time.Now()
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return time.Time{}, fmt.Errorf("clock_gettime(CLOCK_BOOTTIME): %w", err)
	}
	return now.Add(-time.Duration(ts.Nano())), nil
}

// ProgramStat is the kernel's accounting for one attached program.
type ProgramStat struct {
	Runs    uint64        `json:"runs"`
	Runtime time.Duration `json:"runtimeNs"`
}

// ProgramStats reports how often each program ran and for how long. The
// kernel counts run time only while statistics are enabled (EnableStats or
// sysctl kernel.bpf_stats_enabled=1); Runs and Runtime are 0 otherwise.
func (s *Sensor) ProgramStats() (map[string]ProgramStat, error) {
	out := map[string]ProgramStat{}
	for name, p := range s.coll.Programs {
		st, err := p.Stats()
		if err != nil {
			return nil, fmt.Errorf("sensor: program stats %s: %w", name, err)
		}
		out[name] = ProgramStat{Runs: st.RunCount, Runtime: st.Runtime}
	}
	return out, nil
}

// EnableStats turns on the kernel's per-program run-time accounting
// (which itself costs a little per run) until the returned closer is
// closed.
func EnableStats() (io.Closer, error) {
	c, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		return nil, fmt.Errorf("sensor: enable stats: %w", err)
	}
	return c, nil
}
