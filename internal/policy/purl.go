package policy

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/pavesec/pave/internal/extract/python"
)

// purl is a package URL reduced to what matching needs: the package
// (type, namespace, name) and the version. Qualifiers and subpath are
// dropped, except the ones that change identity: rpm's epoch (folded into
// the version) and oci's repository_url and tag (kept for image matching).
type purl struct {
	typ, namespace, name string
	version              string
	repositoryURL, tag   string // oci only
}

// key identifies the package without its version, normalised so that
// spellings the spec calls equal compare equal.
func (p purl) key() string {
	return p.typ + "/" + p.namespace + "/" + p.name
}

var errNotPURL = errors.New(`not a package URL (want "pkg:type/namespace/name@version")`)

// parsePURL reads a package URL as the purl specification's parsing
// algorithm does: subpath, qualifiers and version are cut from the right,
// then the type, then name and namespace; each part is percent-decoded.
func parsePURL(s string) (purl, error) {
	var p purl
	rest, ok := cutPrefixFold(strings.TrimSpace(s), "pkg:")
	if !ok {
		return p, errNotPURL
	}
	rest = strings.TrimLeft(rest, "/")
	rest, _, _ = strings.Cut(rest, "#")
	rest, query, _ := strings.Cut(rest, "?")
	typ, rest, ok := strings.Cut(rest, "/")
	if !ok || typ == "" {
		return p, fmt.Errorf("%w: no type", errNotPURL)
	}
	p.typ = strings.ToLower(typ)
	rest = strings.Trim(rest, "/")
	// The version follows the last '@', unless that '@' is a scope
	// written unencoded ("pkg:npm/@types/node"): a version has no '/'.
	if at := strings.LastIndexByte(rest, '@'); at >= 0 && !strings.Contains(rest[at+1:], "/") {
		v, err := url.PathUnescape(rest[at+1:])
		if err != nil {
			return p, fmt.Errorf("%w: version: %v", errNotPURL, err)
		}
		p.version = v
		rest = rest[:at]
	}
	if slash := strings.LastIndexByte(rest, '/'); slash >= 0 {
		segs := strings.Split(rest[:slash], "/")
		for i, seg := range segs {
			d, err := url.PathUnescape(seg)
			if err != nil {
				return p, fmt.Errorf("%w: namespace: %v", errNotPURL, err)
			}
			segs[i] = strings.ToLower(d)
		}
		p.namespace = strings.Join(segs, "/")
		rest = rest[slash+1:]
	}
	name, err := url.PathUnescape(rest)
	if err != nil {
		return p, fmt.Errorf("%w: name: %v", errNotPURL, err)
	}
	if name == "" {
		return p, fmt.Errorf("%w: no name", errNotPURL)
	}
	p.name = strings.ToLower(name)
	if p.typ == "pypi" {
		p.name = python.NormalizeName(p.name)
	}
	var epoch string
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		v, err := url.PathUnescape(v)
		if err != nil {
			continue // a broken qualifier cannot change what we compare
		}
		switch strings.ToLower(k) {
		case "epoch":
			epoch = v
		case "repository_url":
			p.repositoryURL = v
		case "tag":
			p.tag = v
		}
	}
	p.version = normalizeVersion(p.typ, p.version, epoch)
	return p, nil
}

// normalizeVersion makes equal versions compare equal: an rpm epoch given
// as a qualifier joins the version and epoch 0 is dropped; a Go version
// loses its "v".
func normalizeVersion(typ, v, epoch string) string {
	if v == "" {
		return v
	}
	switch typ {
	case "rpm":
		if epoch != "" && !strings.Contains(v, ":") {
			v = epoch + ":" + v
		}
		v = strings.TrimPrefix(v, "0:")
	case "golang":
		v = strings.TrimPrefix(v, "v")
	}
	return v
}

// matches reports whether package URL p, used as a pattern, names q:
// same package, and the same version when p has one.
func (p purl) matches(q purl) bool {
	return p.typ == q.typ && p.namespace == q.namespace && p.name == q.name &&
		(p.version == "" || p.version == q.version)
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
