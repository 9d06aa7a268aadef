// Package audit writes and verifies the AI egress gateway's audit log: an
// append-only file of JSON lines, one Entry per line, chained by SHA-256.
//
// Every entry carries its sequence number (1, 2, ...), the hash of the
// entry before it (Genesis for the first) and its own hash, which is the
// SHA-256 of the previous hash, a newline, and the entry's canonical
// encoding: the compact encoding/json form of the Entry with Hash empty
// (and so omitted). A line is valid only when it is exactly the canonical
// encoding with the hash added, so changing any byte of a line, removing
// a line, or reordering lines breaks the chain at that line; Verify
// reports the first line that does not hold.
//
// The chain shows tampering by anyone who cannot recompute every later
// hash; it is not a signature. Ship the log (or its last hash, see
// Summary.LastHash) to a store the gateway's host cannot rewrite when the
// host itself is not trusted.
//
// Entries never hold a secret or a personal datum in clear: findings carry
// the rule, a masked form and a SHA-256 of the value, and identities carry
// a key id, never the key.
package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Genesis is the previous hash of the first entry of every log.
const Genesis = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

// Kinds of entry.
const (
	KindRequest    = "request"         // one request relayed (or refused) by the gateway
	KindDiscovered = "discovered-host" // an AI host seen by discovery mode
)

// Actions a policy takes on a request.
const (
	ActionAllow  = "allow"
	ActionRedact = "redact"
	ActionBlock  = "block"
)

// Inspection statuses. An entry is "complete" only when every text byte
// that passed was scanned; a request or stream that was not (too large,
// unparseable, timed out, cut short) is failed-open (it passed anyway) or
// failed-closed (it was refused). NotInspected is for traffic the gateway
// had no means to read (discovery without interception).
const (
	InspectionComplete     = "complete"
	InspectionFailedOpen   = "failed-open"
	InspectionFailedClosed = "failed-closed"
	InspectionNone         = "not-inspected"
)

// Identity is who sent the request. KeyID names the gateway-issued key;
// the key itself is never logged.
type Identity struct {
	Team   string `json:"team,omitempty"`
	User   string `json:"user,omitempty"`
	KeyID  string `json:"key_id,omitempty"`
	Source string `json:"source,omitempty"` // client address
}

// Client is the tool that sent the request, parsed from its User-Agent.
type Client struct {
	Tool      string `json:"tool,omitempty"` // "cursor", "claude-code", "openai-python", ... or "unknown"
	Version   string `json:"version,omitempty"`
	UserAgent string `json:"user_agent,omitempty"` // at most 200 bytes
}

// Usage is the token count the vendor reported.
type Usage struct {
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
	TotalTokens  int64 `json:"total_tokens"`
}

// Finding is one rule's hits in one direction of one exchange. Values are
// never stored: Hashes are "sha256:<hex>" of each distinct value, Masked
// their masked forms, in the same order.
type Finding struct {
	Rule     string   `json:"rule"`
	Category string   `json:"category"` // "secret", "pii", ...
	Where    string   `json:"where"`    // "request" or "response"
	Count    int      `json:"count"`    // hits, counting repeats
	Hashes   []string `json:"hashes"`   // distinct values
	Masked   []string `json:"masked"`   // same order as Hashes
}

// Discovery is what discovery mode (pave gateway discover) learnt about
// one connection to an AI host, beyond the fields every entry has. The
// connection's other facts live in the entry itself: the CONNECT or
// request authority in Host, the client's address in Identity.Source,
// bytes up and down in RequestBytes and ResponseBytes, the connection's
// lifetime in LatencyUS, a refusal in Action ("block") and decryption in
// Inspection.
//
// The client is attributed to a Docker container (ContainerID, always the
// full 64-hex id, ContainerName, Image), to a process on the proxy's host
// or in the container (PID, Comm), to both, or to neither when the kernel
// did not say; Client is the short label built from them
// ("container/web", "process/curl[42]", or both joined by a space).
type Discovery struct {
	// SNI is the server name of the client's TLS ClientHello, "" when the
	// connection was plain HTTP or sent no name.
	SNI string `json:"sni,omitempty"`
	// ALPN lists the protocols the client offered, in its order.
	ALPN []string `json:"alpn,omitempty"`
	// EndpointKind is the catalogue's kind of the host ("api", "chat", ...).
	EndpointKind string `json:"endpoint_kind,omitempty"`
	// Sanctioned is always present: whether policy allows this vendor.
	Sanctioned bool `json:"sanctioned"`

	Client        string `json:"client,omitempty"`
	ContainerID   string `json:"container_id,omitempty"`
	ContainerName string `json:"container_name,omitempty"`
	Image         string `json:"image,omitempty"`
	PID           int    `json:"pid,omitempty"`
	Comm          string `json:"comm,omitempty"`
}

