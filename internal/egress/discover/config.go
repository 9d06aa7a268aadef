package discover

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/pavesec/pave/internal/jsonfile"
)

// Policy is the operator's configuration of discovery mode, read from a
// JSON file (see docs/gateway-discovery.md).
type Policy struct {
	// Gateway lists the hosts (host or host:port) of pave's own AI
	// gateway: the sanctioned route. Connections to them are recorded as
	// sanctioned, with vendor "pave-gateway".
	Gateway []string `json:"gateway,omitempty"`
	// SanctionedVendors are vendors that may be reached directly (for
	// example "github-copilot" when the organisation licenses it).
	SanctionedVendors []string `json:"sanctioned_vendors,omitempty"`
	// Block answers unsanctioned AI connections with 403 (CONNECT and
	// plain HTTP), or closes a tunnel whose ClientHello names an
	// unsanctioned AI host, instead of only recording them.
	Block bool `json:"block,omitempty"`
	// Hosts are extra AI endpoints; they take precedence over the
	// built-in catalogue.
	Hosts []Endpoint `json:"hosts,omitempty"`
	// NoBuiltin drops the built-in catalogue, leaving only Hosts.
	NoBuiltin bool `json:"no_builtin,omitempty"`
	// InspectVendors names the vendors inspect mode decrypts (sanctioned
	// ones included); empty means every unsanctioned AI host.
	InspectVendors []string `json:"inspect_vendors,omitempty"`
}

// GatewayVendor is the vendor recorded for connections to the gateway.
const GatewayVendor = "pave-gateway"

// maxConfig bounds the configuration file.
const maxConfig = 1 << 20

// LoadPolicy reads a policy file. Unknown fields are errors, so a typo
// does not silently turn a setting off.
func LoadPolicy(path string) (*Policy, error) {
	b, err := jsonfile.Read(path, maxConfig)
	if err != nil {
		return nil, fmt.Errorf("discover: config: %w", err)
	}
	return ParsePolicy(b)
}

// ParsePolicy parses a policy document.
func ParsePolicy(b []byte) (*Policy, error) {
	var p Policy
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&p); err != nil {
		return nil, fmt.Errorf("discover: config: %w", err)
	}
	if d.More() {
		return nil, errors.New("discover: config: trailing data after the object")
	}
	if _, err := p.Catalogue(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Catalogue builds the matcher: the gateway's hosts first, then Hosts,
// then (unless NoBuiltin) the built-in catalogue.
func (p *Policy) Catalogue() (*Catalogue, error) {
	var eps []Endpoint
	if len(p.Gateway) > 0 {
		eps = append(eps, Endpoint{Vendor: GatewayVendor, Kind: "gateway", Hosts: p.Gateway, Source: "config"})
	}
	eps = append(eps, p.Hosts...)
	if !p.NoBuiltin {
		b, err := Builtin()
		if err != nil {
			return nil, err
		}
		eps = append(eps, b...)
	}
	return NewCatalogue(eps)
}

// Sanctioned reports whether traffic to vendor is allowed by policy: the
// gateway itself, or a vendor listed as sanctioned.
func (p *Policy) Sanctioned(vendor string) bool {
	return vendor == GatewayVendor || slices.Contains(p.SanctionedVendors, vendor)
}

// Inspects reports whether inspect mode decrypts traffic to vendor: a
// vendor listed in InspectVendors, else (no list) any unsanctioned vendor.
// The gateway's own traffic is never decrypted.
func (p *Policy) Inspects(vendor string) bool {
	switch {
	case vendor == GatewayVendor:
		return false
	case len(p.InspectVendors) > 0:
		return slices.Contains(p.InspectVendors, vendor)
	}
	return !p.Sanctioned(vendor)
}
