package rules

import (
	"math/bits"
	"sort"

	"github.com/pavesec/pave/internal/sensor/event"
)

// typeSet is a set of the event types the sensor produces, one bit each.
// A memfd exec shares the execve bit: Falco rules see it as an execve with
// proc.is_exe_from_memfd=true.
type typeSet uint32

// typeOrder fixes the bit of each type.
var typeOrder = [...]event.Type{
	event.Exec, event.Exit, event.Open, event.Connect, event.Accept, event.Bind,
	event.Setuid, event.Setgid, event.Capset, event.Ptrace, event.Mount,
	event.Unshare, event.Setns, event.WriteExec, event.Mmap,
}

const allTypes = typeSet(1)<<len(typeOrder) - 1

// typeBit is the bit of an event's type, 0 for a type the engine does not
// know (no rule with an evt.type restriction sees it).
func typeBit(t event.Type) typeSet {
	if t == event.MemfdExec {
		t = event.Exec
	}
	for i, o := range typeOrder {
		if o == t {
			return 1 << i
		}
	}
	return 0
}

// falcoName is the evt.type a rule sees for an event.
func falcoName(t event.Type) string {
	if t == event.MemfdExec {
		return string(event.Exec)
	}
	return string(t)
}

// typeAliases maps Falco syscall names (and pave's own type names) onto
// the types the sensor produces.
var typeAliases = map[string]event.Type{
	"execve": event.Exec, "execveat": event.Exec, "memfd_exec": event.Exec,
	"procexit": event.Exit, "exit": event.Exit,
	"open": event.Open, "openat": event.Open, "openat2": event.Open, "creat": event.Open,
	"connect": event.Connect,
	"accept":  event.Accept, "accept4": event.Accept,
	"bind":   event.Bind,
	"setuid": event.Setuid, "setreuid": event.Setuid, "setresuid": event.Setuid, "setfsuid": event.Setuid,
	"setgid": event.Setgid, "setregid": event.Setgid, "setresgid": event.Setgid, "setfsgid": event.Setgid,
	"capset": event.Capset,
	"ptrace": event.Ptrace,
	"mount":  event.Mount, "fsmount": event.Mount, "move_mount": event.Mount,
	"unshare":    event.Unshare,
	"setns":      event.Setns,
	"write_exec": event.WriteExec,
	"mmap":       event.Mmap, "mmap2": event.Mmap,
}

// types lists the Falco-side names of a set, for reports.
func (s typeSet) names() []string {
	var out []string
	for s != 0 {
		i := bits.TrailingZeros32(uint32(s))
		out = append(out, string(typeOrder[i]))
		s &^= 1 << i
	}
	sort.Strings(out)
	return out
}
