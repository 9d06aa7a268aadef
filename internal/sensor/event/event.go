// Package event defines what pave's runtime sensor reports: one Event per
// thing a process did (exec, exit, open, connect, setuid, ptrace, mount...),
// with the process, the file or network peer involved, and the container it
// ran in. The eBPF decoder produces Events; enrichment fills Container;
// rules, the baseline and the in-use recorder consume them. Events are
// written as JSON lines (one object per line) and read back the same way.
//
// It imports only the standard library and internal/finding.
package event

import (
	"context"
	"time"

	"github.com/pavesec/pave/internal/finding"
)

// Type says what happened. The strings are stable: they are the JSON value
// of Event.Type, the evt.type a Falco-format rule compares against where the
// names coincide with syscall names, and the keys of the per-type metrics.
type Type string

// The event types. Most are named after the system call that caused them.
const (
	Exec      Type = "execve"     // a new program image; Proc is the new image
	Exit      Type = "exit"       // the thread-group leader exited
	Open      Type = "openat"     // a file opened with write intent, or a sensitive or tracked path
	Connect   Type = "connect"    // an outgoing connection attempt
	Accept    Type = "accept"     // an accepted incoming connection
	Bind      Type = "bind"       // a socket bound to a local address
	Setuid    Type = "setuid"     // setuid/setreuid/setresuid
	Setgid    Type = "setgid"     // setgid/setregid/setresgid
	Capset    Type = "capset"     // capabilities changed
	Ptrace    Type = "ptrace"     // ptrace attach/seize/poke
	Mount     Type = "mount"      // mount or fsmount/move_mount
	Unshare   Type = "unshare"    // new namespaces for the caller
	Setns     Type = "setns"      // joined another namespace
	MemfdExec Type = "memfd_exec" // an exec whose file lives in a memfd (fileless)
	WriteExec Type = "write_exec" // a write to a file that is an executable (ELF or script with exec bits)
	Mmap      Type = "mmap"       // a file mapped executable (shared library loaded)
)

// Process is the acting process, as seen at the moment of the event.
type Process struct {
	PID  uint32 `json:"pid"`  // thread-group id, in the host's pid namespace
	TID  uint32 `json:"tid"`  // thread id
	PPID uint32 `json:"ppid"` // parent's tgid
	// VPID is the pid inside the process's own pid namespace (1 for a
	// container's init).
	VPID uint32 `json:"vpid,omitempty"`
	UID  uint32 `json:"uid"`
	GID  uint32 `json:"gid"`
	EUID uint32 `json:"euid"`
	// LoginUID is the audit login uid, 4294967295 when unset.
	LoginUID uint32 `json:"loginuid,omitempty"`
	Comm     string `json:"comm"`
	// Exe is the executable's path as the exec saw it, relative to the
	// process's root (inside the container). Busybox-style multi-call
	// binaries may show /proc/self/exe here: identify the file by
	// ExeInode and ExeDev, not by path.
	Exe      string   `json:"exe,omitempty"`
	ExeInode uint64   `json:"exeInode,omitempty"`
	ExeDev   uint64   `json:"exeDev,omitempty"`
	Args     []string `json:"args,omitempty"`
	// ArgsTruncated is set when Args was cut by the kernel-side budget.
	ArgsTruncated bool   `json:"argsTruncated,omitempty"`
	Cwd           string `json:"cwd,omitempty"`
	// CapEffective and CapPermitted are the capability bitmasks.
	CapEffective uint64 `json:"capEffective"`
	CapPermitted uint64 `json:"capPermitted,omitempty"`
	// TTY is set when the process has a controlling terminal.
	TTY bool `json:"tty,omitempty"`
	// Ancestors are the parent chain, nearest first, as far as the sensor
	// knows it (bounded).
	Ancestors []Ancestor `json:"ancestors,omitempty"`
}

// Ancestor is one link of a parent chain.
type Ancestor struct {
	PID  uint32 `json:"pid"`
	Comm string `json:"comm"`
	Exe  string `json:"exe,omitempty"`
}

// File is the file an event touched.
type File struct {
	Path  string `json:"path"`
	Inode uint64 `json:"inode,omitempty"`
	Dev   uint64 `json:"dev,omitempty"`
	// Flags are the open(2) flags (O_WRONLY, O_CREAT...).
	Flags uint32 `json:"flags,omitempty"`
	// Write is set when the file was opened with write intent.
	Write bool `json:"write,omitempty"`
}

