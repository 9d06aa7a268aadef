package rules

import (
	"net/netip"
	"path"
	"strconv"
	"strings"

	"github.com/pavesec/pave/internal/sensor/event"
)

// Network ends. For connect, accept and bind the sensor's Net.Src is the
// local end and Net.Dst the remote one. The client is the local end of a
// connect and the remote end of an accept; the server the other way round.

type end struct {
	addr string
	port uint16
}

func netOf(c *evctx) *event.Net {
	switch c.ev.Type {
	case event.Connect, event.Accept, event.Bind:
		return c.ev.Net
	}
	return nil
}

func localEnd(n *event.Net) end  { return end{n.SrcAddr, n.SrcPort} }
func remoteEnd(n *event.Net) end { return end{n.DstAddr, n.DstPort} }

func serverEnd(c *evctx) (end, bool) {
	n := netOf(c)
	if n == nil || n.Family == "unix" {
		return end{}, false
	}
	if c.ev.Type == event.Connect {
		return remoteEnd(n), true
	}
	return localEnd(n), true
}

func clientEnd(c *evctx) (end, bool) {
	n := netOf(c)
	if n == nil || n.Family == "unix" {
		return end{}, false
	}
	switch c.ev.Type {
	case event.Connect:
		return localEnd(n), true
	case event.Accept:
		return remoteEnd(n), true
	}
	return end{}, false
}

func inetEnd(local bool) func(c *evctx) (end, bool) {
	return func(c *evctx) (end, bool) {
		n := netOf(c)
		if n == nil || n.Family == "unix" {
			return end{}, false
		}
		if local {
			return localEnd(n), true
		}
		if c.ev.Type == event.Bind {
			return end{}, false
		}
		return remoteEnd(n), true
	}
}

func ipOf(get func(c *evctx) (end, bool)) fieldDef {
	return strField(func(c *evctx) (string, bool) {
		e, ok := get(c)
		return e.addr, ok && e.addr != ""
	})
}

func portOf(get func(c *evctx) (end, bool)) fieldDef {
	return numField(func(c *evctx) (int64, bool) {
		e, ok := get(c)
		return int64(e.port), ok && (e.addr != "" || e.port != 0)
	})
}

func netsOf(gets ...func(c *evctx) (end, bool)) fieldDef {
	return fieldDef{kind: kAddr, addrs: func(c *evctx) ([]netip.Addr, bool) {
		out := c.addrBuf[:0]
		for _, g := range gets {
			if e, ok := g(c); ok && e.addr != "" {
				if a, err := netip.ParseAddr(e.addr); err == nil {
					out = append(out, a.Unmap())
				}
			}
		}
		return out, len(out) > 0
	}}
}

var (
	lEnd = inetEnd(true)
	rEnd = inetEnd(false)
)

