package sensor

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/sensor/bpf"
	"github.com/pavesec/pave/internal/sensor/event"
)

var update = flag.Bool("update", false, "capture testdata/records from the running kernel (root) and rewrite the golden files")

// TestHeaderLayout keeps decode.go's offsets in step with struct ev_hdr as
// bpf2go read it from the compiled object.
func TestHeaderLayout(t *testing.T) {
	var h bpf.SensorEvHdr
	want := map[string]uintptr{
		"Ts": offTs, "Cgroup": offCgroup, "CapEff": offCapEff, "CapPerm": offCapPerm, "Ret": offRet,
		"Ino": offIno, "Aux2": offAux2, "Dev": offDev, "Type": offType, "Pid": offPid, "Tid": offTid,
		"Ppid": offPpid, "Vpid": offVpid, "Uid": offUID, "Gid": offGID, "Euid": offEUID,
		"Loginuid": offLoginUID, "Flags": offFlags, "Aux": offAux, "Dport": offDport, "Sport": offSport,
		"Family": offFamily, "Proto": offProto, "Daddr": offDaddr, "Saddr": offSaddr, "Comm": offComm,
	}
	rt := reflect.TypeOf(h)
	for i := range rt.NumField() {
		f := rt.Field(i)
		if f.Name == "_" {
			continue
		}
		off, ok := want[f.Name]
		if !ok {
			t.Errorf("ev_hdr.%s has no decode offset", f.Name)
			continue
		}
		if f.Offset != off {
			t.Errorf("ev_hdr.%s at %d, decode.go reads it at %d", f.Name, f.Offset, off)
		}
		delete(want, f.Name)
	}
	for name := range want {
		t.Errorf("decode.go reads %s, which ev_hdr does not have", name)
	}
	if unsafe.Sizeof(h) != hdrSize {
		t.Errorf("ev_hdr is %d bytes, decode.go assumes %d", unsafe.Sizeof(h), hdrSize)
	}
}

func TestDevRoundTrip(t *testing.T) {
	for _, d := range []uint64{0xfe00, 0x803, 0x10300, 0xfff00 | 0x12345<<12 & ^uint64(0xff)} {
		if got := userDev(kernelDev(d)); got != d {
			t.Errorf("userDev(kernelDev(%#x)) = %#x", d, got)
		}
	}
	// 254:0 is 0x0fe00000 inside the kernel, 0xfe00 from stat(2).
	if got := userDev(254 << 20); got != 0xfe00 {
		t.Errorf("userDev(254:0) = %#x, want 0xfe00", got)
	}
}

// TestDecodeRecords decodes records captured from the kernel
// (testdata/records/*.bin, see the README there) and compares them with
// the golden JSON.
func TestDecodeRecords(t *testing.T) {
	if *update {
		captureRecords(t)
	}
	bins, _ := filepath.Glob("testdata/records/*.bin")
	if len(bins) < 10 {
		t.Fatalf("only %d captured records; run go test -run TestDecodeRecords -update as root", len(bins))
	}
	for _, bin := range bins {
		raw, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := decode(raw, time.Unix(0, 0).UTC())
		if err != nil {
			t.Errorf("%s: %v", bin, err)
			continue
		}
		for _, ev := range evs {
			ev.Time = time.Time{} // the boot clock differs between runs
		}
		got, _ := json.MarshalIndent(evs, "", "  ")
		golden := strings.TrimSuffix(bin, ".bin") + ".json"
		if *update {
			if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(strings.TrimSpace(string(want)), string(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", bin, diff)
		}
	}
}

// captureRecords runs one action per record type and saves the first raw
// record of each type from this test's processes.
func captureRecords(t *testing.T) {
	s := openSensor(t, Config{})
	dir := t.TempDir()
	var pids []int
	pids = append(pids, os.Getpid())
	exe := filepath.Join(dir, "tool")
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	pids = append(pids, run(t, exec.Command("/bin/true", "--capture", "arg two")))
	for _, action := range []string{"setuid", "memfd"} {
		pids = append(pids, run(t, helperCmd(action)))
	}
	pids = append(pids, run(t, helperCmd("ns", "PAVE_MOUNT_DIR="+dir)))
	ln, _ := net.Listen("tcp4", "127.0.0.1:0")
	c, _ := net.Dial("tcp4", ln.Addr().String())
	a, _ := ln.Accept()
	c.Close()
	a.Close()
	ln.Close()
	sock := filepath.Join(dir, "s.sock")
	ul, _ := net.Listen("unix", sock)
	uc, _ := net.Dial("unix", sock)
	uc.Close()
	ul.Close()
	child := exec.Command("sleep", "5")
	child.Start()
	func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if syscall.PtraceAttach(child.Process.Pid) == nil {
			var ws syscall.WaitStatus
			syscall.Wait4(child.Process.Pid, &ws, syscall.WALL, nil)
			syscall.PtraceDetach(child.Process.Pid)
		}
	}()
	child.Process.Kill()
	child.Wait()

	want := map[uint32]bool{}
	for _, p := range pids {
		want[uint32(p)] = true
	}
	names := map[uint32]string{}
	for i, typ := range kernelTypes {
		if typ != "" {
			names[uint32(i)] = string(typ)
		}
	}
	seen := map[string]bool{}
	os.MkdirAll("testdata/records", 0o755)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		s.rd.SetDeadline(time.Now().Add(200 * time.Millisecond))
		if err := s.rd.ReadInto(&s.rec); err != nil {
			continue
		}
		b := s.rec.RawSample
		if len(b) < hdrSize || !want[binary.LittleEndian.Uint32(b[offPid:])] {
			continue
		}
		kt := binary.LittleEndian.Uint32(b[offType:])
		flags := binary.LittleEndian.Uint32(b[offFlags:])
		name := names[kt]
		if flags&fMemfd != 0 {
			name = "memfd_exec"
		}
		if flags&fWriteExec != 0 {
			name = "write_exec"
		}
		if kt == tConnect && binary.LittleEndian.Uint16(b[offFamily:]) == 1 {
			name = "connect_unix"
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		if err := os.WriteFile("testdata/records/"+name+".bin", b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for n := range seen {
		got = append(got, n)
	}
	sort.Strings(got)
	t.Logf("captured %s", strings.Join(got, " "))
}

func FuzzDecode(f *testing.F) {
	bins, _ := filepath.Glob("testdata/records/*.bin")
	for _, bin := range bins {
		raw, err := os.ReadFile(bin)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte{})
	f.Add(make([]byte, hdrSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := decode(b, time.Unix(0, 0))
		if err != nil {
			if evs != nil {
				t.Fatalf("events and an error: %v", err)
			}
			return
		}
		if len(evs) == 0 || len(evs) > 2 {
			t.Fatalf("%d events from one record", len(evs))
		}
		for _, ev := range evs {
			if ev.Type == "" {
				t.Fatalf("event without a type")
			}
			if _, err := json.Marshal(ev); err != nil {
				t.Fatalf("event does not marshal: %v", err)
			}
			if ev.Proc.ExeInode != 0 && ev.Type != event.Exec && ev.Type != event.MemfdExec {
				t.Fatalf("%s carries an exe inode", ev.Type)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"execve", "openat", "connect"} {
		raw, err := os.ReadFile("testdata/records/" + name + ".bin")
		if err != nil {
			b.Skip(err)
		}
		b.Run(name, func(b *testing.B) {
			boot := time.Now()
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decode(raw, boot); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
