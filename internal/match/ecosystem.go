package match

import (
	"strings"

	"github.com/pavesec/pave/internal/inventory"
)

// query is how one package is looked up: the OSV ecosystem (with release
// for distributions), the name and version the advisories use.
type query struct {
	ecosystem string // "Debian:12", "PyPI"
	name      string
	version   string
	distro    bool // an OS package: the ecosystem's release must match exactly
}

// distroEcosystem maps os-release facts to the OSV ecosystem of the
// distribution's advisories, or "" when pave has no advisory source for
// it.
func distroEcosystem(d *inventory.Distro) string {
	if d == nil {
		return ""
	}
	v := d.VersionID
	major, _, _ := strings.Cut(v, ".")
	switch d.ID {
	case "debian":
		if v == "" {
			return "Debian:unstable" // testing and sid carry no VERSION_ID
		}
		return "Debian:" + major
	case "ubuntu":
		return "Ubuntu:" + v
	case "alpine":
		parts := strings.SplitN(v, ".", 3)
		if len(parts) < 2 {
			return ""
		}
		return "Alpine:v" + parts[0] + "." + parts[1]
	case "wolfi":
		return "Wolfi"
	case "chainguard":
		return "Chainguard"
	case "almalinux":
		return "AlmaLinux:" + major
	case "rocky":
		return "Rocky Linux:" + major
	case "rhel":
		return "Red Hat:" + major
	}
	return ""
}

// languageEcosystem maps pave's ecosystems to OSV's.
var languageEcosystem = map[inventory.Ecosystem]string{
	inventory.Golang:   "Go",
	inventory.NPM:      "npm",
	inventory.PyPI:     "PyPI",
	inventory.Maven:    "Maven",
	inventory.Cargo:    "crates.io",
	inventory.Gem:      "RubyGems",
	inventory.Composer: "Packagist",
	inventory.NuGet:    "NuGet",
}

// queryFor returns how p is looked up, or false when no advisory source
// covers it.
func queryFor(p *inventory.Package, distro *inventory.Distro) (query, bool) {
	if p.Ecosystem.IsOS() {
		eco := distroEcosystem(distro)
		if eco == "" {
			return query{}, false
		}
		q := query{ecosystem: eco, name: p.Name, version: p.Version, distro: true}
		// Debian and Alpine publish by source package; the fixed versions
		// are source versions. RPM distributions publish binary names.
		if (p.Ecosystem == inventory.Deb || p.Ecosystem == inventory.APK) && p.Source != nil && p.Source.Name != "" {
			q.name = p.Source.Name
			if p.Source.Version != "" {
				q.version = p.Source.Version
			}
		}
		return q, true
	}
	eco, ok := languageEcosystem[p.Ecosystem]
	if !ok || p.Version == "" {
		return query{}, false
	}
	v := p.Version
	if p.Ecosystem == inventory.Golang {
		// Go's advisories use SEMVER ranges, which have no "v".
		v = strings.TrimPrefix(v, "v")
	}
	return query{ecosystem: eco, name: p.Name, version: v}, true
}

// ecosystemMatches reports whether an affected entry's ecosystem covers
// the query: distributions must name the same release ("Debian:12"; an
// Ubuntu "22.04:LTS" suffix is allowed), languages the same base.
func ecosystemMatches(q query, eco string) bool {
	if !q.distro {
		base, _, _ := strings.Cut(eco, ":")
		return base == q.ecosystem
	}
	if eco == q.ecosystem {
		return true
	}
	// "Ubuntu:22.04:LTS" covers "Ubuntu:22.04"; Ubuntu Pro ("Ubuntu:Pro:…")
	// fixes reach only subscribed machines, so they do not.
	if strings.HasPrefix(q.ecosystem, "Ubuntu:") {
		return strings.HasPrefix(eco, q.ecosystem+":")
	}
	return false
}