var fdFields = map[string]fieldDef{
	"fd.name": strField(fdName),
	"fd.directory": strField(func(c *evctx) (string, bool) {
		if f := fileOf(c); f != nil && f.Path != "" {
			return path.Dir(f.Path), true
		}
		return "", false
	}),
	"fd.filename": strField(func(c *evctx) (string, bool) {
		if f := fileOf(c); f != nil && f.Path != "" {
			return path.Base(f.Path), true
		}
		return "", false
	}),
	"fd.typechar": strField(func(c *evctx) (string, bool) {
		t, ok := fdType(c)
		if !ok {
			return "", false
		}
		switch t {
		case "file":
			return "f", true
		case "ipv4":
			return "4", true
		case "ipv6":
			return "6", true
		}
		return "u", true
	}),
	"fd.type": strField(fdType),
	"fd.num": numField(func(c *evctx) (int64, bool) {
		if fileOf(c) == nil {
			return 0, false
		}
		if c.ev.Ret < 0 {
			return -1, true
		}
		return c.ev.Ret, true
	}),
	"fd.l4proto": strField(func(c *evctx) (string, bool) {
		if n := netOf(c); n != nil && n.Family != "unix" {
			return nonEmpty(n.Protocol)
		}
		return "", false
	}),
	"fd.sockfamily": strField(func(c *evctx) (string, bool) {
		n := netOf(c)
		switch {
		case n == nil:
			return "", false
		case n.Family == "unix":
			return "unix", true
		}
		return "ip", true
	}),
	"fd.sip":   ipOf(serverEnd),
	"fd.cip":   ipOf(clientEnd),
	"fd.lip":   ipOf(lEnd),
	"fd.rip":   ipOf(rEnd),
	"fd.sport": portOf(serverEnd),
	"fd.cport": portOf(clientEnd),
	"fd.lport": portOf(lEnd),
	"fd.rport": portOf(rEnd),
	"fd.ip": {kind: kMulti, multi: func(c *evctx) ([]string, bool) {
		out := c.strBuf[:0]
		for _, g := range []func(*evctx) (end, bool){lEnd, rEnd} {
			if e, ok := g(c); ok && e.addr != "" {
				out = append(out, e.addr)
			}
		}
		return out, len(out) > 0
	}},
	"fd.port": {kind: kMulti, multi: func(c *evctx) ([]string, bool) {
		out := c.strBuf[:0]
		for _, g := range []func(*evctx) (end, bool){lEnd, rEnd} {
			if e, ok := g(c); ok {
				out = append(out, strconv.Itoa(int(e.port)))
			}
		}
		return out, len(out) > 0
	}},
	"fd.net":  netsOf(lEnd, rEnd),
	"fd.snet": netsOf(serverEnd),
	"fd.cnet": netsOf(clientEnd),
	"fd.lnet": netsOf(lEnd),
	"fd.rnet": netsOf(rEnd),
}

func fdType(c *evctx) (string, bool) {
	if fileOf(c) != nil {
		return "file", true
	}
	if n := netOf(c); n != nil {
		switch n.Family {
		case "ipv4", "ipv6", "unix":
			return n.Family, true
		}
	}
	return "", false
}

// fdName is the file's path, a unix socket's path, or an inet tuple as
// Falco writes it: client:port->server:port.
func fdName(c *evctx) (string, bool) {
	if f := fileOf(c); f != nil {
		return nonEmpty(f.Path)
	}
	n := netOf(c)
	if n == nil {
		return "", false
	}
	if n.Family == "unix" {
		if n.DstAddr != "" {
			return n.DstAddr, true
		}
		return nonEmpty(n.SrcAddr)
	}
	hp := func(e end) string {
		if e.addr == "" {
			return ""
		}
		return e.addr + ":" + strconv.Itoa(int(e.port))
	}
	switch c.ev.Type {
	case event.Connect:
		return hp(localEnd(n)) + "->" + hp(remoteEnd(n)), true
	case event.Accept:
		return hp(remoteEnd(n)) + "->" + hp(localEnd(n)), true
	}
	return hp(localEnd(n)), true
}

var containerFields = map[string]fieldDef{
	"container.id": strField(func(c *evctx) (string, bool) {
		id := containerID(c.ev)
		if id == "" {
			return "host", true
		}
		if len(id) > 12 {
			id = id[:12]
		}
		return id, true
	}),
	"container.full_id": strField(func(c *evctx) (string, bool) {
		if id := containerID(c.ev); id != "" {
			return id, true
		}
		return "host", true
	}),
	"container.name": strField(func(c *evctx) (string, bool) {
		if containerID(c.ev) == "" {
			return "host", true
		}
		if ct := c.ev.Container; ct != nil {
			return nonEmpty(ct.Name)
		}
		return "", false
	}),
	"container.type": strField(func(c *evctx) (string, bool) {
		if ct := c.ev.Container; ct != nil {
			return nonEmpty(ct.Runtime)
		}
		return "", false
	}),
	"container.image": strField(func(c *evctx) (string, bool) {
		if ct := c.ev.Container; ct != nil {
			return nonEmpty(ct.Image)
		}
		return "", false
	}),
	"container.image.repository": strField(func(c *evctx) (string, bool) {
		if ct := c.ev.Container; ct != nil {
			repo, _, _ := splitImage(ct.Image)
			return nonEmpty(repo)
		}
		return "", false
	}),
	"container.image.tag": strField(func(c *evctx) (string, bool) {
		if ct := c.ev.Container; ct != nil {
			_, tag, _ := splitImage(ct.Image)
			return nonEmpty(tag)
		}
		return "", false
	}),
	"container.image.digest": strField(func(c *evctx) (string, bool) {
		if ct := c.ev.Container; ct != nil {
			if ct.ImageDigest != "" {
				return ct.ImageDigest, true
			}
			_, _, d := splitImage(ct.Image)
			return nonEmpty(d)
		}
		return "", false
	}),
	"container.image.id": strField(func(c *evctx) (string, bool) {
		if ct := c.ev.Container; ct != nil {
			id := strings.TrimPrefix(ct.ImageID, "sha256:")
			if len(id) > 12 {
				id = id[:12]
			}
			return nonEmpty(id)
		}
		return "", false
	}),
	"container.privileged": strField(func(c *evctx) (string, bool) {
		if ct := c.ev.Container; ct != nil {
			return boolStr(ct.Privileged), true
		}
		return "", false
	}),
	"k8s.ns.name": strField(func(c *evctx) (string, bool) {
		if ct := c.ev.Container; ct != nil {
			return nonEmpty(ct.PodNamespace)
		}
		return "", false
	}),
	"k8s.pod.name": strField(func(c *evctx) (string, bool) {
		if ct := c.ev.Container; ct != nil {
			return nonEmpty(ct.PodName)
		}
		return "", false
	}),
}

