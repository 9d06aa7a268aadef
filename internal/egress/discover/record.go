package discover

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/pavesec/pave/internal/egress/audit"
)

// Sink receives audit entries; *audit.Writer is one.
type Sink interface {
	Append(e *audit.Entry) error
}

var _ Sink = (*audit.Writer)(nil)

// Record is one AI connection seen by the proxy.
type Record struct {
	Time       time.Time     // when the client's request arrived
	Client     Client        // who
	UserAgent  string        // of the CONNECT or HTTP request
	Method     string        // "CONNECT" or the plain-HTTP method
	Host       string        // CONNECT authority or request host, host:port
	Path       string        // plain HTTP only, without query
	SNI        string        // server name from the ClientHello, "" when none
	ALPN       []string      // protocols the client offered
	Vendor     string        // catalogue vendor
	Kind       string        // catalogue kind
	Sanctioned bool          // allowed by policy
	Blocked    bool          // refused by policy
	Status     int           // status answered to the client
	BytesUp    int64         // client to upstream, TLS records included
	BytesDown  int64         // upstream to client
	Duration   time.Duration // from request to close
	Inspected  bool          // decrypted by inspect mode
	Err        string        // dial or relay failure
}

// Finding rules discovery attaches to entries. A finding's value is the
// host name, not a secret; it is hashed like any finding and shown in
// clear in Masked because it is the point of the finding.
const (
	RuleUnsanctioned = "shadow-ai/unsanctioned-endpoint"
	RuleSNIMismatch  = "shadow-ai/sni-mismatch"
)

// Entry renders the record as an audit log entry (kind discovered-host).
// The discovery facts go to the entry's Discovery section: the SNI and
// ALPN of the ClientHello, the catalogue kind, whether the vendor is
// sanctioned, and the client's container and process with their label.
// Bytes, duration, refusal and decryption use the entry's common fields
// (RequestBytes, ResponseBytes, LatencyUS, Action, Inspection). Two facts
// are also findings, so that they show among a log's findings: an
// unsanctioned connection has a RuleUnsanctioned finding naming the host,
// and a ClientHello naming a different host than the CONNECT request has
// a RuleSNIMismatch finding naming the SNI.
func (r *Record) Entry() *audit.Entry {
	e := &audit.Entry{
		Time:          r.Time,
		Kind:          audit.KindDiscovered,
		Identity:      audit.Identity{Source: r.Client.Addr.String()},
		Vendor:        r.Vendor,
		Method:        r.Method,
		Endpoint:      r.Path,
		Host:          r.Host,
		RequestBytes:  r.BytesUp,
		ResponseBytes: r.BytesDown,
		Action:        audit.ActionAllow,
		Inspection:    audit.InspectionNone,
		Status:        r.Status,
		LatencyUS:     r.Duration.Microseconds(),
		Error:         r.Err,
		Discovery: &audit.Discovery{
			SNI: r.SNI, ALPN: slices.Clone(r.ALPN), EndpointKind: r.Kind, Sanctioned: r.Sanctioned,
			Client: r.Client.Label(), ContainerID: r.Client.ContainerID, ContainerName: r.Client.ContainerName,
			Image: r.Client.Image, PID: r.Client.PID, Comm: r.Client.Comm,
		},
	}
	if !r.Client.Addr.IsValid() {
		e.Identity.Source = ""
	}
	if r.UserAgent != "" {
		e.Client = audit.ParseClient(r.UserAgent)
	}
	if r.Blocked {
		e.Action = audit.ActionBlock
	}
	if r.Inspected {
		e.Inspection = audit.InspectionComplete
	}
	host, _, _ := net.SplitHostPort(r.Host)
	if host == "" {
		host = r.Host
	}
	if !r.Sanctioned {
		e.Findings = append(e.Findings, hostFinding(RuleUnsanctioned, Normalize(host)))
	}
	if r.SNI != "" && r.SNI != Normalize(host) {
		e.Findings = append(e.Findings, hostFinding(RuleSNIMismatch, r.SNI))
	}
	return e
}

func hostFinding(rule, host string) audit.Finding {
	sum := sha256.Sum256([]byte(host))
	return audit.Finding{Rule: rule, Category: "shadow-ai", Where: "request", Count: 1,
		Hashes: []string{"sha256:" + hex.EncodeToString(sum[:])}, Masked: []string{host}}
}

// hostPort joins host and port for records.
func hostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
