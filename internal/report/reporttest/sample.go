package reporttest

import (
	"fmt"
	"strings"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
)

// The package names, versions, sources and licences below are real: the
// Debian packages come from a Debian 12 system's /var/lib/dpkg/status and
// /usr/share/doc/*/copyright ("License:" lines verbatim, including the
// Debian-only spellings such as "GPL-3+" and "Expat"), the npm ones from
// their package.json files in the npm 11 distribution (minimist 1.2.5 from
// the npm registry: it is affected by CVE-2021-44906), the Maven ones from
// the pom.properties inside Debian's jars, the Python ones from their
// dist-info METADATA, and the Go modules from pave's go.mod. The layer
// digests are sha256 sums of fixed labels: the sample image does not exist.

// Sample layers, base first.
var sampleLayers = [...]inventory.Layer{
	{
		Index:     0,
		Digest:    "sha256:d57fd2265a9b41220c696a76719c39c18977fa16a26c48b73a711b13ebcd5f25",
		DiffID:    "sha256:15bded76e13adcdbb0c0febf1dcb98e813c463996d99751a987c2ce40e98aa9c",
		CreatedBy: "# debian.sh --arch 'amd64' out/ 'bookworm' '@1763337600'",
	},
	{
		Index:     1,
		Digest:    "sha256:45ab703f8845d1f772a7c85ece3c5ecea6e00880a359baf46f84b0b4113b5811",
		DiffID:    "sha256:a328512c4dc3cf11ee4dfc562da175e10ed1569206da6e7b9346f7fee830ab87",
		CreatedBy: "RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends python3-six python3-cryptography python3-yaml libcommons-cli-java # buildkit",
	},
	{
		Index:     2,
		Digest:    "sha256:627899dc9879aa149ab0b04657398457e03ba31ffe9726dda008766e5dd15b46",
		DiffID:    "sha256:0860f94492ac3e3296df20c4696f5093040aa38f1ea502564958ceffc707365d",
		CreatedBy: "COPY app/ /app/ # buildkit",
	},
}

type debRow struct {
	name, version, arch, source, sourceVersion string
	licenses                                   []string
	layer                                      int
}

var debRows = []debRow{
	{"base-files", "12.4+deb12u11", "amd64", "", "", nil, 0},
	{"bash", "5.2.15-2+b8", "amd64", "bash", "5.2.15-2", []string{"GPL-3+"}, 0},
	{"ca-certificates", "20230311+deb12u1", "all", "", "", []string{"GPL-2+", "MPL-2.0"}, 1},
	{"coreutils", "9.1-1", "amd64", "", "", []string{"GPL-3+", "GPL-3+ and BSD-4-clause-UC"}, 0},
	{"libc6", "2.36-9+deb12u14", "amd64", "glibc", "", nil, 0},
	{"libcommons-cli-java", "1.5.0-1", "all", "", "", []string{"Apache-2.0"}, 1},
	{"libssl3", "3.0.19-1~deb12u2", "amd64", "openssl", "", []string{"Apache-2.0"}, 0},
	{"perl-base", "5.36.0-7+deb12u2", "amd64", "perl", "", []string{"GPL-1+ or Artistic"}, 0},
	{"python3-cryptography", "38.0.4-3+deb12u1", "amd64", "python-cryptography", "", []string{"Apache", "Expat"}, 1},
	{"python3-six", "1.16.0-4", "all", "six", "", []string{"Expat"}, 1},
	{"python3-yaml", "6.0-3+b2", "amd64", "pyyaml", "6.0-3", nil, 1},
	{"tzdata", "2025b-0+deb12u2", "all", "", "", []string{"public-domain"}, 0},
	{"zlib1g", "1:1.2.13.dfsg-1", "amd64", "zlib", "", []string{"Zlib"}, 0},
}

func layer(i int) *inventory.Layer {
	l := sampleLayers[i]
	return &l
}

// SampleDistro is the distribution of the sample image.
func SampleDistro() *inventory.Distro {
	return &inventory.Distro{
		ID:              "debian",
		VersionID:       "12",
		VersionCodename: "bookworm",
		PrettyName:      "Debian GNU/Linux 12 (bookworm)",
		EOL:             "2026-06-10",
		Source:          "etc/os-release",
	}
}

