package testimage

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// maxDebBytes bounds what one .deb may unpack to in memory; test packages
// are small, and this keeps a wrong path (a huge file) from exhausting RAM.
const maxDebBytes = 256 << 20

// Deb is a Debian binary package read from a .deb file.
type Deb struct {
	Name      string
	Version   string
	Arch      string
	MultiArch string // "same", "foreign", "allowed" or ""
	Essential bool
	// SourceName and SourceVersion come from the Source field; when it is
	// absent the source is the package itself, and when it names no
	// version the source version is the binary version.
	SourceName    string
	SourceVersion string
	// File is the .deb path it was read from.
	File string

	control   []byte            // the control file, as shipped
	members   map[string][]byte // other control.tar members (md5sums, postinst, ...)
	data      []byte            // the data tar (uncompressed); nil once written
	conffiles []string          // status Conffiles lines: " /etc/x MD5"
	paths     []string          // data tar entries as dpkg lists them ("/.", "/usr", ...)
	files     []string          // non-directory paths, relative ("usr/bin/which")
}

// InfoName is the base name dpkg gives this package's files in
// var/lib/dpkg/info: "name:arch" for Multi-Arch: same packages, else "name".
func (d *Deb) InfoName() string {
	if d.MultiArch == "same" {
		return d.Name + ":" + d.Arch
	}
	return d.Name
}

// Files returns the non-directory paths the package installs, relative to
// the root ("usr/bin/which"), in archive order.
func (d *Deb) Files() []string { return slices.Clone(d.files) }

// ReadDeb reads the .deb at file with dpkg-deb: its control fields, its
// control members and its data tar.
func ReadDeb(ctx context.Context, file string) (*Deb, error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("testimage: deb: %w", err)
	}
	if st.Size() > maxDebBytes {
		return nil, fmt.Errorf("testimage: deb %s: %d bytes exceeds %d", file, st.Size(), maxDebBytes)
	}
	ctrlTar, err := dpkgDeb(ctx, "--ctrl-tarfile", file)
	if err != nil {
		return nil, err
	}
	d := &Deb{File: file, members: map[string][]byte{}}
	if err := d.readControlTar(ctrlTar); err != nil {
		return nil, fmt.Errorf("testimage: deb %s: control: %w", file, err)
	}
	if err := d.parseControl(); err != nil {
		return nil, fmt.Errorf("testimage: deb %s: %w", file, err)
	}
	if d.data, err = dpkgDeb(ctx, "--fsys-tarfile", file); err != nil {
		return nil, err
	}
	if err := d.listData(); err != nil {
		return nil, fmt.Errorf("testimage: deb %s: data: %w", file, err)
	}
	if err := d.sumConffiles(); err != nil {
		return nil, fmt.Errorf("testimage: deb %s: %w", file, err)
	}
	return d, nil
}

func dpkgDeb(ctx context.Context, op, file string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "dpkg-deb", op, file)
	cmd.Stdout = &limitedBuffer{buf: &stdout, left: maxDebBytes}
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("testimage: dpkg-deb %s %s: %w: %s", op, file, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

type limitedBuffer struct {
	buf  *bytes.Buffer
	left int64
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		return 0, errors.New("output too large")
	}
	l.left -= int64(len(p))
	return l.buf.Write(p)
}

func (d *Deb) readControlTar(b []byte) error {
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		data, err := io.ReadAll(io.LimitReader(tr, maxDebBytes))
		if err != nil {
			return err
		}
		if name == "control" {
			d.control = data
		} else if !strings.Contains(name, "/") {
			d.members[name] = data
		}
	}
	if d.control == nil {
		return errors.New("no control file")
	}
	return nil
}

// parseControl reads the fields this package needs from the control file.
func (d *Deb) parseControl() error {
	fields := controlFields(d.control)
	d.Name = fields["Package"]
	d.Version = fields["Version"]
	d.Arch = fields["Architecture"]
	d.MultiArch = fields["Multi-Arch"]
	d.Essential = fields["Essential"] == "yes"
	if d.Name == "" || d.Version == "" || d.Arch == "" {
		return errors.New("control: Package, Version or Architecture missing")
	}
	d.SourceName, d.SourceVersion = d.Name, d.Version
	if src := fields["Source"]; src != "" {
		name, ver, ok := strings.Cut(src, " ")
		d.SourceName = name
		if ok {
			d.SourceVersion = strings.Trim(strings.TrimSpace(ver), "()")
		}
	}
	return nil
}

// controlFields returns the single-line fields of a control stanza.
func controlFields(b []byte) map[string]string {
	m := map[string]string{}
	for line := range strings.SplitSeq(string(b), "\n") {
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// listData records the data tar's paths as dpkg's .list file has them.
func (d *Deb) listData() error {
	tr := tar.NewReader(bytes.NewReader(d.data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		rel := relPath(h.Name)
		if rel == "" {
			d.paths = append(d.paths, "/.")
			continue
		}
		d.paths = append(d.paths, "/"+rel)
		if h.Typeflag != tar.TypeDir {
			d.files = append(d.files, rel)
		}
	}
}

// sumConffiles records each conffile with the MD5 of its content, as
// dpkg's status Conffiles field holds them.
func (d *Deb) sumConffiles() error {
	cf, ok := d.members["conffiles"]
	if !ok {
		return nil
	}
	for line := range strings.SplitSeq(string(cf), "\n") {
		p := strings.TrimSpace(line)
		if p == "" || strings.HasPrefix(p, "remove-on-upgrade ") {
			continue
		}
		sum, err := d.md5sum(relPath(p))
		if err != nil {
			return err
		}
		d.conffiles = append(d.conffiles, " "+p+" "+sum)
	}
	return nil
}

// md5sum returns the MD5 of the regular file rel in the data tar, for
// dpkg's Conffiles field.
func (d *Deb) md5sum(rel string) (string, error) {
	tr := tar.NewReader(bytes.NewReader(d.data))
	for {
		h, err := tr.Next()
		if err != nil {
			return "", fmt.Errorf("conffile %s: %w", rel, err)
		}
		if relPath(h.Name) != rel {
			continue
		}
		sum := md5.New()
		if _, err := io.Copy(sum, tr); err != nil {
			return "", err
		}
		return hex.EncodeToString(sum.Sum(nil)), nil
	}
}

// relPath turns a tar name ("./usr/bin/x", "usr/bin/x/", "./") into a
// cleaned root-relative path ("usr/bin/x"; "" for the root).
func relPath(name string) string {
	p := path.Clean("/" + name)
	return strings.TrimPrefix(p, "/")
}

// FindDebs returns the .deb in dir for each package name, in the order
// given. Files are named as apt-get download names them: NAME_VERSION_ARCH.deb.
func FindDebs(dir string, names ...string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		m, err := filepath.Glob(filepath.Join(dir, n+"_*.deb"))
		if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("testimage: no %s_*.deb in %s (run scripts/setup.sh): %w", n, dir, os.ErrNotExist)
		}
		slices.Sort(m)
		out = append(out, m[len(m)-1])
	}
	return out, nil
}
