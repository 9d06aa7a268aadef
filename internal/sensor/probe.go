package sensor

import (
	"bufio"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/link"
)

// Feature is one probed kernel capability.
type Feature struct {
	Name string `json:"name"`
	// Available is set when a tiny program of this kind loaded and
	// attached (or the map/helper was accepted).
	Available bool `json:"available"`
	// Reason is why it is not available (the kernel's error).
	Reason string `json:"reason,omitempty"`
	// Use says what the sensor uses it for, or "" if it does not.
	Use string `json:"use,omitempty"`
}

// Features is a probe report, in a fixed order.
type Features []Feature

// Has reports whether the named feature is available.
func (fs Features) Has(name string) bool {
	for _, f := range fs {
		if f.Name == name {
			return f.Available
		}
	}
	return false
}

// WriteTable prints the report as an aligned table.
func (fs Features) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FEATURE\tAVAILABLE\tUSED FOR\tREASON")
	for _, f := range fs {
		avail := "no"
		if f.Available {
			avail = "yes"
		}
		use := f.Use
		if use == "" {
			use = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, avail, use, oneLine(f.Reason))
	}
	return tw.Flush()
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// Probe loads a tiny program (or creates a tiny map) for each attach type
// and helper the sensor could use, attaches it, and detaches it at once.
// It needs root; like Open it mounts tracefs when missing. The error is
// for what prevents probing at all (not root); a missing feature is a row.
func Probe(ctx context.Context) (Features, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("sensor: probe: %w: needs root", ErrNotSupported)
	}
	probes := []struct {
		name, use string
		run       func() error
	}{
		{"btf", "CO-RE relocations (required)", func() error { _, err := btf.LoadKernelSpec(); return err }},
		{"tracefs", "finding system call tracepoints (required)", ensureTracefs},
		{"ringbuf", "event transport (required)", func() error { return features.HaveMapType(ebpf.RingBuf) }},
		{"tracepoint", "system call hooks (required)", probeTracepoint},
		{"tp_btf", "exec, exit (preferred)", func() error {
			return probeTracing(ebpf.AttachTraceRawTp, "sched_process_exec")
		}},
		{"raw_tracepoint", "exec, exit (fallback)", probeRawTracepoint},
		{"bpf_send_signal", "enforcement (kill at exec)", func() error {
			return features.HaveProgramHelper(ebpf.TracePoint, asm.FnSendSignal)
		}},
		{"bpf_get_current_task_btf", "typed task reads (required)", func() error {
			return features.HaveProgramHelper(ebpf.TracePoint, asm.FnGetCurrentTaskBtf)
		}},
		{"bpf_loop", "path walks (required)", func() error {
			return features.HaveProgramHelper(ebpf.TracePoint, asm.FnLoop)
		}},
		{"task_iterator", "", probeTaskIter},
		{"uprobe", "", probeUprobe},
		{"cgroup_sock_addr", "", probeCgroupConnect},
		{"fentry", "", func() error { return probeTracing(ebpf.AttachTraceFEntry, "security_file_open") }},
		{"lsm", "", probeLSM},
		{"kprobe", "", probeKprobe},
	}
	var out Features
	for _, p := range probes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f := Feature{Name: p.name, Use: p.use, Available: true}
		if err := p.run(); err != nil {
			f.Available = false
			// cilium/ebpf guesses at memlock for any EPERM; since 5.11
			// BPF memory is charged to the cgroup, so the guess misleads.
			f.Reason = strings.Replace(err.Error(), "MEMLOCK may be too low, consider rlimit.RemoveMemlock", "the kernel refused it", 1)
		}
		out = append(out, f)
	}
	return out, nil
}

func trivial(pt ebpf.ProgramType, at ebpf.AttachType, to string, ret int32) (*ebpf.Program, error) {
	return ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "pave_probe",
		Type:         pt,
		AttachType:   at,
		AttachTo:     to,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, ret), asm.Return()},
	})
}