// Sample returns a scan of a Debian 12 image with OS, Python, npm, Maven
// and Go packages spread over three layers, three findings (a
// vulnerability, a misconfiguration and a masked secret) and one file
// error. Each call returns a fresh value the caller may modify.
func Sample() *report.Scan {
	var pkgs []inventory.Package
	for _, r := range debRows {
		p := inventory.Package{
			Name:      r.name,
			Version:   r.version,
			Ecosystem: inventory.Deb,
			PURL:      inventory.PURL(inventory.Deb, "debian", r.name, r.version, map[string]string{"arch": r.arch, "distro": "debian-12"}),
			Licenses:  r.licenses,
			Locations: []inventory.Location{{Path: "var/lib/dpkg/status", Layer: layer(r.layer)}},
			Arch:      r.arch,
			Extractor: "os/dpkg",
		}
		if r.source != "" {
			p.Source = &inventory.SourcePackage{Name: r.source, Version: r.sourceVersion}
		}
		pkgs = append(pkgs, p)
	}
	lang := func(eco inventory.Ecosystem, ns, name, version, lic, extractor, ownedBy string, dev bool, locs ...inventory.Location) inventory.Package {
		full := name
		switch {
		case eco == inventory.Maven:
			full = ns + ":" + name
		case ns != "":
			full = ns + "/" + name
		}
		p := inventory.Package{
			Name: full, Version: version, Ecosystem: eco,
			PURL:      inventory.PURL(eco, ns, name, version, nil),
			Locations: locs, OwnedBy: ownedBy, Dev: dev, Extractor: extractor,
		}
		if lic != "" {
			p.Licenses = []string{lic}
		}
		return p
	}
	at := func(path string, line, l int) inventory.Location {
		return inventory.Location{Path: path, Line: line, Layer: layer(l)}
	}
	pkgs = append(pkgs,
		lang(inventory.PyPI, "", "cryptography", "38.0.4", "BSD-3-Clause OR Apache-2.0", "python/dist-info", "deb:python3-cryptography", false,
			at("usr/lib/python3/dist-packages/cryptography-38.0.4.dist-info/METADATA", 0, 1)),
		lang(inventory.PyPI, "", "pyyaml", "6.0", "MIT", "python/dist-info", "deb:python3-yaml", false,
			at("usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA", 0, 1)),
		lang(inventory.PyPI, "", "six", "1.16.0", "MIT", "python/egg-info", "deb:python3-six", false,
			at("usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO", 0, 1)),
		lang(inventory.NPM, "@npmcli", "arborist", "9.9.1", "ISC", "javascript/package-lock", "", false,
			at("app/package-lock.json", 27, 2)),
		lang(inventory.NPM, "", "brace-expansion", "5.0.9", "MIT", "javascript/package-lock", "", true,
			at("app/package-lock.json", 88, 2)),
		lang(inventory.NPM, "", "minimatch", "10.2.5", "BlueOak-1.0.0", "javascript/package-lock", "", false,
			at("app/package-lock.json", 143, 2)),
		lang(inventory.NPM, "", "minimist", "1.2.5", "MIT", "javascript/package-lock", "", false,
			at("app/package-lock.json", 156, 2)),
		lang(inventory.NPM, "", "semver", "7.8.5", "ISC", "javascript/package-lock", "", false,
			at("app/package-lock.json", 201, 2), at("usr/share/nodejs/semver/package.json", 0, 1)),
		lang(inventory.Maven, "commons-cli", "commons-cli", "1.5.0", "", "java/archive", "deb:libcommons-cli-java", false,
			at("usr/share/java/commons-cli-1.5.0.jar", 0, 1)),
		lang(inventory.Maven, "commons-io", "commons-io", "2.11.0", "Apache-2.0", "java/archive", "", false,
			inventory.Location{Path: "app/app.jar", Inner: "BOOT-INF/lib/commons-io-2.11.0.jar", Layer: layer(2)}),
		lang(inventory.Golang, "github.com/google", "go-cmp", "v0.7.0", "BSD-3-Clause", "go/binary", "", false,
			at("app/bin/pave", 0, 2)),
		lang(inventory.Golang, "golang.org/x", "mod", "v0.43.0", "BSD-3-Clause", "go/binary", "", false,
			at("app/bin/pave", 0, 2)),
	)
	pkgs = inventory.Merge(pkgs)

	target := finding.Target{Kind: "image", Name: "registry.example/shop/web:1.4", Digest: sampleDigest}
	var minimist *inventory.Package
	for i := range pkgs {
		if pkgs[i].Name == "minimist" {
			minimist = &pkgs[i]
		}
	}
	findings := []finding.Finding{
		{
			Rule: finding.Rule{
				ID: "CVE-2021-44906", Kind: finding.Vulnerability,
				Title:    "Prototype Pollution in minimist",
				Severity: finding.Critical,
			},
			Severity: finding.Critical,
			Target:   target,
			Location: finding.Location{Path: "app/package-lock.json", StartLine: 156, Layer: layer(2)},
			Package:  minimist,
			Message:  "minimist 1.2.5 is affected; fixed in 1.2.6",
			Signals:  finding.Signals{FixedIn: []string{"1.2.6"}},
		},
		{
			Rule: finding.Rule{
				ID: "PAVE-IMG-001", Kind: finding.Misconfig,
				Title:       "Image runs as root",
				Severity:    finding.High,
				Remediation: "Add a USER instruction with a non-root user.",
				Controls:    []finding.Control{{Framework: "CIS-Docker", ID: "4.1"}, {Framework: "NIST-800-190", ID: "4.4.3"}},
			},
			Severity: finding.High,
			Target:   target,
			Message:  "the image config sets no user",
		},
		{
			Rule: finding.Rule{
				ID: "PAVE-SEC-AWS-001", Kind: finding.Secret,
				Title:    "AWS access key ID",
				Severity: finding.Medium,
			},
			Severity: finding.Medium,
			Target:   target,
			Location: finding.Location{Path: "app/.env", StartLine: 3, EndLine: 3, Layer: layer(2)},
			Evidence: "AWS_ACCESS_KEY_ID=AKIA************MPLE",
		},
	}
	for i := range findings {
		findings[i].Fingerprint = findings[i].ComputeFingerprint()
	}

	return &report.Scan{
		Header: report.Header{
			Schema: report.Schema,
			Tool:   report.Tool{Name: "pave", Version: "0.1.0"},
			Target: report.Target{
				Kind:     "docker-archive",
				Name:     "registry.example/shop/web:1.4",
				Digest:   sampleDigest,
				ImageID:  "sha256:dc94c1a029f0fc9a06eafb85c1c4f14761ef01f27cc5517257bc19bcbcbaedf2",
				Platform: "linux/amd64",
				RepoTags: []string{"registry.example/shop/web:1.4", "registry.example/shop/web:latest"},
			},
			Distro: SampleDistro(),
			Layers: sampleLayers[:],
		},
		Packages: pkgs,
		Findings: findings,
		Summary: report.Summary{
			Status: "partial",
			Errors: []report.FileError{{
				Path: "app/node_modules/.package-lock.json", Layer: 2, Extractor: "javascript/package-lock",
				Error: "npm: parse app/node_modules/.package-lock.json: unexpected end of JSON input",
			}},
			Packages: len(pkgs),
			Findings: len(findings),
			Files:    11482,
		},
	}
}

