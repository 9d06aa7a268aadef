package baseline

import (
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/pavesec/pave/internal/sensor/event"
)

// peer is a parsed connect or listen entry.
type peer struct {
	unix   string       // unix socket path (or glob); the rest is unset
	any    bool         // address "*"
	prefix netip.Prefix // the address, as a /32 or /128 when a single IP
	port   int          // -1 for "*"
	proto  string       // "tcp", "udp" or "*"
}

// parsePeer reads "addr:port/proto" (listen: "port/proto") or "unix:/path".
func parsePeer(s string, listen bool) (peer, error) {
	if p, ok := strings.CutPrefix(s, "unix:"); ok {
		if err := checkPattern(p); err != nil {
			return peer{}, err
		}
		return peer{unix: p}, nil
	}
	hostPort, proto, ok := strings.Cut(s, "/")
	if listen {
		hostPort = "*:" + hostPort
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 {
		// A CIDR has a "/" of its own: split the protocol off the end.
		j := strings.LastIndexByte(s, '/')
		if j < i {
			return peer{}, fmt.Errorf("%q: want addr:port/proto", clip(s))
		}
		hostPort, proto, ok = s[:j], s[j+1:], true
	}
	if !ok {
		return peer{}, fmt.Errorf("%q: want %s", clip(s), cmpStr(listen, "port/proto", "addr:port/proto"))
	}
	var p peer
	switch proto {
	case "tcp", "udp", "*":
		p.proto = proto
	default:
		return peer{}, fmt.Errorf("%q: protocol %q is not tcp, udp or *", clip(s), clip(proto))
	}
	i := strings.LastIndexByte(hostPort, ':')
	if i < 0 {
		return peer{}, fmt.Errorf("%q: want %s", clip(s), cmpStr(listen, "port/proto", "addr:port/proto"))
	}
	host, port := hostPort[:i], hostPort[i+1:]
	if port == "*" {
		p.port = -1
	} else {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return peer{}, fmt.Errorf("%q: port %q is not 0-65535 or *", clip(s), clip(port))
		}
		p.port = int(n)
	}
	switch {
	case host == "*":
		p.any = true
	case strings.Contains(host, "/"):
		pf, err := netip.ParsePrefix(strings.Trim(host, "[]"))
		if err != nil {
			return peer{}, fmt.Errorf("%q: %w", clip(s), err)
		}
		p.prefix = pf.Masked()
	default:
		h := host
		if strings.HasPrefix(h, "[") != strings.HasSuffix(h, "]") {
			return peer{}, fmt.Errorf("%q: unbalanced brackets", clip(s))
		}
		a, err := netip.ParseAddr(strings.Trim(h, "[]"))
		if err != nil {
			return peer{}, fmt.Errorf("%q: %w", clip(s), err)
		}
		if a.Is6() && !strings.HasPrefix(h, "[") {
			return peer{}, fmt.Errorf("%q: write an IPv6 address in brackets", clip(s))
		}
		p.prefix = netip.PrefixFrom(a, a.BitLen())
	}
	return p, nil
}