// closeAll closes the link and program, returning the first error.
func closeAll(l io.Closer, err error, prog *ebpf.Program) error {
	if l != nil {
		l.Close()
	}
	prog.Close()
	return err
}

func probeTracepoint() error {
	prog, err := trivial(ebpf.TracePoint, ebpf.AttachNone, "", 0)
	if err != nil {
		return err
	}
	l, err := link.Tracepoint("syscalls", "sys_enter_getpid", prog, nil)
	return closeAll(l, err, prog)
}

func probeRawTracepoint() error {
	prog, err := trivial(ebpf.RawTracepoint, ebpf.AttachNone, "", 0)
	if err != nil {
		return err
	}
	l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: "sched_process_exec", Program: prog})
	return closeAll(l, err, prog)
}

func probeTracing(at ebpf.AttachType, to string) error {
	prog, err := trivial(ebpf.Tracing, at, to, 0)
	if err != nil {
		return err
	}
	l, err := link.AttachTracing(link.TracingOptions{Program: prog, AttachType: at})
	return closeAll(l, err, prog)
}

func probeTaskIter() error {
	prog, err := trivial(ebpf.Tracing, ebpf.AttachTraceIter, "task", 0)
	if err != nil {
		return err
	}
	it, err := link.AttachIter(link.IterOptions{Program: prog})
	if err != nil {
		return closeAll(nil, err, prog)
	}
	r, err := it.Open()
	if err == nil {
		_, err = io.Copy(io.Discard, r)
		r.Close()
	}
	return closeAll(it, err, prog)
}

func probeLSM() error {
	prog, err := trivial(ebpf.LSM, ebpf.AttachLSMMac, "file_open", 0)
	if err != nil {
		return err
	}
	l, err := link.AttachLSM(link.LSMOptions{Program: prog})
	return closeAll(l, err, prog)
}

func probeKprobe() error {
	prog, err := trivial(ebpf.Kprobe, ebpf.AttachNone, "", 0)
	if err != nil {
		return err
	}
	l, err := link.Kprobe("security_file_open", prog, nil)
	return closeAll(l, err, prog)
}

// probeUprobe attaches to this program's own entry point (by file offset,
// so a stripped binary works too).
func probeUprobe() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	off, err := entryOffset(exe)
	if err != nil {
		return err
	}
	prog, err := trivial(ebpf.Kprobe, ebpf.AttachNone, "", 0)
	if err != nil {
		return err
	}
	ex, err := link.OpenExecutable(exe)
	if err != nil {
		return closeAll(nil, err, prog)
	}
	l, err := ex.Uprobe("", prog, &link.UprobeOptions{Address: off})
	return closeAll(l, err, prog)
}

func entryOffset(path string) (uint64, error) {
	f, err := elf.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && f.Entry >= p.Vaddr && f.Entry < p.Vaddr+p.Filesz {
			return f.Entry - p.Vaddr + p.Off, nil
		}
	}
	return 0, errors.New("entry point outside the loadable segments")
}

// probeCgroupConnect attaches an allow-all connect4 program to the cgroup
// v2 root.
func probeCgroupConnect() error {
	root, err := cgroup2Root()
	if err != nil {
		return err
	}
	prog, err := trivial(ebpf.CGroupSockAddr, ebpf.AttachCGroupInet4Connect, "", 1)
	if err != nil {
		return err
	}
	l, err := link.AttachCgroup(link.CgroupOptions{Path: root, Attach: ebpf.AttachCGroupInet4Connect, Program: prog})
	return closeAll(l, err, prog)
}

// cgroup2Root finds where the cgroup v2 hierarchy is mounted.
func cgroup2Root() (string, error) {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 3 && fields[2] == "cgroup2" {
			return fields[1], nil
		}
	}
	return "", errors.New("no cgroup2 mount")
}