// Entry is one line of the log. Seq, Prev and Hash are set by the Writer.
type Entry struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"` // UTC
	Kind string    `json:"kind"`

	Identity Identity `json:"identity"`
	Client   Client   `json:"client"`
	// Discovery is set on discovered-host entries only; absent (not
	// null) otherwise, so logs written before it existed verify unchanged.
	Discovery *Discovery `json:"discovery,omitempty"`

	Vendor   string `json:"vendor,omitempty"`
	Model    string `json:"model,omitempty"`
	Method   string `json:"method,omitempty"`
	Endpoint string `json:"endpoint,omitempty"` // path, no query
	Host     string `json:"host,omitempty"`     // upstream or discovered host[:port]
	Stream   bool   `json:"stream,omitempty"`

	RequestBytes  int64  `json:"request_bytes"`
	ResponseBytes int64  `json:"response_bytes"`
	Usage         *Usage `json:"usage,omitempty"`

	Findings []Finding `json:"findings,omitempty"`
	Action   string    `json:"action,omitempty"`
	// Inspection is one of the Inspection constants; InspectionError says
	// why inspection did not complete.
	Inspection      string `json:"inspection"`
	InspectionError string `json:"inspection_error,omitempty"`
	// NotInspectedParts counts content parts the gateway could not read as
	// text (images, audio, binary files) and passed on unscanned.
	NotInspectedParts int `json:"not_inspected_parts,omitempty"`

	Status    int    `json:"status,omitempty"`
	LatencyUS int64  `json:"latency_us"`
	Error     string `json:"error,omitempty"`

	Prev string `json:"prev"`
	Hash string `json:"hash,omitempty"`
}

// canonical is the entry's encoding without its hash.
func canonical(e *Entry) ([]byte, error) {
	c := *e
	c.Hash = ""
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("audit: encode entry: %w", err)
	}
	return b, nil
}

// chainHash is the hash of an entry whose canonical encoding is body and
// whose predecessor's hash is prev.
func chainHash(prev string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(body)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// seal sets e.Hash and returns the line to write, newline included.
func seal(e *Entry) ([]byte, error) {
	e.Hash = ""
	body, err := canonical(e)
	if err != nil {
		return nil, err
	}
	e.Hash = chainHash(e.Prev, body)
	// Hash is the last field: the line is the canonical form with the
	// hash member added before the closing brace (parseLine checks that
	// this equals encoding/json's output).
	line := make([]byte, 0, len(body)+len(e.Hash)+12)
	line = append(line, body[:len(body)-1]...)
	line = append(line, `,"hash":"`...)
	line = append(line, e.Hash...)
	return append(line, '"', '}', '\n'), nil
}

// parseLine decodes one line (without its newline) and checks that it is
// in canonical form and that its hash is its own. It does not check the
// link to the previous entry.
func parseLine(line []byte) (*Entry, error) {
	var e Entry
	d := json.NewDecoder(bytes.NewReader(line))
	d.DisallowUnknownFields()
	if err := d.Decode(&e); err != nil {
		return nil, fmt.Errorf("not an entry: %w", err)
	}
	if d.More() {
		return nil, fmt.Errorf("trailing data after the entry")
	}
	body, err := canonical(&e)
	if err != nil {
		return nil, err
	}
	want := chainHash(e.Prev, body)
	if e.Hash != want {
		return nil, fmt.Errorf("hash %s does not match the entry (want %s)", short(e.Hash), short(want))
	}
	again, err := json.Marshal(&e)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, line) {
		return nil, fmt.Errorf("line is not in canonical form")
	}
	return &e, nil
}

func short(h string) string {
	if len(h) > 19 {
		return h[:19] + "…"
	}
	if h == "" {
		return `""`
	}
	return h
}
