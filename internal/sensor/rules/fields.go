package rules

import (
	"net/netip"
	"path"
	"strconv"
	"strings"

	"github.com/pavesec/pave/internal/sensor/event"
)

// evctx is one event being evaluated, with values several rules need
// computed once.
type evctx struct {
	ev *event.Event
	// proc is the acting process: &ev.Proc, or scratch when the process
	// table filled in what the event lacks (arguments, ancestors).
	proc    *event.Process
	scratch event.Process
	procs   procTable // the engine's process table (nil outside Analyze)
	bit     typeSet
	num     uint64 // evt.num: the engine's event counter, from 1

	cmdDone       bool
	args, cmdline string
	anames        []string // proc.aname, built on first use
	anamesDone    bool
	addrBuf       [2]netip.Addr // scratch for network fields
	strBuf        [2]string
}

func (c *evctx) reset(ev *event.Event, num uint64) {
	*c = evctx{ev: ev, proc: &ev.Proc, bit: typeBit(ev.Type), num: num, anames: c.anames[:0], procs: c.procs}
}

func (c *evctx) cmd() {
	if c.cmdDone {
		return
	}
	c.cmdDone = true
	p := c.proc
	if len(p.Args) > 1 {
		c.args = strings.Join(p.Args[1:], " ")
	}
	c.cmdline = procName(p)
	if c.args != "" {
		c.cmdline += " " + c.args
	}
}

// kind is a field's value type.
type kind uint8

const (
	kStr   kind = iota // strings, booleans ("true"/"false") and chars
	kNum               // integers
	kMulti             // several strings; a comparison holds when one value satisfies it
	kAddr              // IP addresses, compared with addresses or CIDR networks
)

// fieldDef is how to read one field from an event. Exactly one reader is
// set, according to kind. ok is false when the event has no value for the
// field: comparisons on it are false, as in Falco.
type fieldDef struct {
	kind  kind
	str   func(c *evctx) (string, bool)
	num   func(c *evctx) (int64, bool)
	multi func(c *evctx) ([]string, bool)
	addrs func(c *evctx) ([]netip.Addr, bool)
	// literal, when set, vets a comparison operand: a non-empty answer
	// says why the engine cannot answer comparisons against it.
	literal func(v string) string
}

// render formats the field's value for an output string.
func (f fieldDef) render(c *evctx) (string, bool) {
	switch f.kind {
	case kNum:
		n, ok := f.num(c)
		return strconv.FormatInt(n, 10), ok
	case kMulti:
		vs, ok := f.multi(c)
		return strings.Join(vs, ","), ok
	case kAddr:
		as, ok := f.addrs(c)
		if !ok || len(as) == 0 {
			return "", false
		}
		return as[0].String(), true
	}
	return f.str(c)
}

// unsupportedError says a field cannot be provided; the rule using it is
// disabled (or, where it only narrows an exception, the comparison is
// taken as false).
type unsupportedError struct{ field, why string }

func (e *unsupportedError) Error() string { return e.field + ": " + e.why }

func unsupported(field, why string) error { return &unsupportedError{field, why} }

func strField(f func(c *evctx) (string, bool)) fieldDef { return fieldDef{kind: kStr, str: f} }
func numField(f func(c *evctx) (int64, bool)) fieldDef  { return fieldDef{kind: kNum, num: f} }

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func nonEmpty(s string) (string, bool) { return s, s != "" }

// procName is proc.name: the command name, else the executable's base name.
func procName(p *event.Process) string {
	if p.Comm != "" {
		return p.Comm
	}
	if p.Exe != "" {
		return path.Base(p.Exe)
	}
	return ""
}

// fileOf is the file of a file event (open, write to an executable,
// executable mapping).
func fileOf(c *evctx) *event.File {
	switch c.ev.Type {
	case event.Open, event.WriteExec, event.Mmap:
		return c.ev.File
	}
	return nil
}

// lookupField returns the reader for a field, or an *unsupportedError.
func lookupField(name, arg string, hasArg bool) (fieldDef, error) {
	if hasArg {
		return lookupArgField(name, arg)
	}
	if strings.HasPrefix(name, "evt.arg.") {
		return argField(name, strings.TrimPrefix(name, "evt.arg."))
	}
	if f, ok := eventFields[name]; ok {
		return f, nil
	}
	if f, ok := procFields[name]; ok {
		return f, nil
	}
	if f, ok := fdFields[name]; ok {
		return f, nil
	}
	if f, ok := containerFields[name]; ok {
		return f, nil
	}
	if why, ok := knownUnsupported[name]; ok {
		return fieldDef{}, unsupported(name, why)
	}
	for prefix, why := range unsupportedPrefixes {
		if strings.HasPrefix(name, prefix) {
			return fieldDef{}, unsupported(name, why)
		}
	}
	return fieldDef{}, unsupported(name, "unknown field")
}

