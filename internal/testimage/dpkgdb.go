package testimage

import (
	"bytes"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// dpkgInfo is where dpkg keeps per-package files.
const dpkgInfo = "var/lib/dpkg/info"

// infoFiles returns the var/lib/dpkg/info paths dpkg keeps for d: the
// .list file and one file per control member (md5sums, conffiles,
// maintainer scripts, triggers, ...), sorted.
func infoFiles(d *Deb) []string {
	out := []string{dpkgInfo + "/" + d.InfoName() + ".list"}
	for m := range d.members {
		out = append(out, dpkgInfo+"/"+d.InfoName()+"."+m)
	}
	slices.Sort(out)
	return out
}

// writeDpkgDB writes the status file listing every installed package and
// the info files of the packages this layer installed, as dpkg leaves them
// after `dpkg --install` / `dpkg --purge`.
func (b *builder) writeDpkgDB(w *tarWriter, layerDebs []string) error {
	names := make([]string, 0, len(b.installed))
	for n := range b.installed {
		names = append(names, n)
	}
	slices.Sort(names)
	var status bytes.Buffer
	for _, n := range names {
		st, err := statusStanza(b.installed[n].deb)
		if err != nil {
			return err
		}
		status.Write(st)
		status.WriteByte('\n')
	}
	if err := w.dir("var/lib/dpkg/updates"); err != nil {
		return err
	}
	if err := w.file("var/lib/dpkg/status", status.Bytes(), 0o644); err != nil {
		return err
	}
	// Without info/format dpkg assumes the pre-multiarch layout, in which
	// no file name carries ":arch".
	if !b.has(dpkgInfo+"/format") && !w.has(dpkgInfo+"/format") {
		if err := w.file(dpkgInfo+"/format", []byte("1\n"), 0o644); err != nil {
			return err
		}
	}
	for _, file := range layerDebs {
		d := b.debs[file]
		list := strings.Join(d.paths, "\n") + "\n"
		if err := w.file(dpkgInfo+"/"+d.InfoName()+".list", []byte(list), 0o644); err != nil {
			return err
		}
		members := make([]string, 0, len(d.members))
		for m := range d.members {
			members = append(members, m)
		}
		slices.Sort(members)
		for _, m := range members {
			mode := fs.FileMode(0o644)
			if isScript(m) {
				mode = 0o755
			}
			if err := w.file(dpkgInfo+"/"+d.InfoName()+"."+m, d.members[m], mode); err != nil {
				return err
			}
		}
	}
	return nil
}

func isScript(member string) bool {
	switch member {
	case "preinst", "postinst", "prerm", "postrm", "config":
		return true
	}
	return false
}

// statusStanza turns d's control file into its status stanza: a Status
// line after Package (and Essential), and a Conffiles field with each
// conffile's MD5 before Description, the order dpkg writes.
func statusStanza(d *Deb) ([]byte, error) {
	conffiles := d.conffiles
	lines := strings.Split(strings.TrimRight(string(d.control), "\n"), "\n")
	var out bytes.Buffer
	statusDone := false
	for i, line := range lines {
		if strings.HasPrefix(line, "Description:") && len(conffiles) > 0 {
			out.WriteString("Conffiles:\n" + strings.Join(conffiles, "\n") + "\n")
			conffiles = nil
		}
		out.WriteString(line + "\n")
		if !statusDone && (strings.HasPrefix(line, "Package:") && !nextIs(lines, i, "Essential:") ||
			strings.HasPrefix(line, "Essential:")) {
			out.WriteString("Status: install ok installed\n")
			statusDone = true
		}
	}
	if len(conffiles) > 0 {
		out.WriteString("Conffiles:\n" + strings.Join(conffiles, "\n") + "\n")
	}
	if !statusDone {
		return nil, fmt.Errorf("%s: control file has no Package field", d.Name)
	}
	return out.Bytes(), nil
}

func nextIs(lines []string, i int, prefix string) bool {
	return i+1 < len(lines) && strings.HasPrefix(lines[i+1], prefix)
}
