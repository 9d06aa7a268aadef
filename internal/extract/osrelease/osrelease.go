// Package osrelease detects the operating system an artifact carries, from
// os-release(5) and, where that is missing, the distribution-specific
// release files, and tells whether that release is past its end of
// security support (eol.go).
package osrelease

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/inventory"
)

// Paths lists the files Detect reads; a scan retains them in its view.
var Paths = []string{
	"etc/os-release",
	"usr/lib/os-release",
	"etc/alpine-release",
	"etc/debian_version",
	"etc/redhat-release",
	"etc/centos-release",
	"etc/system-release",
	"etc/lsb-release",
}

// Wants reports whether p is one of Paths (for extract.Config.Retain).
func Wants(p string) bool {
	for _, q := range Paths {
		if p == q {
			return true
		}
	}
	return false
}

// ErrNotFound: no release file identifies the OS.
var ErrNotFound = errors.New("osrelease: no operating-system release file")

const maxFile = 64 << 10 // release files are a few hundred bytes

// Detect identifies the OS in fsys (which resolves symlinks, so an
// etc/os-release linking to ../usr/lib/os-release is read through). The
// first of these that yields an ID wins: etc/os-release, usr/lib/os-release
// (os-release(5) says the former takes precedence), etc/alpine-release,
// etc/lsb-release, etc/redhat-release (or centos-, system-release), and
// etc/debian_version. now decides Distro.EndOfLife.
func Detect(fsys fs.FS, now time.Time) (*inventory.Distro, error) {
	var errs []error
	for _, try := range []struct {
		path  string
		parse func([]byte) *inventory.Distro
	}{
		{"etc/os-release", ParseOSRelease},
		{"usr/lib/os-release", ParseOSRelease},
		{"etc/alpine-release", parseAlpineRelease},
		{"etc/lsb-release", parseLSBRelease},
		{"etc/redhat-release", parseRedHatRelease},
		{"etc/centos-release", parseRedHatRelease},
		{"etc/system-release", parseRedHatRelease},
		{"etc/debian_version", parseDebianVersion},
	} {
		data, err := readSmall(fsys, try.path)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		d := try.parse(data)
		if d == nil || d.ID == "" {
			continue
		}
		d.Source = try.path
		SetEOL(d, now)
		if d.EOL == "" && try.path != "etc/lsb-release" {
			// os-release(5) SUPPORT_END, for releases the table lacks.
			if end := Parse(data)["SUPPORT_END"]; end != "" {
				setEOLDate(d, end, now)
			}
		}
		return d, nil
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrNotFound, errors.Join(errs...))
	}
	return nil, ErrNotFound
}

func readSmall(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFile))
	if err != nil {
		return nil, fmt.Errorf("osrelease: read %s: %w", name, err)
	}
	return data, nil
}

// Parse reads os-release content into its KEY=value pairs, unquoting
// values as os-release(5) describes: shell-style single or double quotes,
// and in double quotes (or unquoted) the escapes \" \\ \$ \` only. Lines
// that are empty, comments or not assignments are skipped; a later
// assignment of the same key wins.
func Parse(data []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxFile)
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !validKey(k) {
			continue
		}
		out[k] = unquote(v)
	}
	return out
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func unquote(v string) string {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				b.WriteByte(c)
			}
		case c == '\\' && i+1 < len(v) && strings.IndexByte("\"\\$`", v[i+1]) >= 0:
			i++
			b.WriteByte(v[i])
		case c == '"' && quote == 0, c == '\'' && quote == 0:
			quote = c
		case c == '"' && quote == '"':
			quote = 0
		case quote == 0 && (c == ' ' || c == '\t'):
			// An unquoted blank ends the value (a trailing comment, say).
			return b.String()
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ParseOSRelease turns os-release content into a Distro (without EOL).
func ParseOSRelease(data []byte) *inventory.Distro {
	kv := Parse(data)
	d := &inventory.Distro{
		ID:              strings.ToLower(kv["ID"]),
		IDLike:          strings.Fields(strings.ToLower(kv["ID_LIKE"])),
		VersionID:       kv["VERSION_ID"],
		VersionCodename: kv["VERSION_CODENAME"],
		PrettyName:      kv["PRETTY_NAME"],
	}
	if len(d.IDLike) == 0 {
		d.IDLike = nil
	}
	if d.VersionCodename == "" {
		d.VersionCodename = kv["UBUNTU_CODENAME"]
	}
	if d.PrettyName == "" {
		d.PrettyName = kv["NAME"]
	}
	return d
}

func parseAlpineRelease(data []byte) *inventory.Distro {
	v := strings.TrimSpace(string(data))
	if v == "" || strings.ContainsAny(v, " \n") {
		return nil
	}
	return &inventory.Distro{ID: "alpine", VersionID: v, PrettyName: "Alpine Linux " + v}
}

func parseLSBRelease(data []byte) *inventory.Distro {
	kv := Parse(data)
	if kv["DISTRIB_ID"] == "" {
		return nil
	}
	return &inventory.Distro{
		ID:              strings.ToLower(kv["DISTRIB_ID"]),
		VersionID:       kv["DISTRIB_RELEASE"],
		VersionCodename: kv["DISTRIB_CODENAME"],
		PrettyName:      kv["DISTRIB_DESCRIPTION"],
	}
}

var redHatRe = regexp.MustCompile(`^(.+?) release ([0-9][0-9.]*)`)

// parseRedHatRelease reads "<name> release <version> (<codename>)".
func parseRedHatRelease(data []byte) *inventory.Distro {
	line, _, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
	m := redHatRe.FindStringSubmatch(line)
	if m == nil {
		return nil
	}
	name, ver := m[1], m[2]
	id := ""
	switch lower := strings.ToLower(name); {
	case strings.HasPrefix(lower, "red hat enterprise linux"):
		id = "rhel"
	case strings.HasPrefix(lower, "centos"):
		id = "centos"
	case strings.HasPrefix(lower, "rocky"):
		id = "rocky"
	case strings.HasPrefix(lower, "almalinux"):
		id = "almalinux"
	case strings.HasPrefix(lower, "fedora"):
		id = "fedora"
	case strings.HasPrefix(lower, "oracle linux"):
		id = "ol"
	case strings.HasPrefix(lower, "amazon linux"):
		id = "amzn"
	default:
		return nil
	}
	// os-release carries the major version for the RHEL rebuilds'
	// VERSION_ID in CentOS's case ("7"); keep what the file says.
	return &inventory.Distro{ID: id, VersionID: ver, PrettyName: line}
}

// parseDebianVersion reads etc/debian_version: "12.5" on a release,
// "trixie/sid" on testing or unstable.
func parseDebianVersion(data []byte) *inventory.Distro {
	v := strings.TrimSpace(string(data))
	if v == "" || strings.ContainsAny(v, " \n") {
		return nil
	}
	d := &inventory.Distro{ID: "debian", PrettyName: "Debian GNU/Linux " + v}
	if v[0] >= '0' && v[0] <= '9' {
		major, _, _ := strings.Cut(v, ".")
		d.VersionID = major
	} else {
		codename, _, _ := strings.Cut(v, "/")
		d.VersionCodename = codename
	}
	return d
}
