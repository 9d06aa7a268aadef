package rules

import "github.com/pavesec/pave/internal/sensor/event"

// The sensor sends a process's arguments, executable and ancestors with
// its exec only; an open, connect or setuid carries the pid and command
// name. The process table remembers what each exec said, so that rules on
// later events of the process (proc.cmdline, proc.pname, proc.aname)
// answer as Falco's thread table lets them.

// maxProcs bounds the table; past it an arbitrary entry makes room.
const maxProcs = 1 << 16

// procInfo is what an exec said about its process.
type procInfo struct {
	comm      string
	exe       string
	args      []string
	cwd       string
	ancestors []event.Ancestor
}

type procTable map[uint32]*procInfo

// remember records an exec.
func (t procTable) remember(ev *event.Event) {
	p := &ev.Proc
	if p.PID == 0 {
		return
	}
	if _, ok := t[p.PID]; !ok && len(t) >= maxProcs {
		for k := range t {
			delete(t, k)
			break
		}
	}
	t[p.PID] = &procInfo{comm: p.Comm, exe: p.Exe, args: p.Args, cwd: p.Cwd, ancestors: p.Ancestors}
}

// fill points c.proc at a copy of the event's process completed from the
// table: from the process's own exec when its command name still matches,
// else from its parent's (a forked child runs its parent's image).
func (t procTable) fill(c *evctx) {
	p := c.proc
	if len(p.Args) > 0 || len(p.Ancestors) > 0 || p.Exe != "" {
		return
	}
	if in, ok := t[p.PID]; ok && in.comm == p.Comm {
		c.scratch = *p
		c.scratch.Exe, c.scratch.Args, c.scratch.Ancestors = in.exe, in.args, in.ancestors
		if c.scratch.Cwd == "" {
			c.scratch.Cwd = in.cwd
		}
		c.proc = &c.scratch
		return
	}
	parent, ok := t[p.PPID]
	if !ok || p.PPID == 0 {
		return
	}
	c.scratch = *p
	anc := make([]event.Ancestor, 0, 1+len(parent.ancestors))
	anc = append(anc, event.Ancestor{PID: p.PPID, Comm: parent.comm, Exe: parent.exe})
	anc = append(anc, parent.ancestors...)
	if len(anc) > maxAncestors {
		anc = anc[:maxAncestors]
	}
	c.scratch.Ancestors = anc
	if parent.comm == p.Comm {
		c.scratch.Exe, c.scratch.Args = parent.exe, parent.args
	}
	c.proc = &c.scratch
}

// maxAncestors bounds ancestor chains built from the table.
const maxAncestors = 8
