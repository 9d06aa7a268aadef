package discover

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pavesec/pave/internal/egress/audit"
)

func TestRecordEntry(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	addr := netip.MustParseAddrPort("172.17.0.5:40000")
	hash := func(s string) string {
		return hostFinding("x", s).Hashes[0]
	}
	tests := []struct {
		name string
		rec  Record
		want audit.Entry
	}{
		{
			name: "unsanctioned tunnel from a container",
			rec: Record{Time: at, Client: Client{Addr: addr, ContainerID: strings.Repeat("a", 64), ContainerName: "web", Image: "python:3.12"},
				UserAgent: "curl/7.88.1", Method: "CONNECT", Host: "api.openai.com:443", SNI: "api.openai.com", ALPN: []string{"h2", "http/1.1"},
				Vendor: "openai", Kind: "api", Status: 200, BytesUp: 900, BytesDown: 4000, Duration: 1500 * time.Millisecond},
			want: audit.Entry{Time: at, Kind: audit.KindDiscovered,
				Identity: audit.Identity{Source: "172.17.0.5:40000"},
				Discovery: &audit.Discovery{SNI: "api.openai.com", ALPN: []string{"h2", "http/1.1"}, EndpointKind: "api",
					Client: "container/web", ContainerID: strings.Repeat("a", 64), ContainerName: "web", Image: "python:3.12"},
				Client: audit.Client{Tool: "curl", Version: "7.88.1", UserAgent: "curl/7.88.1"},
				Vendor: "openai", Method: "CONNECT", Host: "api.openai.com:443", RequestBytes: 900, ResponseBytes: 4000,
				Action: audit.ActionAllow, Inspection: audit.InspectionNone, Status: 200, LatencyUS: 1500000,
				Findings: []audit.Finding{{Rule: RuleUnsanctioned, Category: "shadow-ai", Where: "request", Count: 1,
					Hashes: []string{hash("api.openai.com")}, Masked: []string{"api.openai.com"}}}},
		},
		{
			name: "sanctioned gateway, no finding",
			rec: Record{Time: at, Client: Client{Addr: addr}, Method: "CONNECT", Host: "gw.corp.example:443",
				SNI: "gw.corp.example", Vendor: GatewayVendor, Sanctioned: true, Status: 200},
			want: audit.Entry{Time: at, Kind: audit.KindDiscovered, Identity: audit.Identity{Source: "172.17.0.5:40000"},
				Discovery: &audit.Discovery{SNI: "gw.corp.example", Sanctioned: true},
				Vendor:    GatewayVendor, Method: "CONNECT", Host: "gw.corp.example:443",
				Action: audit.ActionAllow, Inspection: audit.InspectionNone, Status: 200},
		},
		{
			name: "blocked by SNI after CONNECT by address",
			rec: Record{Time: at, Method: "CONNECT", Host: "203.0.113.9:443", SNI: "api.x.ai", Vendor: "xai",
				Blocked: true, Status: 200, BytesUp: 517},
			want: audit.Entry{Time: at, Kind: audit.KindDiscovered, Vendor: "xai", Method: "CONNECT", Host: "203.0.113.9:443",
				Discovery:    &audit.Discovery{SNI: "api.x.ai"},
				RequestBytes: 517, Action: audit.ActionBlock, Inspection: audit.InspectionNone, Status: 200,
				Findings: []audit.Finding{
					{Rule: RuleUnsanctioned, Category: "shadow-ai", Where: "request", Count: 1, Hashes: []string{hash("203.0.113.9")}, Masked: []string{"203.0.113.9"}},
					{Rule: RuleSNIMismatch, Category: "shadow-ai", Where: "request", Count: 1, Hashes: []string{hash("api.x.ai")}, Masked: []string{"api.x.ai"}},
				}},
		},
		{
			name: "inspected plain HTTP from a local process",
			rec: Record{Time: at, Client: Client{Addr: netip.MustParseAddrPort("127.0.0.1:5000"), PID: 42, Comm: "python3"},
				Method: "POST", Host: "llm.corp.example:80", Path: "/v1/completions", Vendor: "corp", Sanctioned: true,
				Inspected: true, Status: 502, Err: "dial tcp: refused"},
			want: audit.Entry{Time: at, Kind: audit.KindDiscovered,
				Identity:  audit.Identity{Source: "127.0.0.1:5000"},
				Discovery: &audit.Discovery{Sanctioned: true, Client: "process/python3[42]", PID: 42, Comm: "python3"},
				Vendor:    "corp", Method: "POST", Endpoint: "/v1/completions", Host: "llm.corp.example:80",
				Action: audit.ActionAllow, Inspection: audit.InspectionComplete, Status: 502, Error: "dial tcp: refused"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, *tc.rec.Entry()); diff != "" {
				t.Errorf("entry (-want +got):\n%s", diff)
			}
		})
	}
	if !strings.HasPrefix(hash("x"), "sha256:") || len(hash("x")) != 71 {
		t.Errorf("finding hash %q", hash("x"))
	}
}