// Net is the socket side of connect, accept and bind.
type Net struct {
	Family   string `json:"family"`   // "ipv4", "ipv6", "unix"
	Protocol string `json:"protocol"` // "tcp", "udp", ""
	SrcAddr  string `json:"srcAddr,omitempty"`
	SrcPort  uint16 `json:"srcPort,omitempty"`
	DstAddr  string `json:"dstAddr,omitempty"` // for unix sockets, the path
	DstPort  uint16 `json:"dstPort,omitempty"`
}

// Change carries the argument of credential, capability, ptrace and
// namespace events.
type Change struct {
	// NewUID/NewGID for setuid/setgid (the effective id asked for).
	NewUID *uint32 `json:"newUid,omitempty"`
	NewGID *uint32 `json:"newGid,omitempty"`
	// CapEffective after capset.
	CapEffective *uint64 `json:"capEffective,omitempty"`
	// TargetPID for ptrace; Request is the ptrace request name.
	TargetPID uint32 `json:"targetPid,omitempty"`
	Request   string `json:"request,omitempty"`
	// Flags are the clone/unshare/setns namespace flags by name
	// ("CLONE_NEWNS", ...), or the mount flags.
	Flags []string `json:"flags,omitempty"`
	// Source and FSType for mount.
	Source string `json:"source,omitempty"`
	FSType string `json:"fstype,omitempty"`
}

// Container is what enrichment knows about the container an event ran in.
type Container struct {
	ID          string            `json:"id"`
	Name        string            `json:"name,omitempty"`
	Runtime     string            `json:"runtime,omitempty"` // "docker", "containerd", "cri-o"
	Image       string            `json:"image,omitempty"`   // the reference the container was started from
	ImageID     string            `json:"imageId,omitempty"` // the config digest, sha256:...
	ImageDigest string            `json:"imageDigest,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Privileged  bool              `json:"privileged,omitempty"`
	// PodName and PodNamespace come from the Kubernetes labels when present.
	PodName      string `json:"podName,omitempty"`
	PodNamespace string `json:"podNamespace,omitempty"`
}

// Event is one observation. Exactly one of File, Net and Change is usually
// set, according to Type.
type Event struct {
	Time time.Time `json:"time"`
	Type Type      `json:"type"`
	// CgroupID is the inode of the cgroup v2 directory the thread ran in
	// (bpf_get_current_cgroup_id).
	CgroupID uint64 `json:"cgroupId"`
	// Host is set when the event is not from a container.
	Host bool `json:"host,omitempty"`
	// Container is filled by enrichment; nil on the host or when the
	// container could not be resolved (then ContainerID may still be set
	// from the cgroup path).
	Container   *Container `json:"container,omitempty"`
	ContainerID string     `json:"containerId,omitempty"`
	Proc        Process    `json:"proc"`
	File        *File      `json:"file,omitempty"`
	Net         *Net       `json:"net,omitempty"`
	Change      *Change    `json:"change,omitempty"`
	// Ret is the system call's return value where the sensor waited for
	// it (negative errno on failure).
	Ret int64 `json:"ret,omitempty"`
	// Killed is set when an enforcing rule had the kernel signal the
	// process from the hook.
	Killed bool `json:"killed,omitempty"`
}

// Enricher fills in ev.Container (and ev.ContainerID, ev.Host) from
// ev.CgroupID. It must be cheap on the hot path: cache by cgroup, resolve
// lazily, and never block an event for long on a slow runtime API.
type Enricher interface {
	Enrich(ctx context.Context, ev *Event)
}

// Analyzer turns events into findings: the rule engine, the drift detector.
// Analyze is called from one goroutine, in event order.
type Analyzer interface {
	Analyze(ev *Event) []finding.Finding
}

// Stats are a source's counters since it started. Nothing is lost silently:
// every event the kernel could not queue is counted in Dropped by type.
type Stats struct {
	Received map[Type]uint64 `json:"received"`
	Dropped  map[Type]uint64 `json:"dropped"`
	// Filtered counts events the kernel side discarded on purpose (host
	// events when only containers are watched, duplicates it aggregated).
	Filtered uint64 `json:"filtered,omitempty"`
}

// Source yields events: the eBPF sensor, or a recorded JSON-lines file
// replayed. Next blocks until an event arrives, ctx ends (ctx.Err()) or the
// source is closed or exhausted (io.EOF).
type Source interface {
	Next(ctx context.Context) (*Event, error)
	Stats() Stats
	Close() error
}
