package inventory

import "strings"

// OSPURL returns the package URL of an operating-system package given the
// distribution it was found in (nil when unknown). The namespace is the
// distribution ID ("debian", "ubuntu", "alpine", "rhel", "almalinux"...),
// the distro qualifier is "<id>-<version_id>", as Syft and Trivy write it;
// rpm versions lose their epoch to an epoch qualifier; a source package
// whose name differs is the upstream qualifier.
func OSPURL(p *Package, d *Distro) string {
	ns := map[Ecosystem]string{Deb: "debian", APK: "alpine", RPM: "redhat"}[p.Ecosystem]
	q := map[string]string{"arch": p.Arch}
	if d != nil && d.ID != "" {
		ns = d.ID
		q["distro"] = d.ID
		if d.VersionID != "" {
			q["distro"] = d.ID + "-" + d.VersionID
		}
	}
	if p.Source != nil && p.Source.Name != "" && p.Source.Name != p.Name {
		q["upstream"] = p.Source.Name
	}
	version := p.Version
	if p.Ecosystem == RPM {
		if epoch, rest, ok := strings.Cut(version, ":"); ok {
			q["epoch"] = epoch
			version = rest
		}
	}
	return PURL(p.Ecosystem, ns, p.Name, version, q)
}
