package sensor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/pavesec/pave/internal/sensor/event"
)

// Record layout: struct ev_hdr in bpf/sensor.bpf.c, then tagged strings
// (u16 tag, u16 length, bytes). TestHeaderLayout checks these offsets
// against the Go type bpf2go generated from the C struct.
const (
	offTs       = 0
	offCgroup   = 8
	offCapEff   = 16
	offCapPerm  = 24
	offRet      = 32
	offIno      = 40
	offAux2     = 48
	offDev      = 56
	offType     = 60
	offPid      = 64
	offTid      = 68
	offPpid     = 72
	offVpid     = 76
	offUID      = 80
	offGID      = 84
	offEUID     = 88
	offLoginUID = 92
	offFlags    = 96
	offAux      = 100
	offDport    = 104
	offSport    = 106
	offFamily   = 108
	offProto    = 110
	offDaddr    = 112
	offSaddr    = 128
	offComm     = 144
	hdrSize     = 160
)

// Kernel record types (enum in sensor.bpf.c); also the index of the
// per-type drop counters.
const (
	tExec      = 1
	tExit      = 2
	tOpen      = 3
	tConnect   = 4
	tAccept    = 5
	tBind      = 6
	tSetuid    = 7
	tSetgid    = 8
	tCapset    = 9
	tPtrace    = 10
	tMount     = 11
	tUnshare   = 12
	tSetns     = 13
	tMmap      = 14
	tMemfdExec = 15
	tWriteExec = 16
	tMax       = 17
)

var kernelTypes = [tMax]event.Type{
	tExec: event.Exec, tExit: event.Exit, tOpen: event.Open, tConnect: event.Connect,
	tAccept: event.Accept, tBind: event.Bind, tSetuid: event.Setuid, tSetgid: event.Setgid,
	tCapset: event.Capset, tPtrace: event.Ptrace, tMount: event.Mount, tUnshare: event.Unshare,
	tSetns: event.Setns, tMmap: event.Mmap, tMemfdExec: event.MemfdExec, tWriteExec: event.WriteExec,
}

// Record flags.
const (
	fHost      = 1 << 0
	fKilled    = 1 << 1
	fArgsTrunc = 1 << 2
	fTTY       = 1 << 3
	fMemfd     = 1 << 4
	fWriteExec = 1 << 5
	fWrite     = 1 << 6
	fPathTrunc = 1 << 7
	fTracked   = 1 << 8
)

// String tags.
const (
	sExe    = 1
	sArgs   = 2
	sCwd    = 3
	sAnc    = 4
	sPath   = 5
	sSrc    = 6
	sFSType = 7
	sUnix   = 8
)

// maxAncestors bounds the ancestors decoded from one record (the kernel
// sends at most 4).
const maxAncestors = 8

// errRecord is wrapped by every decode error.
var errRecord = errors.New("malformed record")