// containerID is the event's container id, "" on the host.
func containerID(ev *event.Event) string {
	if ev.Host {
		return ""
	}
	if ev.Container != nil && ev.Container.ID != "" {
		return ev.Container.ID
	}
	return ev.ContainerID
}

// splitImage splits an image reference into repository, tag and digest.
func splitImage(ref string) (repo, tag, digest string) {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref, digest = ref[:i], ref[i+1:]
	}
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref, tag = ref[:i], ref[i+1:]
	}
	return ref, tag, digest
}

// Event arguments (evt.arg.NAME), by name.

var argNames = map[string]bool{
	"name": true, "path": true, "filename": true, "exe": true, "args": true, "flags": true,
	"fd": true, "tuple": true, "addr": true, "uid": true, "gid": true, "request": true,
	"pid": true, "dev": true, "source": true, "dir": true, "target": true, "type": true,
	"fstype": true, "res": true, "cap_effective": true, "nstype": true,
}

// positionalArgs are Falco's argument orders of the exit events, for evt.arg[N].
var positionalArgs = map[event.Type][]string{
	event.Open:      {"fd", "dirfd", "name", "flags", "mode", "dev", "ino"},
	event.WriteExec: {"fd", "dirfd", "name", "flags", "mode", "dev", "ino"},
	event.Exec:      {"res", "exe", "args"},
	event.MemfdExec: {"res", "exe", "args"},
	event.Connect:   {"res", "tuple"},
	event.Accept:    {"fd", "tuple"},
	event.Bind:      {"res", "addr"},
	event.Setuid:    {"res", "uid"},
	event.Setgid:    {"res", "gid"},
	event.Ptrace:    {"res", "request", "pid"},
	event.Mount:     {"res", "dev", "dir", "type", "flags"},
	event.Unshare:   {"res", "flags"},
	event.Setns:     {"res", "fd", "nstype"},
	event.Capset:    {"res", "cap_effective"},
}

func argField(full, name string) (fieldDef, error) {
	if !argNames[name] {
		return fieldDef{}, unsupported(full, "this event argument is not recorded")
	}
	return strField(func(c *evctx) (string, bool) { return argValue(c, name) }), nil
}

