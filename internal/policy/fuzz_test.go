package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pavesec/pave/internal/finding"
)

// fuzzFindings are a few findings every fuzzed policy is applied to.
func fuzzFindings() []finding.Finding {
	a := vuln("CVE-2023-38545", []string{"GHSA-x"}, "pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.24?arch=amd64", "var/lib/dpkg/status")
	b := vuln("CVE-2023-44487", []string{"GO-2023-2102"}, "pkg:golang/golang.org/x/net@v0.15.0", "app/server", "opt/x")
	b.Vuln.Status = "unfixed"
	c := misconfig("PAVE-DF-001", "Dockerfile")
	d := vuln("CVE-2021-44228", nil, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "a.jar")
	d.Target = finding.Target{Kind: "image", Name: "registry.rancher.com/rancher/rancher-webhook:v1", Digest: "sha256:abcd"}
	return []finding.Finding{a, b, c, d}
}

func addFiles(f *testing.F, pattern string) {
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds %s: %v", pattern, err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzParseConfig: no panic; a config or an error, never both; a config
// holds only valid exceptions, and applying it fails only for expiry.
func FuzzParseConfig(f *testing.F) {
	addFiles(f, "testdata/golden/pave.yaml")
	f.Add([]byte(fullConfig))
	f.Add([]byte("version: 1\nexceptions:\n  - {id: a, reason: b, expires: 2027-01-01}\n"))
	f.Add([]byte("version: 1\nfailOn: &x high\nvex: *x\n"))
	f.Add([]byte("version: 1\n---\n- a\n"))
	f.Add([]byte("{version: 1, registries: {allow: [\"a\"]}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data, "f.yaml")
		if (cfg == nil) == (err == nil) {
			t.Fatalf("cfg = %v, err = %v", cfg, err)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if cfg.Version != ConfigVersion {
			t.Fatalf("version %d accepted", cfg.Version)
		}
		for _, e := range cfg.Exceptions {
			if e.Reason == "" || e.Expires == "" || e.Line <= 0 || !strings.HasPrefix(e.Source, "f.yaml:") {
				t.Fatalf("bad exception %+v", e)
			}
		}
		p := &Policy{Exceptions: cfg.Exceptions, IgnoreUnfixed: cfg.IgnoreUnfixed}
		if _, err := p.Apply(fuzzFindings(), day); err != nil {
			var ee *ExpiredError
			if !errors.As(err, &ee) {
				t.Fatalf("Apply: %v", err)
			}
		}
	})
}

// checkVEX is the invariant every VEX parser keeps: a document or an
// error; every statement it keeps can be applied.
func checkVEX(t *testing.T, d *VEXDocument, err error) {
	if (d == nil) == (err == nil) {
		t.Fatalf("doc = %v, err = %v", d, err)
	}
	if err != nil {
		return
	}
	for _, st := range d.Statements {
		switch st.Status {
		case NotAffected, Affected, Fixed, UnderInvestigation:
		default:
			t.Fatalf("status %q kept", st.Status)
		}
		if st.Vulnerability == "" || len(st.Products) == 0 {
			t.Fatalf("statement kept without id or product: %+v", st)
		}
		if st.State == "not_affected" && st.Justification == "" && st.Impact == "" {
			t.Fatalf("not_affected without a reason kept: %+v", st)
		}
	}
	if len(d.Warnings) > maxVEXWarnings+1 {
		t.Fatalf("%d warnings", len(d.Warnings))
	}
	fs := fuzzFindings()
	if _, err := (&Policy{VEX: []*VEXDocument{d}, IgnoreUnfixed: true}).Apply(fs, day); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	for _, f := range fs {
		if s := f.Suppressed; s != nil && s.Kind == KindVEX && s.Source == "" {
			t.Fatalf("VEX suppression without source: %+v", s)
		}
	}
}

func FuzzParseOpenVEX(f *testing.F) {
	addFiles(f, "testdata/openvex/*.json")
	f.Add([]byte(`{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":"CVE-2021-44228","products":["pkg:oci/x@sha256:abcd"],"status":"not_affected","justification":"component_not_present"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseOpenVEX(data, "f.json")
		checkVEX(t, d, err)
	})
}

func FuzzParseCycloneDXVEX(f *testing.F) {
	addFiles(f, "testdata/cyclonedx/*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseCycloneDXVEX(data, "f.json")
		checkVEX(t, d, err)
	})
}

func FuzzParseVEX(f *testing.F) {
	addFiles(f, "testdata/*/*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseVEX(data, "f.json")
		checkVEX(t, d, err)
	})
}

// FuzzParsePURL: a parsed package URL has a type and a name, and a
// version-less copy of it matches it.
func FuzzParsePURL(f *testing.F) {
	for _, s := range []string{"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64", "pkg:npm/@types/node@1", "pkg:rpm/x/y@1?epoch=2", "pkg:oci/a@sha256%3Aab?repository_url=r.io/a&tag=1", "pkg:pypi/A_b.C"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePURL(s)
		if err != nil {
			return
		}
		if p.typ == "" || p.name == "" {
			t.Fatalf("%q parsed to %+v", s, p)
		}
		q := p
		q.version = ""
		if !q.matches(p) || !p.matches(p) {
			t.Fatalf("%+v does not match itself", p)
		}
	})
}

// FuzzGlob: compiling and matching never panic; "**/" before a pattern
// never loses a match.
func FuzzGlob(f *testing.F) {
	f.Add("usr/**/*.so", "usr/lib/x.so")
	f.Add("[a-", "a")
	f.Add("**", "")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		g, err := compileGlob(pattern)
		if err != nil {
			return
		}
		m := g.match(name)
		if m {
			g2, err := compileGlob("**/" + cleanRel(pattern))
			if err != nil || !g2.match(name) {
				t.Fatalf("%q matches %q but **/%q does not", pattern, name, pattern)
			}
		}
	})
}

// FuzzParseImageRef: a parsed reference has a canonical repository.
func FuzzParseImageRef(f *testing.F) {
	for _, s := range []string{"alpine:3.19", "ghcr.io/a/b@sha256:0123456789abcdef0123456789abcdef", "localhost:5000/x", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, ok := parseImageRef(s)
		if !ok {
			return
		}
		if !strings.Contains(r.repo, "/") || r.repo != strings.ToLower(r.repo) {
			t.Fatalf("%q parsed to %+v", s, r)
		}
	})
}
