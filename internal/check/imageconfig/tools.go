package imageconfig

import (
	"fmt"
	"io/fs"
	"path"

	"github.com/pavesec/pave/internal/finding"
)

// binDirs are where the tools below are looked for.
var binDirs = []string{"bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin"}

// toolSets are the tool categories reported, one finding each.
var toolSets = []struct {
	rule, what string
	names      []string
}{
	{RuleRemoteAccess, "remote-access servers", []string{"sshd", "dropbear", "dropbearmulti", "telnetd", "in.telnetd", "rshd", "in.rshd", "vncserver", "x11vnc", "xrdp", "teleport", "tailscaled", "ngrok"}},
	{RuleShell, "shells", []string{"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox"}},
	{RulePackageManager, "package managers", []string{"apt", "apt-get", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm", "zypper", "pacman", "pip", "pip3", "npm", "gem"}},
	{RuleNetworkTools, "network tools", []string{"curl", "wget", "nc", "ncat", "netcat", "nc.openbsd", "nc.traditional", "socat", "nmap", "tcpdump", "telnet", "ftp", "tftp", "ssh", "scp"}},
}

// tools reports, per category, which of the tools exist in the usual
// binary directories (as files or as symlinks: busybox applets are
// symlinks, and usr-merged /bin is a symlink to /usr/bin, so paths are
// reported once per resolved directory).
func (r *run) tools() {
	type statFS interface {
		Lstat(string) (fs.FileInfo, error)
	}
	lst, _ := r.img.FS.(statFS)
	dirs := binDirs[:0:0]
	for _, d := range binDirs {
		if lst != nil {
			if fi, err := lst.Lstat(d); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
				continue // usr-merge: /bin → usr/bin, seen there
			}
		}
		dirs = append(dirs, d)
	}
	for _, set := range toolSets {
		var found []string
		for _, name := range set.names {
			for _, d := range dirs {
				p := path.Join(d, name)
				var err error
				if lst != nil {
					_, err = lst.Lstat(p)
				} else {
					_, err = fs.Stat(r.img.FS, p)
				}
				if err == nil {
					found = append(found, p)
				}
			}
		}
		if len(found) == 0 {
			continue
		}
		loc := finding.Location{Path: found[0], Layer: r.layer(found[0])}
		r.add(set.rule, loc, fmt.Sprintf("%d %s: %s", len(found), set.what, list(found, 8)), list(found, r.c.opts.MaxPaths))
	}
}