func cmpStr(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// matches reports whether the observed peer o (exact address or unix
// path) is covered by p.
func (p peer) matches(o observed) bool {
	if p.unix != "" || o.unix != "" {
		return p.unix != "" && o.unix != "" && matchPath(p.unix, o.unix)
	}
	if p.proto != "*" && p.proto != o.proto {
		return false
	}
	if p.port >= 0 && p.port != o.port {
		return false
	}
	return p.any || (o.addr.IsValid() && p.prefix.Contains(o.addr))
}

// observed is a peer as an event shows it.
type observed struct {
	unix  string
	addr  netip.Addr // zero for listen
	port  int
	proto string
}

// String is the entry a baseline records for o.
func (o observed) String() string {
	if o.unix != "" {
		return "unix:" + o.unix
	}
	proto := o.proto
	if proto == "" {
		proto = "*"
	}
	if !o.addr.IsValid() {
		return strconv.Itoa(o.port) + "/" + proto
	}
	return netip.AddrPortFrom(o.addr, uint16(o.port)).String() + "/" + proto
}

// general is o with the address generalised: "*:port/proto".
func (o observed) general() string {
	if o.unix != "" || !o.addr.IsValid() {
		return o.String()
	}
	return "*:" + strconv.Itoa(o.port) + "/" + cmpStr(o.proto == "", "*", o.proto)
}

// netOf reads the peer of a connect (remote) or of a bind or accept
// (the local, listening side). ok is false for events that name none
// (an ephemeral bind to port 0, an unparsable address).
func netOf(ev *event.Event) (o observed, listen, ok bool) {
	n := ev.Net
	if n == nil {
		return observed{}, false, false
	}
	listen = ev.Type == event.Bind || ev.Type == event.Accept
	if n.Family == "unix" {
		if !strings.HasPrefix(n.DstAddr, "/") {
			return observed{}, listen, false // abstract or unnamed socket
		}
		return observed{unix: path.Clean(n.DstAddr)}, listen, true
	}
	o.proto = n.Protocol
	if listen {
		o.port = int(n.SrcPort)
		return o, true, o.port != 0
	}
	a, err := netip.ParseAddr(n.DstAddr)
	if err != nil || n.DstPort == 0 {
		return observed{}, false, false
	}
	o.addr, o.port = a.Unmap(), int(n.DstPort)
	return o, false, true
}

// matchPath reports whether p matches pattern: an exact path, a
// path.Match glob, or dir/** for anything under dir.
func matchPath(pattern, p string) bool {
	if pattern == p {
		return true
	}
	if dir, ok := strings.CutSuffix(pattern, "/**"); ok {
		if dir == "" {
			return true
		}
		if strings.HasPrefix(p, dir+"/") {
			return true
		}
		// the directory part itself may be a glob
		if strings.ContainsAny(dir, "*?[\\") {
			for d := path.Dir(p); d != "/" && d != "."; d = path.Dir(d) {
				if ok, _ := path.Match(dir, d); ok {
					return true
				}
			}
		}
		return false
	}
	ok, _ := path.Match(pattern, p)
	return ok
}

// patterns is a list of path entries, exact ones in a set.
type patterns struct {
	exact map[string]bool
	globs []string
}

func newPatterns(items []string) patterns {
	ps := patterns{exact: map[string]bool{}}
	for _, s := range items {
		if strings.ContainsAny(s, "*?[\\") {
			ps.globs = append(ps.globs, s)
		} else {
			ps.exact[s] = true
		}
	}
	return ps
}

func (ps patterns) match(p string) bool {
	if ps.exact[p] {
		return true
	}
	return slices.ContainsFunc(ps.globs, func(g string) bool { return matchPath(g, p) })
}

// generalizePaths turns the written paths into a reviewable list: where a
// directory has more than threshold distinct entries beneath it (files or
// subdirectories), the entries become "dir/*" (all files directly in it)
// or "dir/**" (when some lie deeper). The shallowest such directory wins;
// "/" itself is never generalised.
func generalizePaths(paths []string, threshold int) []string {
	if threshold <= 0 {
		return slices.Compact(slices.Sorted(slices.Values(paths)))
	}
	children := map[string]map[string]bool{}
	deep := map[string]bool{}
	for _, p := range paths {
		parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
		for i := 1; i < len(parts); i++ {
			d := "/" + strings.Join(parts[:i], "/")
			if children[d] == nil {
				children[d] = map[string]bool{}
			}
			children[d][parts[i]] = true
			if i < len(parts)-1 {
				deep[d] = true
			}
		}
	}
	var out []string
	for _, p := range paths {
		entry := p
		parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
		for i := 1; i < len(parts); i++ {
			d := "/" + strings.Join(parts[:i], "/")
			if len(children[d]) > threshold {
				entry = d + cmpStr(deep[d], "/**", "/*")
				break
			}
		}
		out = append(out, entry)
	}
	return slices.Compact(slices.Sorted(slices.Values(out)))
}
