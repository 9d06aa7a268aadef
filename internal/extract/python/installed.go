package python

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// Installed reads the metadata of installed distributions under a
// site-packages or dist-packages directory (Debian's
// usr/lib/python3/dist-packages included; the scan step records the deb
// that owns them):
//
//   - <name>-<ver>.dist-info/METADATA (wheels, PEP 376/566)
//   - <name>-<ver>.egg-info/PKG-INFO (setuptools)
//   - <name>-<ver>.egg-info as a single file (old distutils)
//   - <name>-<ver>.egg/EGG-INFO/PKG-INFO (eggs)
//
// The licence is, in order: License-Expression (PEP 639); else License
// when it is a short one-line value (some projects paste the whole licence
// text there); else the "License ::" classifiers mapped to SPDX ids where
// the mapping is unambiguous.
type Installed struct{}

var _ extract.Extractor = (*Installed)(nil)

// NewInstalled returns the installed-distribution extractor.
func NewInstalled() *Installed { return &Installed{} }

// Name implements extract.Extractor.
func (*Installed) Name() string { return "python/installed" }

// Version implements extract.Extractor.
func (*Installed) Version() int { return 1 }

// Match implements extract.Extractor.
func (*Installed) Match(p string, info fs.FileInfo) bool {
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	parent := path.Base(dir)
	switch {
	case base == "METADATA" && strings.HasSuffix(parent, ".dist-info"),
		base == "PKG-INFO" && strings.HasSuffix(parent, ".egg-info"),
		base == "PKG-INFO" && parent == "EGG-INFO" && strings.HasSuffix(path.Dir(dir), ".egg"):
	case strings.HasSuffix(base, ".egg-info") && (info == nil || info.Mode().IsRegular()):
		dir = p
	default:
		return false
	}
	for _, s := range strings.Split(dir, "/") {
		if s == "site-packages" || s == "dist-packages" {
			return true
		}
	}
	return false
}

// Extract implements extract.Extractor.
func (*Installed) Extract(_ context.Context, in *extract.Input) ([]inventory.Package, error) {
	data, err := extract.ReadAll(in, maxMetadataSize)
	if err != nil {
		return nil, fmt.Errorf("python: read %s: %w", in.Path, err)
	}
	h, err := parseMetadata(data)
	if err != nil {
		return nil, fmt.Errorf("python: parse %s: %w", in.Path, err)
	}
	name, version := h.get("Name"), h.get("Version")
	if name == "" || version == "" {
		return nil, fmt.Errorf("python: %s: metadata has no Name or Version", in.Path)
	}
	p, ok := newPackage(name, version, 0)
	if !ok {
		return nil, fmt.Errorf("python: %s: invalid name %q or version %q", in.Path, trunc(name), trunc(version))
	}
	p.Licenses = metadataLicenses(h)
	return []inventory.Package{p}, nil
}

// header holds core-metadata fields in file order; a field may repeat.
type header []field

type field struct{ key, value string }

func (h header) get(key string) string {
	for _, f := range h {
		if strings.EqualFold(f.key, key) {
			return strings.TrimSpace(f.value)
		}
	}
	return ""
}

func (h header) all(key string) []string {
	var out []string
	for _, f := range h {
		if strings.EqualFold(f.key, key) {
			out = append(out, strings.TrimSpace(f.value))
		}
	}
	return out
}

// maxFields bounds the header of a metadata file.
const maxFields = 10000

// parseMetadata reads the RFC 822-style header of core metadata
// (continuation lines start with a blank) up to the first empty line,
// where the description body starts.
func parseMetadata(data []byte) (header, error) {
	var h header
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			break // the body; a line of blanks is a continuation, as Python's email parser reads it
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(h) == 0 {
				return h, fmt.Errorf("line %d: continuation before any field", n)
			}
			h[len(h)-1].value += "\n" + strings.TrimSpace(line)
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) == "" || strings.ContainsAny(k, " \t") {
			return h, fmt.Errorf("line %d: not a header field", n)
		}
		if len(h) >= maxFields {
			return h, fmt.Errorf("more than %d header fields", maxFields)
		}
		h = append(h, field{key: k, value: strings.TrimSpace(v)})
	}
	if err := sc.Err(); err != nil {
		return h, fmt.Errorf("line %d: %w", n+1, err)
	}
	return h, nil
}

// metadataLicenses picks the licence fields described on Installed.
func metadataLicenses(h header) []string {
	if e := h.get("License-Expression"); e != "" && len(e) <= maxLicenseLen*4 && !strings.Contains(e, "\n") {
		return []string{e}
	}
	if l := h.get("License"); l != "" && len(l) <= maxLicenseLen && !strings.Contains(l, "\n") && !strings.EqualFold(l, "UNKNOWN") {
		return []string{l}
	}
	var out []string
	for _, c := range h.all("Classifier") {
		if id, ok := classifierSPDX[strings.Join(strings.Fields(c), " ")]; ok {
			out = append(out, id)
		}
	}
	return out
}

// classifierSPDX maps the trove classifiers for licences to SPDX ids.
// Classifiers that name a family rather than one licence ("BSD License",
// "GNU General Public License (GPL)") are left out on purpose.
var classifierSPDX = map[string]string{
	"License :: OSI Approved :: MIT License":                                             "MIT",
	"License :: OSI Approved :: MIT No Attribution License (MIT-0)":                      "MIT-0",
	"License :: OSI Approved :: Apache Software License":                                 "Apache-2.0",
	"License :: OSI Approved :: ISC License (ISCL)":                                      "ISC",
	"License :: OSI Approved :: Python Software Foundation License":                      "PSF-2.0",
	"License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)":                    "MPL-2.0",
	"License :: OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)":                    "MPL-1.1",
	"License :: OSI Approved :: GNU General Public License v2 (GPLv2)":                   "GPL-2.0-only",
	"License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)":         "GPL-2.0-or-later",
	"License :: OSI Approved :: GNU General Public License v3 (GPLv3)":                   "GPL-3.0-only",
	"License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)":         "GPL-3.0-or-later",
	"License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)":           "LGPL-2.0-only",
	"License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
	"License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)":           "LGPL-3.0-only",
	"License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
	"License :: OSI Approved :: GNU Affero General Public License v3":                    "AGPL-3.0-only",
	"License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
	"License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)":                    "EPL-2.0",
	"License :: OSI Approved :: Boost Software License 1.0 (BSL-1.0)":                    "BSL-1.0",
	"License :: OSI Approved :: The Unlicense (Unlicense)":                               "Unlicense",
	"License :: OSI Approved :: Universal Permissive License (UPL)":                      "UPL-1.0",
	"License :: OSI Approved :: zlib/libpng License":                                     "Zlib",
	"License :: OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)":            "EUPL-1.2",
	"License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication":                    "CC0-1.0",
}
