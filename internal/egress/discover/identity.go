package discover

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client is who opened a proxied connection, as far as the proxy can tell.
type Client struct {
	Addr netip.AddrPort `json:"addr"`
	// Container is set when the source address belongs to a Docker
	// container, or the local process runs in one.
	ContainerID   string `json:"container_id,omitempty"`
	ContainerName string `json:"container_name,omitempty"`
	Image         string `json:"image,omitempty"`
	// PID and Comm are set when the client is a process on this host (in
	// the proxy's network namespace).
	PID  int    `json:"pid,omitempty"`
	Comm string `json:"comm,omitempty"`
}

// Label is a short human name for the client: the container name, else
// the process, else "".
func (c Client) Label() string {
	switch {
	case c.ContainerName != "" && c.Comm != "":
		return "container/" + c.ContainerName + " process/" + c.Comm + "[" + strconv.Itoa(c.PID) + "]"
	case c.ContainerName != "":
		return "container/" + c.ContainerName
	case c.ContainerID != "":
		return "container/" + shortID(c.ContainerID)
	case c.Comm != "":
		return "process/" + c.Comm + "[" + strconv.Itoa(c.PID) + "]"
	}
	return ""
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Resolver attributes client addresses to containers (through the Docker
// Engine API) and to local processes (through /proc). It caches the
// container list for a few seconds. Safe for concurrent use.
type Resolver struct {
	docker   *http.Client // nil: no Docker attribution
	procRoot string       // "" : no process attribution
	ttl      time.Duration

	mu      sync.Mutex
	recent  []int // pids found lately, most recent first: AI tools reconnect often
	fetched time.Time
	listErr error
	byIP    map[netip.Addr]container
	byID    map[string]container
}

type container struct{ id, name, image string }

// ResolverConfig configures a Resolver.
type ResolverConfig struct {
	// DockerSocket is the Engine API's unix socket; "" means
	// /var/run/docker.sock, "none" turns container lookup off.
	DockerSocket string
	// ProcRoot is where procfs is mounted; "" means /proc, "none" turns
	// local process lookup off.
	ProcRoot string
}

// NewResolver returns a resolver. It does not contact Docker until the
// first lookup.
func NewResolver(cfg ResolverConfig) *Resolver {
	r := &Resolver{procRoot: cfg.ProcRoot, ttl: 5 * time.Second}
	if r.procRoot == "" {
		r.procRoot = "/proc"
	}
	if r.procRoot == "none" {
		r.procRoot = ""
	}
	sock := cfg.DockerSocket
	if sock == "" {
		sock = "/var/run/docker.sock"
	}
	if sock != "none" {
		r.docker = &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", sock)
			},
		}}
	}
	return r
}

// Resolve attributes the connection from client to the proxy's local
// address server: Local, then Container. Lookups that fail leave their
// fields empty: attribution is best effort and never stops traffic.
func (r *Resolver) Resolve(ctx context.Context, client, server netip.AddrPort) Client {
	c := r.Local(ctx, client, server)
	r.Container(ctx, &c)
	return c
}

// Local finds the process holding the client's socket when the client is
// on this host, in the proxy's network namespace. It must run while the
// client's connection is open.
func (r *Resolver) Local(ctx context.Context, client, server netip.AddrPort) Client {
	c := Client{Addr: client}
	if r.procRoot != "" && isLocal(client.Addr()) {
		if pid, comm, cid, err := r.localProcess(ctx, client, server); err == nil {
			c.PID, c.Comm, c.ContainerID = pid, comm, cid
		}
	}
	return c
}

// containerWait is how long Container keeps looking for an address the
// engine does not list yet: a container's first connection can come
// before the engine lists it.
const containerWait = 5 * time.Second

// Container names the container of c (by the container id Local found,
// else by c's address) through the Docker Engine API.
func (r *Resolver) Container(ctx context.Context, c *Client) {
	if r.docker == nil {
		return
	}
	if c.ContainerID != "" {
		if ct, ok, _ := r.container(ctx, func(_ map[netip.Addr]container, ids map[string]container) (container, bool) {
			ct, ok := ids[c.ContainerID]
			return ct, ok
		}); ok {
			c.ContainerName, c.Image = ct.name, ct.image
		}
		return
	}
	deadline := time.Now().Add(containerWait)
	for {
		ct, ok, err := r.container(ctx, func(cs map[netip.Addr]container, _ map[string]container) (container, bool) {
			ct, ok := cs[c.Addr.Addr().Unmap()]
			return ct, ok
		})
		if ok {
			c.ContainerID, c.ContainerName, c.Image = ct.id, ct.name, ct.image
			return
		}
		if err != nil || time.Now().After(deadline) || !onLocalBridge(c.Addr.Addr()) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(minRefresh):
		}
	}
}