const sampleDigest = "sha256:2ade71898a36d48572685c9fe1ca0e8bcf38daa430db73d80f3398a2402f14c5"

// SampleDir returns a scan of a plain project directory: no layers, no
// distro, a complete status.
func SampleDir() *report.Scan {
	s := Sample()
	var pkgs []inventory.Package
	for _, p := range s.Packages {
		if p.Ecosystem != inventory.NPM {
			continue
		}
		locs := p.Locations[:0:0]
		for _, l := range p.Locations {
			if strings.HasPrefix(l.Path, "app/") {
				l.Path = strings.TrimPrefix(l.Path, "app/")
				l.Layer = nil
				locs = append(locs, l)
			}
		}
		p.Locations = locs
		pkgs = append(pkgs, p)
	}
	return &report.Scan{
		Header: report.Header{
			Schema: report.Schema,
			Tool:   report.Tool{Name: "pave", Version: "0.1.0"},
			Target: report.Target{Kind: "dir", Name: "./web"},
		},
		Packages: pkgs,
		Summary:  report.Summary{Status: "complete", Packages: len(pkgs), Files: 412},
	}
}

// Many returns a scan with n packages for benchmarks: the sample's
// packages repeated with a numbered name, so that every one is distinct,
// and sorted as a sink expects.
func Many(n int) *report.Scan {
	s := Sample()
	base := s.Packages
	pkgs := make([]inventory.Package, 0, n)
	for i := 0; len(pkgs) < n; i++ {
		p := base[i%len(base)]
		p.Name = fmt.Sprintf("%s-%d", p.Name, i)
		p.PURL = inventory.PURL(p.Ecosystem, "", p.Name, p.Version, nil)
		pkgs = append(pkgs, p)
	}
	s.Packages = inventory.Merge(pkgs)
	s.Summary.Packages = len(s.Packages)
	return s
}
