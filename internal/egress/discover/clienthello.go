package discover

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits on what ReadClientHello reads from an untrusted client. A real
// ClientHello is a few hundred bytes (1.5 KB with a post-quantum key share);
// the TLS record layer allows 16 KB per record, and a ClientHello may span
// records, so the reader accepts up to maxHello bytes of handshake message.
const (
	maxRecord  = 1<<14 + 256 // TLSPlaintext.length limit plus slack
	maxHello   = 1 << 16     // handshake message bytes accepted across records
	maxRecords = 16          // records read to reassemble one ClientHello
)

// ErrNotTLS reports that the first bytes of a tunnel are not a TLS
// handshake record: the tunnel carries another protocol.
var ErrNotTLS = errors.New("discover: not a TLS handshake")

// ClientHello is what the proxy learns from a TLS ClientHello without
// decrypting anything: the server name the client asked for and the
// application protocols it offered.
type ClientHello struct {
	ServerName string   // SNI host_name, lowercased; "" when absent
	ALPN       []string // offered application protocols, in order
	Version    uint16   // legacy_version field (0x0303 for TLS 1.2 and 1.3)
}

// ReadClientHello reads one TLS ClientHello from r and parses it. It returns
// every byte it read, also on error, so a proxy can replay them upstream.
// It reads no more than the records that make up the ClientHello, each
// bounded; a first byte other than a TLS handshake record's yields
// ErrNotTLS at once.
func ReadClientHello(r io.Reader) (*ClientHello, []byte, error) {
	var raw, msg []byte
	var hdr [5]byte
	for i := 0; i < maxRecords; i++ {
		// The first byte decides alone, so a client speaking another
		// protocol with a message shorter than a record header is not
		// kept waiting.
		n, err := io.ReadFull(r, hdr[:1])
		if err == nil {
			if hdr[0] != 0x16 {
				return nil, append(raw, hdr[0]), ErrNotTLS
			}
			n, err = io.ReadFull(r, hdr[1:])
			n++
		}
		raw = append(raw, hdr[:n]...)
		if err != nil {
			return nil, raw, fmt.Errorf("discover: read TLS record header: %w", err)
		}
		if hdr[1] != 3 {
			return nil, raw, fmt.Errorf("discover: TLS record version %#x%02x: %w", hdr[1], hdr[2], ErrNotTLS)
		}
		length := int(hdr[3])<<8 | int(hdr[4])
		if length == 0 || length > maxRecord {
			return nil, raw, fmt.Errorf("discover: TLS record length %d out of range", length)
		}
		start := len(raw)
		raw = append(raw, make([]byte, length)...)
		if n, err := io.ReadFull(r, raw[start:]); err != nil {
			return nil, raw[:start+n], fmt.Errorf("discover: read TLS record: %w", err)
		}
		msg = append(msg, raw[start:]...)
		if len(msg) < 4 {
			continue
		}
		if msg[0] != 1 {
			return nil, raw, fmt.Errorf("discover: handshake type %d is not ClientHello", msg[0])
		}
		want := int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3])
		if want > maxHello {
			return nil, raw, fmt.Errorf("discover: ClientHello length %d over %d", want, maxHello)
		}
		if len(msg)-4 >= want {
			h, err := ParseClientHello(msg[:4+want])
			return h, raw, err
		}
	}
	return nil, raw, fmt.Errorf("discover: ClientHello spans more than %d records", maxRecords)
}

