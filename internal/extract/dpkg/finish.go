package dpkg

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/pavesec/pave/internal/artifact/layers"
	"github.com/pavesec/pave/internal/inventory"
)

// Wants claims the per-package file lists (info/*.list, status.d/*.md5sums)
// and the copyright files licences are read from.
func (*Extractor) Wants(p string) bool {
	switch {
	case strings.HasPrefix(p, infoDir+"/"):
		return strings.HasSuffix(p, ".list") && !strings.Contains(p[len(infoDir)+1:], "/")
	case strings.HasPrefix(p, statusDir+"/"):
		return strings.HasSuffix(p, ".md5sums") && !strings.Contains(p[len(statusDir)+1:], "/")
	case strings.HasPrefix(p, docDir+"/"):
		rest, ok := strings.CutSuffix(p[len(docDir)+1:], "/copyright")
		return ok && rest != "" && !strings.Contains(rest, "/")
	}
	return false
}

// Finish fills Files and Licenses of the packages this extractor found. A
// file that is absent or was too large to keep is skipped silently: the
// package stays, with fewer details.
func (*Extractor) Finish(ctx context.Context, view fs.FS, pkgs []*inventory.Package) error {
	var errs []error
	for _, p := range pkgs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := finishOne(view, p); err != nil && len(errs) < maxErrors {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func finishOne(view fs.FS, p *inventory.Package) error {
	where := statusPath
	if len(p.Locations) > 0 && p.Locations[0].Path != "" {
		where = p.Locations[0].Path
	}
	var candidates []string
	if path.Dir(where) == statusDir {
		candidates = []string{where + ".md5sums", statusDir + "/" + p.Name + ".md5sums"}
	} else {
		info := path.Join(path.Dir(where), "info")
		if p.Arch != "" {
			candidates = append(candidates, info+"/"+p.Name+":"+p.Arch+".list")
		}
		candidates = append(candidates, info+"/"+p.Name+".list")
	}
	var errs []error
	for _, c := range candidates {
		data, err := readOptional(view, c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if data == nil {
			continue
		}
		if strings.HasSuffix(c, ".md5sums") {
			p.Files = parseMD5Sums(data)
		} else {
			p.Files = parseList(data)
		}
		break
	}
	data, err := readOptional(view, docDir+"/"+p.Name+"/copyright")
	if err != nil {
		errs = append(errs, err)
	} else if data != nil {
		p.Licenses = CopyrightLicenses(data)
	}
	return errors.Join(errs...)
}

// readOptional returns nil, nil for a file that is absent or whose content
// was not kept.
func readOptional(view fs.FS, name string) ([]byte, error) {
	data, err := fs.ReadFile(view, name)
	if err == nil {
		return data, nil
	}
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) || errors.Is(err, layers.ErrNotRetained) {
		return nil, nil
	}
	return nil, fmt.Errorf("dpkg: read %s: %w", name, err)
}

// parseList turns a dpkg .list file (absolute paths, directories first)
// into the files the package installed: relative paths, without "/." and
// without the directories, recognised as entries the next entry lies
// under. (An empty directory a package ships stays in the list.)
func parseList(data []byte) []string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for sc.Scan() && len(lines) < maxFileLines {
		l := strings.TrimSuffix(sc.Text(), "\r")
		l = strings.Trim(path.Clean("/"+l), "/")
		if l == "" || l == "." {
			continue
		}
		lines = append(lines, l)
	}
	var out []string
	for i, l := range lines {
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], l+"/") {
			continue
		}
		out = append(out, l)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// parseMD5Sums reads "<md5>  <path>" lines (paths relative to the root).
func parseMD5Sums(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for sc.Scan() && len(out) < maxFileLines {
		_, f, ok := strings.Cut(strings.TrimSuffix(sc.Text(), "\r"), " ")
		if !ok {
			continue
		}
		f = strings.Trim(path.Clean("/"+strings.TrimLeft(f, " *")), "/")
		if f != "" && f != "." {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// CopyrightLicenses returns the licence names of a machine-readable Debian
// copyright file (https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/):
// the first line of every License field in the header and Files
// paragraphs, as written ("GPL-2+", "GPL-3+ with Bison exception"), sorted
// and without duplicates. Standalone License paragraphs (full texts
// referred to by name) add nothing new. A file that is not in that format
// gives nil: free-form copyright text is not guessed at.
func CopyrightLicenses(data []byte) []string {
	if !bytes.HasPrefix(data, []byte("Format:")) && !bytes.HasPrefix(data, []byte("Format-Specification:")) {
		return nil
	}
	var (
		out       []string
		lic       string
		hasFiles  bool
		first     = true
		lineCount int
	)
	flush := func() {
		if lic != "" && (hasFiles || first) {
			out = append(out, lic)
		}
		lic, hasFiles, first = "", false, false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	inPara := false
	for sc.Scan() {
		if lineCount++; lineCount > maxFileLines {
			break
		}
		l := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(l) == "" {
			if inPara {
				flush()
			}
			inPara = false
			continue
		}
		inPara = true
		if l[0] == ' ' || l[0] == '\t' {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		switch {
		case strings.EqualFold(k, "Files"):
			hasFiles = true
		case strings.EqualFold(k, "License"):
			lic = strings.TrimSpace(v)
		}
	}
	if inPara {
		flush()
	}
	slices.Sort(out)
	return slices.Compact(out)
}