// decode turns one ring-buffer record into events: usually one, two when
// an exec is also a memfd exec (Exec then MemfdExec) or a write open is
// also a write to an executable (Open then WriteExec). boot is the wall
// time of the boot clock's zero. It never panics on any input.
func decode(b []byte, boot time.Time) ([]*event.Event, error) {
	if len(b) < hdrSize {
		return nil, fmt.Errorf("sensor: decode: %w: %d bytes, header needs %d", errRecord, len(b), hdrSize)
	}
	le := binary.LittleEndian
	kt := le.Uint32(b[offType:])
	if kt == 0 || kt >= tMax || kt == tMemfdExec || kt == tWriteExec {
		return nil, fmt.Errorf("sensor: decode: %w: type %d", errRecord, kt)
	}
	flags := le.Uint32(b[offFlags:])
	ev := &event.Event{
		Time:     boot.Add(time.Duration(le.Uint64(b[offTs:]))),
		Type:     kernelTypes[kt],
		CgroupID: le.Uint64(b[offCgroup:]),
		Host:     flags&fHost != 0,
		Killed:   flags&fKilled != 0,
		Ret:      int64(le.Uint64(b[offRet:])),
		Proc: event.Process{
			PID:           le.Uint32(b[offPid:]),
			TID:           le.Uint32(b[offTid:]),
			PPID:          le.Uint32(b[offPpid:]),
			VPID:          le.Uint32(b[offVpid:]),
			UID:           le.Uint32(b[offUID:]),
			GID:           le.Uint32(b[offGID:]),
			EUID:          le.Uint32(b[offEUID:]),
			LoginUID:      le.Uint32(b[offLoginUID:]),
			Comm:          cString(b[offComm : offComm+16]),
			CapEffective:  le.Uint64(b[offCapEff:]),
			CapPermitted:  le.Uint64(b[offCapPerm:]),
			TTY:           flags&fTTY != 0,
			ArgsTruncated: flags&fArgsTrunc != 0,
		},
	}
	ino, dev := le.Uint64(b[offIno:]), userDev(le.Uint32(b[offDev:]))
	aux, aux2 := le.Uint32(b[offAux:]), le.Uint64(b[offAux2:])

	var path, src, fstype, unixPath string
	for rest := b[hdrSize:]; len(rest) > 0; {
		if len(rest) < 4 {
			return nil, fmt.Errorf("sensor: decode: %w: %d trailing bytes", errRecord, len(rest))
		}
		tag, n := le.Uint16(rest), int(le.Uint16(rest[2:]))
		if n > len(rest)-4 {
			return nil, fmt.Errorf("sensor: decode: %w: string of %d bytes overruns record", errRecord, n)
		}
		v := rest[4 : 4+n]
		rest = rest[4+n:]
		switch tag {
		case sExe:
			ev.Proc.Exe = cString(v)
		case sArgs:
			ev.Proc.Args = splitArgs(v)
		case sCwd:
			ev.Proc.Cwd = cString(v)
		case sAnc:
			if len(v) != 20 {
				return nil, fmt.Errorf("sensor: decode: %w: ancestor of %d bytes", errRecord, len(v))
			}
			if len(ev.Proc.Ancestors) < maxAncestors {
				ev.Proc.Ancestors = append(ev.Proc.Ancestors, event.Ancestor{PID: le.Uint32(v), Comm: cString(v[4:])})
			}
		case sPath:
			path = cString(v)
		case sSrc:
			src = cString(v)
		case sFSType:
			fstype = cString(v)
		case sUnix:
			unixPath = unixName(v)
		default:
			return nil, fmt.Errorf("sensor: decode: %w: string tag %d", errRecord, tag)
		}
	}

	switch kt {
	case tExec:
		ev.Proc.ExeInode, ev.Proc.ExeDev = ino, dev
		if flags&fMemfd == 0 {
			return []*event.Event{ev}, nil
		}
		twin := *ev
		twin.Type = event.MemfdExec
		twin.File = &event.File{Path: path, Inode: ino, Dev: dev}
		return []*event.Event{ev, &twin}, nil
	case tOpen, tMmap:
		ev.File = &event.File{Path: path, Inode: ino, Dev: dev, Flags: aux, Write: flags&fWrite != 0}
		if kt == tMmap {
			ev.File.Flags = 0
		}
		if flags&fWriteExec == 0 {
			return []*event.Event{ev}, nil
		}
		twin := *ev
		twin.Type = event.WriteExec
		f := *ev.File
		twin.File = &f
		return []*event.Event{ev, &twin}, nil
	case tConnect, tAccept, tBind:
		ev.Net = decodeNet(b, kt, unixPath)
		if ev.Net == nil {
			return nil, fmt.Errorf("sensor: decode: %w: address family %d", errRecord, le.Uint16(b[offFamily:]))
		}
	case tSetuid:
		if id := uint32(aux2); id != ^uint32(0) {
			ev.Change = &event.Change{NewUID: &id}
		} else {
			ev.Change = &event.Change{}
		}
	case tSetgid:
		if id := uint32(aux2); id != ^uint32(0) {
			ev.Change = &event.Change{NewGID: &id}
		} else {
			ev.Change = &event.Change{}
		}
	case tCapset:
		c := aux2
		ev.Change = &event.Change{CapEffective: &c}
	case tPtrace:
		ev.Change = &event.Change{TargetPID: uint32(aux2), Request: ptraceName(aux)}
	case tUnshare, tSetns:
		ev.Change = &event.Change{Flags: nsFlagNames(aux)}
	case tMount:
		ev.Change = &event.Change{Source: src, FSType: fstype}
		if aux == 1 {
			ev.Change.Flags = moveMountFlagNames(aux2)
		} else {
			ev.Change.Flags = mountFlagNames(aux2)
		}
		ev.File = &event.File{Path: path}
	}
	return []*event.Event{ev}, nil
}

func decodeNet(b []byte, kt uint32, unixPath string) *event.Net {
	le := binary.LittleEndian
	n := &event.Net{}
	switch le.Uint16(b[offProto:]) {
	case 6, 262: // IPPROTO_TCP, IPPROTO_MPTCP (Go's listeners use MPTCP)
		n.Protocol = "tcp"
	case 17:
		n.Protocol = "udp"
	}
	fam := le.Uint16(b[offFamily:])
	var daddr, saddr string
	switch fam {
	case 1:
		n.Family = "unix"
		n.Protocol = ""
		n.DstAddr = unixPath
		return n
	case 2:
		n.Family = "ipv4"
		daddr = netip.AddrFrom4([4]byte(b[offDaddr : offDaddr+4])).String()
		saddr = netip.AddrFrom4([4]byte(b[offSaddr : offSaddr+4])).String()
	case 10:
		n.Family = "ipv6"
		daddr = netip.AddrFrom16([16]byte(b[offDaddr : offDaddr+16])).Unmap().String()
		saddr = netip.AddrFrom16([16]byte(b[offSaddr : offSaddr+16])).Unmap().String()
	default:
		return nil
	}
	dport, sport := le.Uint16(b[offDport:]), le.Uint16(b[offSport:])
	switch kt {
	case tConnect:
		n.DstAddr, n.DstPort = daddr, dport
	case tBind:
		n.SrcAddr, n.SrcPort = saddr, sport
	case tAccept:
		n.DstAddr, n.DstPort = daddr, dport
		n.SrcAddr, n.SrcPort = saddr, sport
	}
	return n
}