// ParseClientHello parses a handshake message (type, 24-bit length, body)
// holding a ClientHello. It never reads outside msg.
func ParseClientHello(msg []byte) (*ClientHello, error) {
	s := cursor(msg)
	typ, ok := s.u8()
	if !ok || typ != 1 {
		return nil, errors.New("discover: not a ClientHello handshake message")
	}
	body, ok := s.vec24()
	if !ok || len(s) != 0 {
		return nil, errors.New("discover: ClientHello length does not match the message")
	}
	h := &ClientHello{}
	var skip cursor
	if h.Version, ok = body.u16(); !ok {
		return nil, errors.New("discover: ClientHello truncated at version")
	}
	if _, ok = body.bytes(32); !ok {
		return nil, errors.New("discover: ClientHello truncated at random")
	}
	if skip, ok = body.vec8(); !ok || len(skip) > 32 {
		return nil, errors.New("discover: ClientHello bad session id")
	}
	if skip, ok = body.vec16(); !ok || len(skip)%2 != 0 || len(skip) == 0 {
		return nil, errors.New("discover: ClientHello bad cipher suites")
	}
	if skip, ok = body.vec8(); !ok || len(skip) == 0 {
		return nil, errors.New("discover: ClientHello bad compression methods")
	}
	if len(body) == 0 {
		return h, nil // no extensions: legal before TLS 1.2, and carries no SNI
	}
	exts, ok := body.vec16()
	if !ok || len(body) != 0 {
		return nil, errors.New("discover: ClientHello bad extensions block")
	}
	seen := map[uint16]bool{}
	for len(exts) > 0 {
		typ, ok1 := exts.u16()
		data, ok2 := exts.vec16()
		if !ok1 || !ok2 {
			return nil, errors.New("discover: ClientHello truncated extension")
		}
		if seen[typ] {
			return nil, fmt.Errorf("discover: ClientHello repeats extension %d", typ)
		}
		seen[typ] = true
		var err error
		switch typ {
		case 0: // server_name, RFC 6066 section 3
			h.ServerName, err = parseServerName(data)
		case 16: // application_layer_protocol_negotiation, RFC 7301
			h.ALPN, err = parseALPN(data)
		}
		if err != nil {
			return nil, err
		}
	}
	return h, nil
}

func parseServerName(data cursor) (string, error) {
	list, ok := data.vec16()
	if !ok || len(data) != 0 || len(list) == 0 {
		return "", errors.New("discover: bad server_name extension")
	}
	name := ""
	for len(list) > 0 {
		typ, ok1 := list.u8()
		v, ok2 := list.vec16()
		if !ok1 || !ok2 {
			return "", errors.New("discover: truncated server_name entry")
		}
		if typ != 0 { // only host_name is defined
			continue
		}
		if name != "" {
			return "", errors.New("discover: two host_name entries in server_name")
		}
		if len(v) == 0 || len(v) > 253 {
			return "", fmt.Errorf("discover: server name of %d bytes", len(v))
		}
		for _, c := range v {
			if c <= ' ' || c >= 0x7f {
				return "", errors.New("discover: server name holds a control or non-ASCII byte")
			}
		}
		name = strings.TrimSuffix(strings.ToLower(string(v)), ".")
	}
	return name, nil
}

func parseALPN(data cursor) ([]string, error) {
	list, ok := data.vec16()
	if !ok || len(data) != 0 || len(list) == 0 {
		return nil, errors.New("discover: bad ALPN extension")
	}
	var protos []string
	for len(list) > 0 {
		p, ok := list.vec8()
		if !ok || len(p) == 0 {
			return nil, errors.New("discover: bad ALPN protocol name")
		}
		protos = append(protos, string(p))
	}
	return protos, nil
}

// cursor reads big-endian TLS wire fields from a byte slice, consuming what
// it returns; every method reports false instead of reading past the end.
type cursor []byte

func (c *cursor) bytes(n int) (cursor, bool) {
	if n < 0 || len(*c) < n {
		return nil, false
	}
	v := (*c)[:n]
	*c = (*c)[n:]
	return v, true
}

func (c *cursor) u8() (uint8, bool) {
	b, ok := c.bytes(1)
	if !ok {
		return 0, false
	}
	return b[0], true
}

func (c *cursor) u16() (uint16, bool) {
	b, ok := c.bytes(2)
	if !ok {
		return 0, false
	}
	return uint16(b[0])<<8 | uint16(b[1]), true
}

func (c *cursor) vec8() (cursor, bool) {
	n, ok := c.u8()
	if !ok {
		return nil, false
	}
	return c.bytes(int(n))
}

func (c *cursor) vec16() (cursor, bool) {
	n, ok := c.u16()
	if !ok {
		return nil, false
	}
	return c.bytes(int(n))
}

func (c *cursor) vec24() (cursor, bool) {
	b, ok := c.bytes(3)
	if !ok {
		return nil, false
	}
	return c.bytes(int(b[0])<<16 | int(b[1])<<8 | int(b[2]))
}
