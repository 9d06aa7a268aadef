package discover

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pavesec/pave/internal/egress/audit"
)

const runtimeImage = "pave-test/runtime:bookworm" // built by scripts/setup.sh

// dockerReady skips unless the Docker engine answers and has the test
// image, and returns the bridge gateway address containers reach the host by.
func dockerReady(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("docker CLI not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := exec.CommandContext(ctx, "docker", "image", "inspect", runtimeImage).Run(); err != nil {
		t.Skipf("docker or image %s unavailable (run scripts/setup.sh): %v", runtimeImage, err)
	}
	// The default bridge's host side, docker0, is where containers reach
	// the host.
	ifc, err := net.InterfaceByName("docker0")
	if err != nil {
		t.Skipf("no docker0 bridge (dockerd runs with --bridge=none?): %v", err)
	}
	as, _ := ifc.Addrs()
	gw := ""
	for _, a := range as {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			gw = n.IP.String()
		}
	}
	if gw == "" {
		t.Skip("docker0 has no IPv4 address")
	}
	return gw
}

// TestContainerClient runs a real container that opens a CONNECT tunnel
// through the proxy with netcat and sends a captured ClientHello: the
// record names the container, found through the Docker Engine API. The
// container lives on for two seconds after its connection, as the tools
// this is about do: on a loaded machine the engine can list a container
// later than its first connection closes.
func TestContainerClient(t *testing.T) {
	gw := dockerReady(t)
	pki := newTestPKI(t)
	ai := vendorServer(t, pki, "api.openai.com")
	h := startProxyOn(t, gw+":0", nil, map[string]string{"api.openai.com:443": ai.Listener.Addr().String()},
		func(c *Config) { c.Resolver = NewResolver(ResolverConfig{}) })
	seeds, _ := filepath.Abs(filepath.Join("testdata", "clienthello"))
	b := make([]byte, 4)
	rand.Read(b)
	name := "pave-discover-test-" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	defer exec.Command("docker", "rm", "-f", name).Run()
	_, port, _ := net.SplitHostPort(h.addr)
	cidFile := filepath.Join(t.TempDir(), "cid")
	cmd := exec.CommandContext(ctx, "docker", "run", "--rm", "--name", name, "--cidfile", cidFile, "-v", seeds+":/t:ro", runtimeImage,
		"sh", "-c", "timeout 10 nc -N -X connect -x "+gw+":"+port+" api.openai.com 443 < /t/curl-openai.bin | head -c 5 | od -An -tx1; sleep 2")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("container: %v\n%s", err, out)
	}
	// The stand-in vendor answered the ClientHello with a TLS handshake record.
	if !strings.HasPrefix(strings.TrimSpace(string(out)), "16 03") {
		t.Errorf("container read %q through the tunnel, want a TLS handshake record", out)
	}
	es := h.entries()
	if len(es) != 1 {
		t.Fatalf("%d entries: %+v", len(es), es)
	}
	e := es[0]
	if e.Vendor != "openai" || strings.HasPrefix(e.Identity.Source, "127.") || strings.HasPrefix(e.Identity.Source, gw+":") {
		t.Errorf("entry identity %+v vendor %q", e.Identity, e.Vendor)
	}
	// The container's id as Docker wrote it; the bridge client is in
	// another network namespace, so no process is named.
	cid := strings.TrimSpace(string(mustRead(t, cidFile)))
	want := &audit.Discovery{SNI: "api.openai.com", ALPN: []string{"h2", "http/1.1"}, EndpointKind: "api",
		Client: "container/" + name, ContainerID: cid, ContainerName: name, Image: runtimeImage}
	if d := cmp.Diff(want, e.Discovery); d != "" || len(cid) != 64 {
		t.Errorf("discovery (-want +got), container id %q:\n%s", cid, d)
	}
	if want := int64(len(mustRead(t, filepath.Join(seeds, "curl-openai.bin")))); e.RequestBytes != want {
		t.Errorf("bytes up %d, want the hello's %d", e.RequestBytes, want)
	}
	if len(e.Findings) != 1 { // unsanctioned only: the SNI matches the CONNECT host
		t.Errorf("findings %+v", e.Findings)
	}
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHostNetworkContainerClient: a container on the host's network shares
// the proxy's network namespace, so its process is found through the
// socket (sock_diag, /proc/*/fd) and its container through the process's
// cgroup, then named through the Engine API.
func TestHostNetworkContainerClient(t *testing.T) {
	dockerReady(t)
	pki := newTestPKI(t)
	ai := vendorServer(t, pki, "api.openai.com")
	h := startProxy(t, nil, map[string]string{"api.openai.com:443": ai.Listener.Addr().String()},
		func(c *Config) { c.Resolver = NewResolver(ResolverConfig{}) })
	seeds, _ := filepath.Abs(filepath.Join("testdata", "clienthello"))
	b := make([]byte, 4)
	rand.Read(b)
	name := "pave-discover-hostnet-" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	defer exec.Command("docker", "rm", "-f", name).Run()
	cmd := exec.CommandContext(ctx, "docker", "run", "--rm", "--name", name, "--network", "host", "-v", seeds+":/t:ro", runtimeImage,
		"sh", "-c", "timeout 10 nc -N -X connect -x "+h.addr+" api.openai.com 443 < /t/go-openai-h2.bin | head -c 5 | od -An -tx1")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.HasPrefix(strings.TrimSpace(string(out)), "16 03") {
		t.Fatalf("container: %v %q", err, out)
	}
	es := h.entries()
	if len(es) != 1 {
		t.Fatalf("%d entries: %+v", len(es), es)
	}
	d := es[0].Discovery
	if d == nil {
		t.Fatalf("entry without discovery: %+v", es[0])
	}
	if want := "container/" + name + " process/nc["; !strings.HasPrefix(d.Client, want) || es[0].Vendor != "openai" {
		t.Errorf("client %q vendor %q, want prefix %q", d.Client, es[0].Vendor, want)
	}
	if d.ContainerName != name || len(d.ContainerID) != 64 || d.Image != runtimeImage || d.Comm != "nc" || d.PID <= 0 ||
		d.SNI != "api.openai.com" || d.Sanctioned || es[0].Identity.User != "" {
		t.Errorf("discovery %+v identity %+v", d, es[0].Identity)
	}
}