var eventFields = map[string]fieldDef{
	"evt.type": strField(func(c *evctx) (string, bool) { return falcoName(c.ev.Type), true }),
	"evt.dir": {kind: kStr, str: func(*evctx) (string, bool) { return "<", true },
		literal: func(v string) string {
			if v == ">" {
				return "enter events (evt.dir = >) are not observed: the sensor reports completed system calls"
			}
			return ""
		}},
	"evt.num":    numField(func(c *evctx) (int64, bool) { return int64(c.num), true }),
	"evt.rawres": numField(func(c *evctx) (int64, bool) { return c.ev.Ret, true }),
	"evt.res":    strField(func(c *evctx) (string, bool) { return resString(c.ev.Ret), true }),
	"evt.failed": strField(func(c *evctx) (string, bool) { return boolStr(c.ev.Ret < 0), true }),
	"evt.is_open_write": strField(func(c *evctx) (string, bool) {
		f := openFile(c)
		return boolStr(f != nil && (f.Write || f.Flags&3 != 0)), true
	}),
	"evt.is_open_read": strField(func(c *evctx) (string, bool) {
		f := openFile(c)
		return boolStr(f != nil && (f.Flags&3 == 0 && !f.Write || f.Flags&3 == 2)), true
	}),
	"evt.args": strField(func(c *evctx) (string, bool) { return renderArgs(c), true }),
	"evt.time": strField(func(c *evctx) (string, bool) {
		return c.ev.Time.UTC().Format("15:04:05.000000000"), !c.ev.Time.IsZero()
	}),
	"evt.datetime": strField(func(c *evctx) (string, bool) {
		return c.ev.Time.UTC().Format("2006-01-02 15:04:05.000000000"), !c.ev.Time.IsZero()
	}),
	"evt.is_open_exec": {kind: kStr, str: func(*evctx) (string, bool) { return "false", true },
		literal: func(v string) string {
			if v == "true" {
				return "opens for execution are not observed"
			}
			return ""
		}},
}

// openFile is the file of an open-like event.
func openFile(c *evctx) *event.File {
	if c.ev.Type != event.Open {
		return nil
	}
	return c.ev.File
}

var procFields = map[string]fieldDef{
	"proc.name":    strField(func(c *evctx) (string, bool) { return nonEmpty(procName(c.proc)) }),
	"proc.exepath": strField(func(c *evctx) (string, bool) { return nonEmpty(c.proc.Exe) }),
	"proc.exe": strField(func(c *evctx) (string, bool) {
		if len(c.proc.Args) > 0 && c.proc.Args[0] != "" {
			return c.proc.Args[0], true
		}
		return nonEmpty(c.proc.Exe)
	}),
	"proc.cmdline": strField(func(c *evctx) (string, bool) { c.cmd(); return nonEmpty(c.cmdline) }),
	"proc.args":    strField(func(c *evctx) (string, bool) { c.cmd(); return c.args, true }),
	"proc.pid":     numField(func(c *evctx) (int64, bool) { return int64(c.proc.PID), c.proc.PID != 0 }),
	"proc.vpid":    numField(func(c *evctx) (int64, bool) { return int64(c.proc.VPID), c.proc.VPID != 0 }),
	"proc.ppid":    numField(func(c *evctx) (int64, bool) { return int64(c.proc.PPID), c.proc.PPID != 0 }),
	"thread.tid":   numField(func(c *evctx) (int64, bool) { return int64(c.proc.TID), c.proc.TID != 0 }),
	"proc.cwd":     strField(func(c *evctx) (string, bool) { return nonEmpty(c.proc.Cwd) }),
	"proc.tty": numField(func(c *evctx) (int64, bool) {
		if c.proc.TTY {
			return 1, true
		}
		return 0, true
	}),
	"proc.pname": strField(func(c *evctx) (string, bool) {
		if a := c.proc.Ancestors; len(a) > 0 {
			return nonEmpty(ancestorName(a[0]))
		}
		return "", false
	}),
	"proc.pcmdline": strField(parentCmdline),
	"proc.pexepath": strField(parentExe),
	"proc.pexe":     strField(parentExe),
	"proc.aname": {kind: kMulti, multi: func(c *evctx) ([]string, bool) {
		a := c.proc.Ancestors
		if len(a) == 0 {
			return nil, false
		}
		if !c.anamesDone {
			c.anamesDone = true
			for i := range a {
				c.anames = append(c.anames, ancestorName(a[i]))
			}
		}
		return c.anames, true
	}},
	"proc.is_exe_from_memfd": strField(func(c *evctx) (string, bool) { return boolStr(fromMemfd(c.ev)), true }),
	"thread.cap_effective":   strField(func(c *evctx) (string, bool) { return capNames(c.proc.CapEffective), true }),
	"thread.cap_permitted": strField(func(c *evctx) (string, bool) {
		return capNames(c.proc.CapPermitted), c.proc.CapPermitted != 0 || c.proc.CapEffective == 0
	}),
	"user.uid":      numField(func(c *evctx) (int64, bool) { return int64(c.proc.EUID), true }),
	"user.name":     {kind: kStr, str: userName, literal: userLiteral},
	"user.loginuid": numField(func(c *evctx) (int64, bool) { return int64(int32(c.proc.LoginUID)), true }),
	"group.gid":     numField(func(c *evctx) (int64, bool) { return int64(c.proc.GID), true }),
}

