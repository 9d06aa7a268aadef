package java

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// maxPomSize bounds a pom file.
const maxPomSize = 8 << 20

// debianMavenRepo is where Debian's maven-repo-helper installs poms:
// usr/share/maven-repo/<group path>/<artifact>/<version>/<artifact>-<version>.pom.
const debianMavenRepo = "usr/share/maven-repo/"

// PomExtractor reports the Maven artifacts Debian's lib*-java packages
// install, from the poms in Debian's Maven repository. The jars those
// packages put in usr/share/java are read by java/archive too; both name
// the same PURL, so the scan merges them.
type PomExtractor struct{}

var _ extract.Extractor = (*PomExtractor)(nil)

// NewPomExtractor returns the java/pom extractor.
func NewPomExtractor() *PomExtractor { return &PomExtractor{} }

// Name implements extract.Extractor.
func (*PomExtractor) Name() string { return "java/pom" }

// Version implements extract.Extractor.
func (*PomExtractor) Version() int { return 1 }

// Match claims poms laid out as in a Maven repository under Debian's
// usr/share/maven-repo: <artifact>/<version>/<artifact>-<version>.pom. The
// "debian" version directory, which Debian adds beside the real one as an
// alias for whatever version is installed, is skipped: it duplicates the
// real one under a version that means nothing to an advisory, and so are
// the major-version aliases such as "2.x" (jackson-databind/2.x/, from
// maven-repo-helper's --has-package-version).
func (*PomExtractor) Match(p string, info fs.FileInfo) bool {
	rest, ok := cutRepo(p)
	if !ok || !strings.HasSuffix(rest, ".pom") || (info != nil && info.Size() > maxPomSize) {
		return false
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 4 { // at least group/artifact/version/file
		return false
	}
	artifact, version, file := parts[len(parts)-3], parts[len(parts)-2], parts[len(parts)-1]
	return !aliasVersion(version) && file == artifact+"-"+version+".pom"
}

// aliasVersion reports whether a maven-repo version directory is one of
// Debian's aliases rather than a release.
func aliasVersion(v string) bool { return v == "debian" || strings.HasSuffix(v, ".x") }

func cutRepo(p string) (string, bool) {
	if rest, ok := strings.CutPrefix(p, debianMavenRepo); ok {
		return rest, true
	}
	if i := strings.Index(p, "/"+debianMavenRepo); i >= 0 {
		return p[i+1+len(debianMavenRepo):], true
	}
	return "", false
}

type pomProject struct {
	GroupID    string `xml:"groupId"`
	ArtifactID string `xml:"artifactId"`
	Version    string `xml:"version"`
	Packaging  string `xml:"packaging"`
	Parent     struct {
		GroupID string `xml:"groupId"`
		Version string `xml:"version"`
	} `xml:"parent"`
	Properties struct {
		DebianPackage string `xml:"debian.package"`
	} `xml:"properties"`
	Relocation *struct{} `xml:"distributionManagement>relocation"`
	Licenses   []string  `xml:"licenses>license>name"`
}

// Extract reports the pom's artifact. The groupId is inherited from the
// parent when the pom has none; a version that is missing or a ${property}
// reference is taken from the directory. Relocation poms (Debian's
// "3.x"-style aliases pointing at another version) and parent poms or BOMs
// (packaging "pom") are skipped. The
// properties' debian.package names the owning Debian package.
func (*PomExtractor) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(in.Reader, maxPomSize+1))
	if err != nil {
		return nil, fmt.Errorf("java/pom: read %s: %w", in.Path, err)
	}
	if len(data) > maxPomSize {
		return nil, fmt.Errorf("java/pom: %s: over the %d-byte limit", in.Path, maxPomSize)
	}
	dirVersion := path.Base(path.Dir(in.Path))
	return parsePom(data, dirVersion)
}

func parsePom(data []byte, dirVersion string) ([]inventory.Package, error) {
	var p pomProject
	dec := xml.NewDecoder(strings.NewReader(string(data)))
	dec.Strict = false
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("java/pom: parse: %w", err)
	}
	// Relocations are aliases; parent poms and BOMs (packaging "pom")
	// carry no code: only the artifacts that use them are installed.
	if p.Relocation != nil || strings.TrimSpace(p.Packaging) == "pom" {
		return nil, nil
	}
	group := strings.TrimSpace(p.GroupID)
	if group == "" {
		group = strings.TrimSpace(p.Parent.GroupID)
	}
	artifact := strings.TrimSpace(p.ArtifactID)
	version := strings.TrimSpace(p.Version)
	if version == "" || strings.Contains(version, "${") {
		version = dirVersion
	}
	if group == "" || artifact == "" || version == "" || aliasVersion(version) || strings.Contains(group, "${") {
		return nil, nil
	}
	pkg := newPackage(group, artifact, version)
	for _, l := range p.Licenses {
		if l = strings.TrimSpace(l); l != "" {
			pkg.Licenses = append(pkg.Licenses, l)
		}
	}
	if d := strings.TrimSpace(p.Properties.DebianPackage); d != "" {
		pkg.OwnedBy = "deb:" + d
	}
	return []inventory.Package{pkg}, nil
}
