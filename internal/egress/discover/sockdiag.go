package discover

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// Netlink sock_diag (linux/inet_diag.h): one exact lookup of a TCP socket
// by its four-tuple costs microseconds, where reading /proc/net/tcp walks
// every socket on the host (about 4 µs a socket here).
const (
	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
	netlinkInetDiag  = 4  // NETLINK_INET_DIAG (NETLINK_SOCK_DIAG)
	nlmsgError       = 2
	nlmHdrLen        = 16
	inetDiagReqLen   = 56 // inet_diag_req_v2 with its inet_diag_sockid
	inetDiagMsgLen   = 72 // inet_diag_msg
)

var errNoSocket = errors.New("discover: sock_diag: no such socket")

// sockDiagInode asks the kernel for the inode of the TCP socket whose
// local end is local and remote end is remote, in the caller's network
// namespace.
func sockDiagInode(local, remote netip.AddrPort) (uint64, error) {
	family := syscall.AF_INET
	if local.Addr().Is6() && !local.Addr().Is4In6() {
		family = syscall.AF_INET6
	}
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, netlinkInetDiag)
	if err != nil {
		return 0, fmt.Errorf("discover: sock_diag: %w", err)
	}
	defer syscall.Close(fd)
	tv := syscall.Timeval{Usec: 200000}
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	req := sockDiagRequest(family, local, remote)
	if err := syscall.Sendto(fd, req, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return 0, fmt.Errorf("discover: sock_diag: send: %w", err)
	}
	buf := make([]byte, 4096)
	n, _, err := syscall.Recvfrom(fd, buf, 0)
	if err != nil {
		return 0, fmt.Errorf("discover: sock_diag: receive: %w", err)
	}
	return parseSockDiagReply(buf[:n])
}

// sockDiagRequest builds the netlink message for an exact lookup.
func sockDiagRequest(family int, local, remote netip.AddrPort) []byte {
	b := make([]byte, nlmHdrLen+inetDiagReqLen)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], sockDiagByFamily)
	ne.PutUint16(b[6:], syscall.NLM_F_REQUEST)
	ne.PutUint32(b[8:], 1) // seq
	r := b[nlmHdrLen:]
	r[0] = byte(family)
	r[1] = syscall.IPPROTO_TCP
	ne.PutUint32(r[4:], 0xffffffff) // every state
	id := r[8:]
	binary.BigEndian.PutUint16(id[0:], local.Port())
	binary.BigEndian.PutUint16(id[2:], remote.Port())
	putAddr(id[4:20], local.Addr(), family)
	putAddr(id[20:36], remote.Addr(), family)
	ne.PutUint32(id[40:], 0xffffffff) // INET_DIAG_NOCOOKIE
	ne.PutUint32(id[44:], 0xffffffff)
	return b
}

func putAddr(dst []byte, a netip.Addr, family int) {
	if family == syscall.AF_INET {
		v4 := a.Unmap().As4()
		copy(dst, v4[:])
		return
	}
	v6 := a.As16()
	copy(dst, v6[:])
}

// parseSockDiagReply reads the inode from the kernel's answer: one
// inet_diag_msg, or an error message (ENOENT when no socket matches).
func parseSockDiagReply(b []byte) (uint64, error) {
	ne := binary.NativeEndian
	if len(b) < nlmHdrLen {
		return 0, errors.New("discover: sock_diag: short reply")
	}
	l, typ := ne.Uint32(b[0:]), ne.Uint16(b[4:])
	if int(l) > len(b) || l < nlmHdrLen {
		return 0, errors.New("discover: sock_diag: bad reply length")
	}
	switch typ {
	case nlmsgError:
		if l >= nlmHdrLen+4 {
			if errno := -int32(ne.Uint32(b[nlmHdrLen:])); errno == int32(syscall.ENOENT) {
				return 0, errNoSocket
			} else if errno != 0 {
				return 0, fmt.Errorf("discover: sock_diag: %w", syscall.Errno(errno))
			}
		}
		return 0, errNoSocket
	case sockDiagByFamily:
		if l < nlmHdrLen+inetDiagMsgLen {
			return 0, errors.New("discover: sock_diag: short inet_diag_msg")
		}
		inode := ne.Uint32(b[nlmHdrLen+68:])
		if inode == 0 {
			return 0, errNoSocket
		}
		return uint64(inode), nil
	}
	return 0, fmt.Errorf("discover: sock_diag: unexpected reply type %d", typ)
}