func ancestorName(a event.Ancestor) string {
	if a.Comm != "" {
		return a.Comm
	}
	if a.Exe != "" {
		return path.Base(a.Exe)
	}
	return ""
}

// parentCmdline is the parent's command line, known when the sensor saw
// the parent's exec (the process table holds it).
func parentCmdline(c *evctx) (string, bool) {
	a := c.proc.Ancestors
	if len(a) == 0 {
		return "", false
	}
	in, ok := c.procs[a[0].PID]
	if !ok || (a[0].Comm != "" && in.comm != a[0].Comm) {
		return "", false
	}
	s := in.comm
	if len(in.args) > 1 {
		s += " " + strings.Join(in.args[1:], " ")
	}
	return s, true
}

func parentExe(c *evctx) (string, bool) {
	if a := c.proc.Ancestors; len(a) > 0 {
		return nonEmpty(a[0].Exe)
	}
	return "", false
}

// fromMemfd reports a fileless exec: the sensor's memfd_exec type, or an
// executable path naming a memfd.
func fromMemfd(ev *event.Event) bool {
	if ev.Type == event.MemfdExec {
		return true
	}
	if ev.Type != event.Exec {
		return false
	}
	exe := strings.TrimPrefix(ev.Proc.Exe, "/")
	return strings.HasPrefix(exe, "memfd:")
}

func userName(c *evctx) (string, bool) {
	if c.proc.EUID == 0 {
		return "root", true
	}
	return strconv.FormatUint(uint64(c.proc.EUID), 10), true
}

func userLiteral(v string) string {
	if v == "root" || v == "" || v == "<NA>" || v == "N/A" {
		return ""
	}
	if _, err := strconv.ParseUint(v, 10, 32); err == nil {
		return ""
	}
	return "user names other than root are not known (the sensor reads no /etc/passwd)"
}

// resString is evt.res: SUCCESS, or the errno's name.
func resString(ret int64) string {
	if ret >= 0 {
		return "SUCCESS"
	}
	if n, ok := errnoNames[-ret]; ok {
		return n
	}
	return "E" + strconv.FormatInt(-ret, 10)
}

var errnoNames = map[int64]string{
	1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG",
	8: "ENOEXEC", 9: "EBADF", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT",
	16: "EBUSY", 17: "EEXIST", 18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR",
	22: "EINVAL", 23: "ENFILE", 24: "EMFILE", 26: "ETXTBSY", 27: "EFBIG", 28: "ENOSPC",
	30: "EROFS", 36: "ENAMETOOLONG", 38: "ENOSYS", 40: "ELOOP", 95: "EOPNOTSUPP",
	98: "EADDRINUSE", 99: "EADDRNOTAVAIL", 101: "ENETUNREACH", 104: "ECONNRESET",
	110: "ETIMEDOUT", 111: "ECONNREFUSED", 113: "EHOSTUNREACH", 115: "EINPROGRESS",
}

// capNames renders a capability mask as Falco does: names, space-separated.
func capNames(mask uint64) string {
	var b strings.Builder
	for i, n := range capabilityNames {
		if mask&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(n)
		}
	}
	return b.String()
}