// argValue is one named argument of the event, by its Falco name.
func argValue(c *evctx, name string) (string, bool) {
	ev := c.ev
	switch name {
	case "res":
		return strconv.FormatInt(ev.Ret, 10), true
	case "name", "path", "filename":
		if ev.File != nil {
			return nonEmpty(ev.File.Path)
		}
		if ev.Type == event.Exec || ev.Type == event.MemfdExec {
			return nonEmpty(ev.Proc.Exe)
		}
	case "exe":
		if ev.Type == event.Exec || ev.Type == event.MemfdExec {
			return nonEmpty(ev.Proc.Exe)
		}
	case "args":
		if ev.Type == event.Exec || ev.Type == event.MemfdExec {
			c.cmd()
			return c.args, true
		}
	case "fd":
		if ev.File != nil {
			return strconv.FormatInt(max(ev.Ret, -1), 10), true
		}
	case "tuple", "addr":
		return fdName(c)
	case "flags":
		return argFlags(ev)
	case "nstype":
		if ev.Change != nil {
			return nonEmpty(strings.Join(ev.Change.Flags, "|"))
		}
	case "uid":
		if ev.Change != nil && ev.Change.NewUID != nil {
			return strconv.FormatUint(uint64(*ev.Change.NewUID), 10), true
		}
	case "gid":
		if ev.Change != nil && ev.Change.NewGID != nil {
			return strconv.FormatUint(uint64(*ev.Change.NewGID), 10), true
		}
	case "request":
		if ev.Change != nil {
			return nonEmpty(ev.Change.Request)
		}
	case "pid":
		if ev.Change != nil && ev.Change.TargetPID != 0 {
			return strconv.FormatUint(uint64(ev.Change.TargetPID), 10), true
		}
	case "dev", "source":
		if ev.Change != nil {
			return nonEmpty(ev.Change.Source)
		}
	case "dir", "target":
		if ev.Type == event.Mount && ev.File != nil {
			return nonEmpty(ev.File.Path)
		}
	case "type", "fstype":
		if ev.Change != nil {
			return nonEmpty(ev.Change.FSType)
		}
	case "cap_effective":
		if ev.Change != nil && ev.Change.CapEffective != nil {
			return capNames(*ev.Change.CapEffective), true
		}
	}
	return "", false
}

// argFlags renders evt.arg.flags: open flags by name for opens, the
// namespace or mount flags for the others, EXE_FROM_MEMFD for a memfd exec.
func argFlags(ev *event.Event) (string, bool) {
	switch {
	case ev.File != nil && (ev.Type == event.Open || ev.Type == event.WriteExec):
		return openFlags(ev.File.Flags, ev.File.Write), true
	case ev.Change != nil && len(ev.Change.Flags) > 0:
		return strings.Join(ev.Change.Flags, "|"), true
	case ev.Type == event.MemfdExec || (ev.Type == event.Exec && fromMemfd(ev)):
		return "EXE_FROM_MEMFD", true
	case ev.Type == event.Exec:
		return "0", true
	}
	return "", false
}

var openFlagNames = []struct {
	bit  uint32
	name string
}{
	{0o100, "O_CREAT"}, {0o200, "O_EXCL"}, {0o400, "O_NOCTTY"}, {0o1000, "O_TRUNC"},
	{0o2000, "O_APPEND"}, {0o4000, "O_NONBLOCK"}, {0o10000, "O_DSYNC"}, {0o40000, "O_DIRECT"},
	{0o200000, "O_DIRECTORY"}, {0o400000, "O_NOFOLLOW"}, {0o2000000, "O_CLOEXEC"},
	{0o20000000, "O_TMPFILE"},
}

// openFlags renders open(2) flags the way Falco does (O_RDONLY, O_WRONLY,
// O_RDWR, then the others, joined by |).
func openFlags(fl uint32, write bool) string {
	var parts []string
	switch fl & 3 {
	case 0:
		if write {
			parts = append(parts, "O_WRONLY")
		} else {
			parts = append(parts, "O_RDONLY")
		}
	case 1:
		parts = append(parts, "O_WRONLY")
	case 2:
		parts = append(parts, "O_RDWR")
	}
	for _, f := range openFlagNames {
		if fl&f.bit != 0 && !(f.name == "O_DIRECTORY" && fl&0o20000000 != 0) {
			parts = append(parts, f.name)
		}
	}
	return strings.Join(parts, "|")
}

// renderArgs is evt.args: name=value for the arguments the event has.
func renderArgs(c *evctx) string {
	var b strings.Builder
	for _, n := range positionalArgs[c.ev.Type] {
		if v, ok := argValue(c, n); ok {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(n + "=" + v)
		}
	}
	return b.String()
}
