package discover

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The seed ClientHellos in testdata/clienthello were captured on this
// machine from curl, openssl s_client and Go's crypto/tls (see the README).
var helloSeeds = []struct {
	file string
	want ClientHello
}{
	{"curl-openai.bin", ClientHello{ServerName: "api.openai.com", ALPN: []string{"h2", "http/1.1"}, Version: 0x0303}},
	{"curl-anthropic-tls12-http11.bin", ClientHello{ServerName: "api.anthropic.com", ALPN: []string{"http/1.1"}, Version: 0x0303}},
	{"openssl-googleapis.bin", ClientHello{ServerName: "generativelanguage.googleapis.com", Version: 0x0303}},
	{"openssl-mistral-tls12.bin", ClientHello{ServerName: "api.mistral.ai", Version: 0x0303}},
	{"openssl-noservername.bin", ClientHello{Version: 0x0303}},
	{"go-openai-h2.bin", ClientHello{ServerName: "api.openai.com", ALPN: []string{"h2", "http/1.1"}, Version: 0x0303}},
	{"go-xai-tls12.bin", ClientHello{ServerName: "api.x.ai", Version: 0x0303}},
	{"go-bedrock-http11.bin", ClientHello{ServerName: "bedrock-runtime.us-east-1.amazonaws.com", ALPN: []string{"http/1.1"}, Version: 0x0303}},
}

func readSeed(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "clienthello", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadClientHelloSeeds(t *testing.T) {
	for _, tc := range helloSeeds {
		t.Run(tc.file, func(t *testing.T) {
			in := readSeed(t, tc.file)
			// Trailing bytes after the hello must stay unread.
			r := bytes.NewReader(append(append([]byte{}, in...), "NEXT"...))
			h, raw, err := ReadClientHello(r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, *h); diff != "" {
				t.Errorf("hello (-want +got):\n%s", diff)
			}
			if !bytes.Equal(raw, in) {
				t.Errorf("raw = %d bytes, want the %d bytes of the hello", len(raw), len(in))
			}
			if rest, _ := io.ReadAll(r); string(rest) != "NEXT" {
				t.Errorf("left unread %q, want NEXT", rest)
			}
		})
	}
}

// TestSeedsAgreeWithCryptoTLS checks the parser against Go's own TLS server:
// for every captured hello, crypto/tls sees the same server name and ALPN.
func TestSeedsAgreeWithCryptoTLS(t *testing.T) {
	for _, tc := range helloSeeds {
		in := readSeed(t, tc.file)
		got := make(chan *tls.ClientHelloInfo, 1)
		srv, cli := net.Pipe()
		go func() {
			io.Copy(io.Discard, cli)
		}()
		go func() {
			defer cli.Close()
			cli.Write(in)
		}()
		conn := tls.Server(srv, &tls.Config{GetConfigForClient: func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
			got <- chi
			return nil, errors.New("stop")
		}})
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		conn.Handshake()
		srv.Close()
		select {
		case chi := <-got:
			if chi.ServerName != tc.want.ServerName || !slicesEqual(chi.SupportedProtos, tc.want.ALPN) {
				t.Errorf("%s: crypto/tls saw %q %q, want %q %q", tc.file, chi.ServerName, chi.SupportedProtos, tc.want.ServerName, tc.want.ALPN)
			}
		default:
			t.Errorf("%s: crypto/tls did not parse the hello", tc.file)
		}
	}
}

func slicesEqual(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}

// fragment re-frames the hello's handshake message into records of at most
// size bytes, as a client may legally do.
func fragment(t testing.TB, rec []byte, size int) []byte {
	t.Helper()
	msg := rec[5:]
	var out []byte
	for len(msg) > 0 {
		n := min(size, len(msg))
		out = append(out, 0x16, 3, 1, byte(n>>8), byte(n))
		out = append(out, msg[:n]...)
		msg = msg[n:]
	}
	return out
}

func TestReadClientHelloFragmented(t *testing.T) {
	in := readSeed(t, "go-openai-h2.bin")
	// One byte a record is legal TLS but over the record budget.
	if _, _, err := ReadClientHello(bytes.NewReader(fragment(t, in, 1))); err == nil {
		t.Error("1-byte records accepted, want the record budget to stop them")
	}
	for _, size := range []int{100, 1000} {
		frag := fragment(t, in, size)
		h, raw, err := ReadClientHello(bytes.NewReader(frag))
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if h.ServerName != "api.openai.com" || !bytes.Equal(raw, frag) {
			t.Errorf("size %d: got %q, raw %d of %d bytes", size, h.ServerName, len(raw), len(frag))
		}
	}
}