var capabilityNames = [...]string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// lookupArgField handles fields written with an [argument].
func lookupArgField(name, arg string) (fieldDef, error) {
	switch name {
	case "proc.aname", "proc.aexepath":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 || n > 64 {
			return fieldDef{}, unsupported(name+"["+arg+"]", "the argument must be an ancestor level 0-64")
		}
		exe := name == "proc.aexepath"
		return strField(func(c *evctx) (string, bool) {
			p := c.proc
			if n == 0 {
				if exe {
					return nonEmpty(p.Exe)
				}
				return nonEmpty(procName(p))
			}
			if n > len(p.Ancestors) {
				return "", false
			}
			if exe {
				return nonEmpty(p.Ancestors[n-1].Exe)
			}
			return nonEmpty(ancestorName(p.Ancestors[n-1]))
		}), nil
	case "evt.arg":
		n, err := strconv.Atoi(arg)
		if err != nil {
			return argField("evt.arg["+arg+"]", arg)
		}
		if n < 0 || n > 16 {
			return fieldDef{}, unsupported("evt.arg["+arg+"]", "argument index out of range")
		}
		return strField(func(c *evctx) (string, bool) {
			names := positionalArgs[c.ev.Type]
			if n >= len(names) {
				return "", false
			}
			return argValue(c, names[n])
		}), nil
	}
	if why, ok := knownUnsupported[name]; ok {
		return fieldDef{}, unsupported(name, why)
	}
	for prefix, why := range unsupportedPrefixes {
		if strings.HasPrefix(name, prefix) {
			return fieldDef{}, unsupported(name, why)
		}
	}
	return fieldDef{}, unsupported(name+"["+arg+"]", "unknown field")
}

// knownUnsupported are Falco fields the sensor's events cannot answer.
var knownUnsupported = map[string]string{
	"proc.sname":                             "session leaders are not tracked",
	"proc.duration":                          "process start times are not tracked",
	"proc.ppid.duration":                     "process start times are not tracked",
	"proc.env":                               "the environment is not captured",
	"proc.is_exe_upper_layer":                "overlay layers of executables are not tracked",
	"proc.is_exe_writable":                   "executable writability is not tracked",
	"proc.is_vpgid_leader":                   "process groups are not tracked",
	"proc.vpgid":                             "process groups are not tracked",
	"proc.vpgid.name":                        "process groups are not tracked",
	"proc.vpgid.exe":                         "process groups are not tracked",
	"proc.aexe":                              "ancestors' argv[0] is not recorded (proc.aexepath is)",
	"proc.exe_ino":                           "executable inode times are not tracked",
	"proc.exe_ino.mtime":                     "executable inode times are not tracked",
	"proc.exe_ino.ctime":                     "executable inode times are not tracked",
	"proc.exe_ino.ctime_duration_proc_start": "executable inode times are not tracked",
	"proc.stdin.type":                        "file descriptors other than the event's are not tracked",
	"proc.stdout.type":                       "file descriptors other than the event's are not tracked",
	"fd.nameraw":                             "the path as passed to the system call is not recorded",
	"fd.name_changed":                        "renames are not observed",
	"fd.connected":                           "socket state is not tracked",
	"fd.types":                               "file descriptor tables are not tracked",
	"fd.sip.name":                            "peer addresses are not resolved to names",
	"fd.cip.name":                            "peer addresses are not resolved to names",
	"fd.rip.name":                            "peer addresses are not resolved to names",
	"fd.lip.name":                            "peer addresses are not resolved to names",
	"evt.buffer":                             "read and write buffers are not captured",
	"evt.hostname":                           "the host name is not part of events",
	"user.loginname":                         "user names are not known",
	"user.homedir":                           "user home directories are not known",
	"user.shell":                             "user shells are not known",
	"group.name":                             "group names are not known",
	"container.start_ts":                     "container start times are not known",
	"container.duration":                     "container start times are not known",
	"container.mounts":                       "container mounts are not known",
	"container.mount.dest":                   "container mounts are not known",
	"container.mount.source":                 "container mounts are not known",
	"container.healthcheck":                  "container health checks are not known",
	"container.liveness_probe":               "container probes are not known",
	"container.readiness_probe":              "container probes are not known",
}

var unsupportedPrefixes = map[string]string{
	"k8s.pod.label":  "Kubernetes labels are not exposed as fields",
	"k8s.rc.":        "Kubernetes controllers are not known",
	"k8s.rs.":        "Kubernetes controllers are not known",
	"k8s.svc.":       "Kubernetes services are not known",
	"k8s.deployment": "Kubernetes controllers are not known",
	"ka.":            "Kubernetes audit events are not handled by the syscall sensor",
	"jevt.":          "plugin event sources are not handled",
	"fs.path.":       "fs.path fields are not supported",
	"fdlist.":        "fd lists are not supported",
}
