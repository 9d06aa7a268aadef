package policy

import (
	"strings"
)

// imageRef is a container image reference in its canonical form:
// registry/repository, tag and digest ("docker.io/library/alpine", "3.19",
// "sha256:…").
type imageRef struct {
	repo, tag, digest string
}

// parseImageRef reads a reference the way Docker does: a first component
// with a dot or a port, or "localhost", is a registry; otherwise the
// registry is docker.io, and one-component names live in library/.
func parseImageRef(s string) (imageRef, bool) {
	var r imageRef
	s = strings.TrimSpace(s)
	if s == "" || strings.Contains(s, "://") || strings.ContainsAny(s, " \t\n?#") {
		return r, false
	}
	if name, dig, ok := strings.Cut(s, "@"); ok {
		if !isDigest(dig) {
			return r, false
		}
		r.digest, s = strings.ToLower(dig), name
	}
	if colon := strings.LastIndexByte(s, ':'); colon > strings.LastIndexByte(s, '/') {
		r.tag, s = s[colon+1:], s[:colon]
		if r.tag == "" {
			return r, false
		}
	}
	if s == "" {
		return r, false
	}
	s = strings.ToLower(s)
	first, rest, hasSlash := strings.Cut(s, "/")
	if !hasSlash || !(strings.ContainsAny(first, ".:") || first == "localhost") {
		first, rest = "docker.io", s
	}
	if first == "index.docker.io" || first == "registry-1.docker.io" {
		first = "docker.io"
	}
	if first == "docker.io" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	for _, c := range rest {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("._-/", c)) {
			return r, false
		}
	}
	r.repo = first + "/" + rest
	return r, true
}

// isDigest reports whether s looks like "algorithm:hex".
func isDigest(s string) bool {
	alg, hex, ok := strings.Cut(s, ":")
	if !ok || alg == "" || len(hex) < 32 {
		return false
	}
	for _, c := range strings.ToLower(hex) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// imageMatcher decides whether a statement's image product is the scanned
// image.
type imageMatcher struct {
	ref  imageRef
	name string // last path element, for an oci PURL with no repository_url
}

// newImageMatcher builds a matcher from an image product; ok is false when
// the product names no image pave can recognise.
func newImageMatcher(p VEXProduct) (imageMatcher, bool) {
	var m imageMatcher
	if p.Image != "" {
		r, ok := parseImageRef(p.Image)
		if !ok {
			return m, false
		}
		m.ref = r
	}
	if p.PURL != "" {
		u, err := parsePURL(p.PURL)
		if err != nil || u.typ != "oci" {
			return m, false
		}
		if isDigest(u.version) {
			m.ref.digest = strings.ToLower(u.version)
		}
		if u.repositoryURL != "" {
			if r, ok := parseImageRef(u.repositoryURL); ok {
				m.ref.repo = r.repo
			}
		} else {
			m.name = u.name
		}
		m.ref.tag = u.tag
	}
	if p.Digest != "" {
		m.ref.digest = strings.ToLower(p.Digest)
	}
	return m, m.ref.digest != "" || m.ref.repo != "" || m.name != ""
}

// target is a scanned image as matching sees it.
type target struct {
	image  bool
	ref    imageRef
	digest string // Target.Digest
}

func (m imageMatcher) matches(t *target) bool {
	if !t.image {
		return false
	}
	if m.ref.digest != "" {
		return m.ref.digest == t.digest || m.ref.digest == t.ref.digest
	}
	switch {
	case m.ref.repo != "":
		if m.ref.repo != t.ref.repo {
			return false
		}
	case m.name != "":
		if m.name != t.ref.repo[strings.LastIndexByte(t.ref.repo, '/')+1:] {
			return false
		}
	default:
		return false
	}
	return m.ref.tag == "" || m.ref.tag == t.ref.tag
}