func TestReadClientHelloErrors(t *testing.T) {
	good := readSeed(t, "curl-openai.bin")
	tests := []struct {
		name   string
		in     []byte
		notTLS bool
	}{
		{"http", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), true},
		{"ssh", []byte("SSH-2.0-OpenSSH_9.2\r\n"), true},
		{"one byte", []byte{'G'}, true},
		{"empty", nil, false},
		{"sslv2 version", []byte{0x16, 2, 0, 0, 5, 1, 0, 0, 1, 0}, true},
		{"truncated header", good[:3], false},
		{"truncated record", good[:100], false},
		{"zero length record", []byte{0x16, 3, 1, 0, 0}, false},
		{"oversized record", []byte{0x16, 3, 1, 0xff, 0xff}, false},
		{"server hello", []byte{0x16, 3, 3, 0, 4, 2, 0, 0, 0}, false},
		{"huge handshake length", []byte{0x16, 3, 3, 0, 4, 1, 0xff, 0xff, 0xff}, false},
		{"alert", []byte{0x15, 3, 3, 0, 2, 2, 40}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, raw, err := ReadClientHello(bytes.NewReader(tc.in))
			if err == nil || h != nil {
				t.Fatalf("got %+v, %v; want an error", h, err)
			}
			if errors.Is(err, ErrNotTLS) != tc.notTLS {
				t.Errorf("err = %v, want ErrNotTLS %v", err, tc.notTLS)
			}
			if !bytes.HasPrefix(tc.in, raw) {
				t.Errorf("raw is not a prefix of the input")
			}
		})
	}
}

// TestParseClientHelloMutations flips single length fields in a real hello:
// each must be rejected or parsed, never read out of bounds.
func TestParseClientHelloMutations(t *testing.T) {
	msg := readSeed(t, "curl-openai.bin")[5:]
	for i := range msg {
		for _, v := range []byte{0, 0xff, msg[i] + 1} {
			m := append([]byte{}, msg...)
			m[i] = v
			h, err := ParseClientHello(m)
			if (h == nil) == (err == nil) {
				t.Fatalf("byte %d = %#x: hello %v with error %v", i, v, h, err)
			}
		}
	}
}

func TestParseClientHelloRejects(t *testing.T) {
	// Hand-built hellos around the server_name extension.
	hello := func(exts ...[]byte) []byte {
		body := []byte{3, 3}
		body = append(body, make([]byte, 32)...)
		body = append(body, 0)                // session id
		body = append(body, 0, 2, 0x13, 0x01) // one cipher suite
		body = append(body, 1, 0)             // null compression
		var e []byte
		for _, x := range exts {
			e = append(e, x...)
		}
		body = append(body, byte(len(e)>>8), byte(len(e)))
		body = append(body, e...)
		return append([]byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	}
	sni := func(names ...string) []byte {
		var list []byte
		for _, n := range names {
			list = append(list, 0, byte(len(n)>>8), byte(len(n)))
			list = append(list, n...)
		}
		data := append([]byte{byte(len(list) >> 8), byte(len(list))}, list...)
		return append([]byte{0, 0, byte(len(data) >> 8), byte(len(data))}, data...)
	}
	tests := []struct {
		name string
		msg  []byte
		want string // server name, or "ERR"
	}{
		{"plain", hello(sni("API.OpenAI.com.")), "api.openai.com"},
		{"no extensions", hello(), ""},
		{"two names", hello(sni("a.example", "b.example")), "ERR"},
		{"control byte", hello(sni("api.openai.com\x00.evil")), "ERR"},
		{"space", hello(sni("api openai.com")), "ERR"},
		{"utf8", hello(sni("api.öpenai.com")), "ERR"},
		{"empty name", hello(sni("")), "ERR"},
		{"too long", hello(sni(strings.Repeat("a", 254))), "ERR"},
		{"duplicate extension", hello(sni("a.example"), sni("a.example")), "ERR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ParseClientHello(tc.msg)
			got := "ERR"
			if err == nil {
				got = h.ServerName
			}
			if got != tc.want {
				t.Errorf("got %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}

func FuzzReadClientHello(f *testing.F) {
	for _, tc := range helloSeeds {
		in := readSeed(f, tc.file)
		f.Add(in)
		f.Add(fragment(f, in, 200))
	}
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, raw, err := ReadClientHello(bytes.NewReader(in))
		if (h == nil) == (err == nil) {
			t.Fatalf("hello %v with error %v", h, err)
		}
		if !bytes.HasPrefix(in, raw) {
			t.Fatal("raw is not a prefix of the input")
		}
		if h == nil {
			return
		}
		n := h.ServerName
		if n != strings.ToLower(n) || strings.HasSuffix(n, ".") || len(n) > 253 {
			t.Fatalf("server name %q not normalised", n)
		}
		for _, c := range []byte(n) {
			if c <= ' ' || c >= 0x7f {
				t.Fatalf("server name %q holds byte %#x", n, c)
			}
		}
		if len(raw) > maxRecords*(maxRecord+5) {
			t.Fatalf("read %d bytes, over the bound", len(raw))
		}
	})
}