// userDev converts the kernel's internal dev_t (major<<20 | minor) to the
// encoding stat(2) returns in st_dev.
func userDev(k uint32) uint64 {
	if k == 0 {
		return 0
	}
	major, minor := uint64(k>>20), uint64(k&0xfffff)
	return (major&0xfff)<<8 | (major&^0xfff)<<32 | minor&0xff | (minor&^0xff)<<12
}

// kernelDev is the inverse of userDev.
func kernelDev(u uint64) uint32 {
	major := uint32((u>>8)&0xfff | (u>>32)&^0xfff)
	minor := uint32(u&0xff | (u>>12)&^0xff)
	return major<<20 | minor&0xfffff
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// splitArgs splits the NUL-separated argv block.
func splitArgs(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	parts := bytes.Split(b, []byte{0})
	args := make([]string, len(parts))
	for i, p := range parts {
		args[i] = string(p)
	}
	return args
}

// unixName renders sun_path: abstract names (leading NUL) start with "@".
func unixName(b []byte) string {
	if len(b) > 0 && b[0] == 0 {
		return "@" + string(bytes.TrimRight(b[1:], "\x00"))
	}
	return cString(b)
}

var ptraceRequests = map[uint32]string{
	4: "PTRACE_POKETEXT", 5: "PTRACE_POKEDATA", 6: "PTRACE_POKEUSER", 13: "PTRACE_SETREGS",
	15: "PTRACE_SETFPREGS", 16: "PTRACE_ATTACH", 0x4205: "PTRACE_SETREGSET", 0x4206: "PTRACE_SEIZE",
}

func ptraceName(r uint32) string {
	if s, ok := ptraceRequests[r]; ok {
		return s
	}
	return fmt.Sprintf("%d", r)
}

type flagName struct {
	bit  uint64
	name string
}

var nsFlags = []flagName{
	{0x00000080, "CLONE_NEWTIME"}, {0x00020000, "CLONE_NEWNS"}, {0x02000000, "CLONE_NEWCGROUP"},
	{0x04000000, "CLONE_NEWUTS"}, {0x08000000, "CLONE_NEWIPC"}, {0x10000000, "CLONE_NEWUSER"},
	{0x20000000, "CLONE_NEWPID"}, {0x40000000, "CLONE_NEWNET"},
}

var mountFlags = []flagName{
	{1, "MS_RDONLY"}, {2, "MS_NOSUID"}, {4, "MS_NODEV"}, {8, "MS_NOEXEC"}, {16, "MS_SYNCHRONOUS"},
	{32, "MS_REMOUNT"}, {64, "MS_MANDLOCK"}, {128, "MS_DIRSYNC"}, {256, "MS_NOSYMFOLLOW"},
	{1024, "MS_NOATIME"}, {2048, "MS_NODIRATIME"}, {4096, "MS_BIND"}, {8192, "MS_MOVE"},
	{16384, "MS_REC"}, {32768, "MS_SILENT"}, {1 << 17, "MS_UNBINDABLE"}, {1 << 18, "MS_PRIVATE"},
	{1 << 19, "MS_SLAVE"}, {1 << 20, "MS_SHARED"}, {1 << 21, "MS_RELATIME"},
	{1 << 24, "MS_STRICTATIME"}, {1 << 25, "MS_LAZYTIME"},
}

var moveMountFlags = []flagName{
	{1, "MOVE_MOUNT_F_SYMLINKS"}, {2, "MOVE_MOUNT_F_AUTOMOUNTS"}, {4, "MOVE_MOUNT_F_EMPTY_PATH"},
	{0x10, "MOVE_MOUNT_T_SYMLINKS"}, {0x20, "MOVE_MOUNT_T_AUTOMOUNTS"}, {0x40, "MOVE_MOUNT_T_EMPTY_PATH"},
	{0x100, "MOVE_MOUNT_SET_GROUP"}, {0x200, "MOVE_MOUNT_BENEATH"},
}

func names(v uint64, table []flagName) []string {
	var out []string
	for _, f := range table {
		if v&f.bit != 0 {
			out = append(out, f.name)
			v &^= f.bit
		}
	}
	if v != 0 {
		out = append(out, fmt.Sprintf("%#x", v))
	}
	return out
}

func nsFlagNames(v uint32) []string { return names(uint64(v), nsFlags) }
func mountFlagNames(v uint64) []string {
	v &= 0xffffffff
	if v>>16 == 0xc0ed { // MS_MGC_VAL, the pre-2.4 magic
		v &= 0xffff
	}
	return names(v, mountFlags)
}
func moveMountFlagNames(v uint64) []string { return names(v, moveMountFlags) }