// minRefresh is the shortest interval between two container listings.
const minRefresh = 200 * time.Millisecond

// container looks in the cached container list, refreshing it when stale
// or when the lookup misses and the list is older than minRefresh.
// An engine that failed to answer is asked again only after the cache
// lifetime, and the error is returned so callers stop waiting.
func (r *Resolver) container(ctx context.Context, find func(map[netip.Addr]container, map[string]container) (container, bool)) (container, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	age := time.Since(r.fetched)
	if age < r.ttl {
		if r.listErr != nil {
			return container{}, false, r.listErr
		}
		if ct, ok := find(r.byIP, r.byID); ok || age < minRefresh {
			return ct, ok, nil
		}
	}
	byIP, byID, err := listContainers(ctx, r.docker)
	r.fetched, r.listErr = time.Now(), err
	if err != nil {
		r.byIP, r.byID = nil, nil
		return container{}, false, err
	}
	r.byIP, r.byID = byIP, byID
	ct, ok := find(byIP, byID)
	return ct, ok, nil
}

// onLocalBridge reports whether a lies in the subnet of one of this
// host's container bridges (docker0, Docker's br-*, CNI and Podman
// bridges), where a container the engine does not list yet may be.
func onLocalBridge(a netip.Addr) bool {
	a = a.Unmap()
	ifcs, err := net.Interfaces()
	if err != nil {
		return false
	}
	for _, ifc := range ifcs {
		if !isBridgeName(ifc.Name) {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, ia := range addrs {
			n, ok := ia.(*net.IPNet)
			if !ok {
				continue
			}
			if ip, _ := netip.AddrFromSlice(n.IP); ip.Unmap() != a && n.Contains(a.AsSlice()) {
				return true
			}
		}
	}
	return false
}

func isBridgeName(name string) bool {
	for _, p := range []string{"docker", "br-", "cni", "podman"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// listContainers asks the Docker Engine API for containers and their
// addresses on every network. It asks for all containers, not only running
// ones: a container's first connection can come before the engine lists it
// as running (its network is up while its state still says created).
// Stopped containers hold no address; a running container wins a clash.
func listContainers(ctx context.Context, hc *http.Client) (map[netip.Addr]container, map[string]container, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/containers/json?all=1", nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("discover: docker: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("discover: docker: GET /containers/json: %s", resp.Status)
	}
	var list []struct {
		ID              string   `json:"Id"`
		State           string   `json:"State"`
		Names           []string `json:"Names"`
		Image           string   `json:"Image"`
		NetworkSettings struct {
			Networks map[string]struct {
				IPAddress         string `json:"IPAddress"`
				GlobalIPv6Address string `json:"GlobalIPv6Address"`
			} `json:"Networks"`
		} `json:"NetworkSettings"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(&list); err != nil {
		return nil, nil, fmt.Errorf("discover: docker: decode container list: %w", err)
	}
	byIP, byID := map[netip.Addr]container{}, map[string]container{}
	for _, c := range list {
		ct := container{id: c.ID, image: c.Image}
		if len(c.Names) > 0 {
			ct.name = strings.TrimPrefix(c.Names[0], "/")
		}
		byID[c.ID] = ct
		for _, n := range c.NetworkSettings.Networks {
			for _, s := range []string{n.IPAddress, n.GlobalIPv6Address} {
				if a, err := netip.ParseAddr(s); err == nil {
					if _, taken := byIP[a]; !taken || c.State == "running" {
						byIP[a] = ct
					}
				}
			}
		}
	}
	return byIP, byID, nil
}

func isLocal(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, ia := range addrs {
		if n, ok := ia.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == a {
				return true
			}
		}
	}
	return false
}

// localProcess finds the process holding the client end of a TCP
// connection in this network namespace: the socket inode from
// /proc/net/tcp{,6}, then the process with that inode among its open files.
func (r *Resolver) localProcess(ctx context.Context, client, server netip.AddrPort) (int, string, string, error) {
	inode, err := socketInode(r.procRoot, client, server)
	if err != nil {
		return 0, "", "", err
	}
	r.mu.Lock()
	recent := slices.Clone(r.recent)
	r.mu.Unlock()
	pid, err := inodeOwner(ctx, r.procRoot, inode, recent)
	if err != nil {
		return 0, "", "", err
	}
	r.mu.Lock()
	r.recent = slices.Insert(slices.DeleteFunc(r.recent, func(p int) bool { return p == pid }), 0, pid)
	if len(r.recent) > maxRecent {
		r.recent = r.recent[:maxRecent]
	}
	r.mu.Unlock()
	comm, _ := os.ReadFile(filepath.Join(r.procRoot, strconv.Itoa(pid), "comm"))
	cg, _ := os.ReadFile(filepath.Join(r.procRoot, strconv.Itoa(pid), "cgroup"))
	return pid, strings.TrimSpace(string(comm)), ContainerIDFromCgroup(string(cg)), nil
}

// socketInode finds the inode of the TCP socket whose local end is local
// and whose remote end is remote: through netlink sock_diag, else (no
// netlink, or another procfs) by reading /proc/net/tcp{,6}.
func socketInode(procRoot string, local, remote netip.AddrPort) (uint64, error) {
	if procRoot == "/proc" { // the live kernel: ask it directly
		inode, err := sockDiagInode(local, remote)
		if err == nil || errors.Is(err, errNoSocket) {
			return inode, err
		}
	}
	for _, name := range []string{"net/tcp", "net/tcp6"} {
		f, err := os.Open(filepath.Join(procRoot, name))
		if err != nil {
			continue
		}
		inode, found := scanProcNetTCP(f, local, remote)
		f.Close()
		if found {
			return inode, nil
		}
	}
	return 0, fmt.Errorf("discover: no socket %s -> %s in %s/net/tcp", local, remote, procRoot)
}

// scanProcNetTCP reads a /proc/net/tcp or tcp6 table.
func scanProcNetTCP(r io.Reader, local, remote netip.AddrPort) (uint64, bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 4096)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 || !strings.HasSuffix(f[0], ":") {
			continue
		}
		l, err1 := ParseProcNetAddr(f[1])
		rm, err2 := ParseProcNetAddr(f[2])
		if err1 != nil || err2 != nil {
			continue
		}
		if sameEnd(l, local) && sameEnd(rm, remote) {
			inode, err := strconv.ParseUint(f[9], 10, 64)
			if err == nil && inode != 0 {
				return inode, true
			}
		}
	}
	return 0, false
}

func sameEnd(a, b netip.AddrPort) bool {
	return a.Port() == b.Port() && a.Addr().Unmap() == b.Addr().Unmap()
}

// ParseProcNetAddr parses an address as /proc/net/tcp{,6} prints it: the
// IP as hex 32-bit words in host (little-endian) order, a colon, the port
// in big-endian hex.
func ParseProcNetAddr(s string) (netip.AddrPort, error) {
	ip, port, ok := strings.Cut(s, ":")
	if !ok || len(port) != 4 || (len(ip) != 8 && len(ip) != 32) {
		return netip.AddrPort{}, fmt.Errorf("discover: bad /proc/net address %q", s)
	}
	b, err := hex.DecodeString(ip)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("discover: bad /proc/net address %q", s)
	}
	p, err := strconv.ParseUint(port, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("discover: bad /proc/net port %q", s)
	}
	for i := 0; i+4 <= len(b); i += 4 { // each 32-bit word is little-endian
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	a, _ := netip.AddrFromSlice(b)
	return netip.AddrPortFrom(a, uint16(p)), nil
}

// maxRecent bounds the pids inodeOwner tries first.
const maxRecent = 8

// inodeOwner finds a process holding socket inode among its descriptors,
// trying the pids in first before walking every process (which costs a
// readlink per open descriptor on the host).
func inodeOwner(ctx context.Context, procRoot string, inode uint64, first []int) (int, error) {
	want := "socket:[" + strconv.FormatUint(inode, 10) + "]"
	for _, pid := range first {
		if holds(procRoot, strconv.Itoa(pid), want) {
			return pid, nil
		}
	}
	ents, err := os.ReadDir(procRoot)
	if err != nil {
		return 0, fmt.Errorf("discover: read %s: %w", procRoot, err)
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || slices.Contains(first, pid) {
			continue
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if holds(procRoot, e.Name(), want) {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("discover: no process holds %s", want)
}

// holds reports whether process pid has a descriptor linking to want.
func holds(procRoot, pid, want string) bool {
	fdDir := filepath.Join(procRoot, pid, "fd")
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if l, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil && l == want {
			return true
		}
	}
	return false
}

var containerIDRe = regexp.MustCompile(`(?:docker-|docker/|cri-containerd-|crio-|libpod-)([0-9a-f]{64})`)

// ContainerIDFromCgroup returns the container id named in a process's
// /proc/PID/cgroup (cgroup v1 or v2, Docker, containerd, CRI-O, Podman), or
// "".
func ContainerIDFromCgroup(cgroup string) string {
	if m := containerIDRe.FindStringSubmatch(cgroup); m != nil {
		return m[1]
	}
	return ""
}
