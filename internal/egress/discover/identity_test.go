package discover

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseProcNetAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0100007F:1543", "127.0.0.1:5443"},
		{"00000000:07E8", "0.0.0.0:2024"},
		{"00000000000000000000000001000000:E60C", "[::1]:58892"},
		{"0000000000000000FFFF00000100007F:96DD", "[::ffff:127.0.0.1]:38621"},
		{"B80D0120000000000000000001000000:0050", "[2001:db8::1]:80"},
		{"0100007F", "ERR"},
		{"0100007F:1", "ERR"},
		{"0100007G:1543", "ERR"},
		{"0100007F:GGGG", "ERR"},
		{"01007F:1543", "ERR"},
	}
	for _, tc := range tests {
		got := "ERR"
		if a, err := ParseProcNetAddr(tc.in); err == nil {
			got = a.String()
		}
		if got != tc.want {
			t.Errorf("ParseProcNetAddr(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestScanProcNetTCP(t *testing.T) {
	ap := netip.MustParseAddrPort
	tests := []struct {
		file          string
		local, remote netip.AddrPort
		want          uint64 // 0: not found
	}{
		{"tcp6", ap("[::1]:58892"), ap("[::1]:46193"), 100071},
		{"tcp6", ap("[::1]:46193"), ap("[::1]:58892"), 100072},
		{"tcp6", ap("127.0.0.1:38621"), ap("127.0.0.1:55772"), 100078}, // IPv4-mapped
		{"tcp6", ap("[::1]:58892"), ap("[::1]:1"), 0},
		{"tcp", ap("127.0.0.1:43867"), ap("127.0.0.1:51994"), 0}, // TIME_WAIT: inode 0
		{"tcp", ap("127.0.0.1:5443"), ap("0.0.0.0:0"), 10425},
	}
	for _, tc := range tests {
		f, err := os.Open(filepath.Join("testdata", "proc", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		got, found := scanProcNetTCP(f, tc.local, tc.remote)
		f.Close()
		if found != (tc.want != 0) || got != tc.want {
			t.Errorf("%s %s->%s: inode %d found %t, want %d", tc.file, tc.local, tc.remote, got, found, tc.want)
		}
	}
}

func TestContainerIDFromCgroup(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "proc", "cgroup-docker-v1"))
	if err != nil {
		t.Fatal(err)
	}
	const id = "995f7fa646752d54326e27f7a0844a6d5208e7ccd449f23591edfa296fbe6b6d"
	tests := []struct{ in, want string }{
		{string(b), id},
		{"0::/system.slice/docker-" + id + ".scope\n", id},
		{"0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-" + id + ".scope\n", id},
		{"0::/machine.slice/libpod-" + id + ".scope/container\n", id},
		{"0::/user.slice/" + id + "\n", ""}, // a bare hash is not a container runtime's
		{"0::/docker/" + id[:63] + "\n", ""},
	}
	host, _ := os.ReadFile(filepath.Join("testdata", "proc", "cgroup-host"))
	tests = append(tests, struct{ in, want string }{string(host), ""})
	for _, tc := range tests {
		if got := ContainerIDFromCgroup(tc.in); got != tc.want {
			t.Errorf("ContainerIDFromCgroup(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestResolverWithoutDocker(t *testing.T) {
	r := NewResolver(ResolverConfig{DockerSocket: filepath.Join(t.TempDir(), "no.sock"), ProcRoot: "none"})
	c := r.Resolve(context.Background(), netip.MustParseAddrPort("172.17.0.9:4000"), netip.MustParseAddrPort("172.17.0.1:3128"))
	if c.Label() != "" || c.Addr.String() != "172.17.0.9:4000" {
		t.Errorf("resolved %+v without Docker or /proc", c)
	}
}

func TestClientLabel(t *testing.T) {
	tests := []struct {
		c    Client
		want string
	}{
		{Client{}, ""},
		{Client{PID: 42, Comm: "python3"}, "process/python3[42]"},
		{Client{ContainerID: strings.Repeat("a", 64)}, "container/aaaaaaaaaaaa"},
		{Client{ContainerID: "x", ContainerName: "web"}, "container/web"},
		{Client{ContainerName: "web", PID: 7, Comm: "node"}, "container/web process/node[7]"},
	}
	for _, tc := range tests {
		if got := tc.c.Label(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.c, got, tc.want)
		}
	}
}

func FuzzParseProcNetAddr(f *testing.F) {
	for _, s := range []string{"0100007F:1543", "00000000000000000000000001000000:E60C", "0000000000000000FFFF00000100007F:96DD", ":", "x:y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseProcNetAddr(s)
		if err != nil {
			return
		}
		if !a.IsValid() {
			t.Fatalf("%q: invalid address without error", s)
		}
		// Round trip: formatting the address the kernel's way gives the
		// input back (up to hex case).
		b := a.Addr().AsSlice()
		for i := 0; i+4 <= len(b); i += 4 {
			b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
		}
		got := strings.ToUpper(strings.TrimSpace(hexUpper(b) + ":" + hexPort(a.Port())))
		if got != strings.ToUpper(s) {
			t.Fatalf("%q parsed to %s, formats back as %q", s, a, got)
		}
	})
}

func hexUpper(b []byte) string {
	const hx = "0123456789ABCDEF"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, hx[c>>4], hx[c&15])
	}
	return string(out)
}

func hexPort(p uint16) string { return hexUpper([]byte{byte(p >> 8), byte(p)}) }

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(`{"gateway":["gw.corp.example"],"block":true,"sanctioned_vendors":["github-copilot"]}`))
	f.Add([]byte(`{"hosts":[{"vendor":"corp","kind":"api","hosts":["*.llm.corp.example"]}],"no_builtin":true}`))
	f.Add([]byte(`{"hosts":[{"vendor":"x","hosts":["*.com"]}]}`))
	f.Add([]byte(`{} {}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePolicy(b)
		if err != nil {
			if p != nil {
				t.Fatal("policy with error")
			}
			return
		}
		c, err := p.Catalogue()
		if err != nil || c == nil {
			t.Fatalf("a parsed policy's catalogue fails: %v", err)
		}
		for _, h := range p.Hosts {
			for _, name := range h.Hosts {
				if !strings.Contains(name, "*") && c.Match(name) == nil {
					t.Fatalf("configured host %q does not match", name)
				}
			}
		}
	})
}

// TestSockDiagAgreesWithProc looks up live sockets (IPv4, IPv6 and an
// IPv4 client of a dual-stack listener) through netlink and through
// /proc/net/tcp{,6}: both give the same inode.
func TestSockDiagAgreesWithProc(t *testing.T) {
	for _, tc := range []struct{ network, listen, dial string }{
		{"tcp4", "127.0.0.1:0", ""},
		{"tcp6", "[::1]:0", ""},
		{"tcp", "[::]:0", "127.0.0.1"},
	} {
		ln, err := net.Listen(tc.network, tc.listen)
		if err != nil {
			t.Logf("%s: %v", tc.listen, err)
			continue
		}
		target := ln.Addr().String()
		if tc.dial != "" {
			target = net.JoinHostPort(tc.dial, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
		}
		c, err := net.Dial("tcp", target)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := ln.Accept()
		local, remote := netip.MustParseAddrPort(c.LocalAddr().String()), netip.MustParseAddrPort(c.RemoteAddr().String())
		viaDiag, err := sockDiagInode(local, remote)
		if err != nil {
			t.Fatalf("%s: sock_diag: %v", target, err)
		}
		viaProc, err := socketInode("/proc/self/../", local, remote) // not "/proc": reads the files
		if err != nil || viaProc != viaDiag {
			t.Errorf("%s: sock_diag inode %d, /proc/net %d (%v)", target, viaDiag, viaProc, err)
		}
		// The server end is another socket; a made-up peer is none.
		if other, _ := sockDiagInode(remote, local); other == viaDiag || other == 0 {
			t.Errorf("%s: server end inode %d", target, other)
		}
		if _, err := sockDiagInode(local, netip.AddrPortFrom(remote.Addr(), 1)); !errors.Is(err, errNoSocket) {
			t.Errorf("%s: lookup of a missing socket: %v", target, err)
		}
		c.Close()
		s.Close()
		ln.Close()
	}
}

func TestParseSockDiagReply(t *testing.T) {
	for _, b := range [][]byte{nil, make([]byte, 15), {0xff, 0xff, 0xff, 0xff, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}} {
		if _, err := parseSockDiagReply(b); err == nil {
			t.Errorf("reply %x accepted", b)
		}
	}
}

func TestPolicyDecisions(t *testing.T) {
	tests := []struct {
		pol                 Policy
		vendor              string
		sanctioned, inspect bool
	}{
		{Policy{}, "openai", false, true},
		{Policy{}, GatewayVendor, true, false},
		{Policy{SanctionedVendors: []string{"github-copilot"}}, "github-copilot", true, false},
		{Policy{SanctionedVendors: []string{"github-copilot"}, InspectVendors: []string{"github-copilot"}}, "github-copilot", true, true},
		{Policy{InspectVendors: []string{"anthropic"}}, "openai", false, false},
		{Policy{InspectVendors: []string{GatewayVendor}}, GatewayVendor, true, false},
	}
	for _, tc := range tests {
		if s, i := tc.pol.Sanctioned(tc.vendor), tc.pol.Inspects(tc.vendor); s != tc.sanctioned || i != tc.inspect {
			t.Errorf("%+v %s: sanctioned %t inspect %t, want %t %t", tc.pol, tc.vendor, s, i, tc.sanctioned, tc.inspect)
		}
	}
}

func TestOnLocalBridge(t *testing.T) {
	// This host's own addresses and loopback are never container bridges;
	// a documentation address is on no interface.
	for _, a := range []string{"127.0.0.1", "::1", "198.51.100.7"} {
		if onLocalBridge(netip.MustParseAddr(a)) {
			t.Errorf("%s counted as on a container bridge", a)
		}
	}
	for _, n := range []string{"docker0", "br-1a2b3c4d5e6f", "cni0", "podman0"} {
		if !isBridgeName(n) {
			t.Errorf("%s not a bridge name", n)
		}
	}
	for _, n := range []string{"eth0", "lo", "wlan0", "veth12ab"} {
		if isBridgeName(n) {
			t.Errorf("%s taken for a container bridge", n)
		}
	}
}
