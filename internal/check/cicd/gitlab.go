package cicd

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
)

// GitLabCI checks GitLab CI pipeline files.
type GitLabCI struct{}

var _ check.FileCheck = (*GitLabCI)(nil)

// NewGitLabCI returns the GitLab CI check.
func NewGitLabCI() check.FileCheck { return &GitLabCI{} }

// Name implements check.FileCheck.
func (*GitLabCI) Name() string { return "gitlab-ci" }

// Rules implements check.FileCheck.
func (*GitLabCI) Rules() []finding.Rule { return slices.Clone(glRules) }

// Match takes .gitlab-ci.yml, *.gitlab-ci.yml (templates and local
// includes) and .gitlab/ci/*.yml|yaml.
func (*GitLabCI) Match(p string, _ fs.FileInfo) bool {
	dir, file := path.Split(p)
	if file == ".gitlab-ci.yml" || file == ".gitlab-ci.yaml" || strings.HasSuffix(file, ".gitlab-ci.yml") || strings.HasSuffix(file, ".gitlab-ci.yaml") {
		return true
	}
	ext := path.Ext(file)
	dir = strings.TrimSuffix(dir, "/")
	return (ext == ".yml" || ext == ".yaml") && (dir == ".gitlab/ci" || strings.HasSuffix(dir, "/.gitlab/ci"))
}

// glKeywords are top-level keys that are not jobs.
var glKeywords = map[string]bool{"include": true, "stages": true, "variables": true, "workflow": true,
	"default": true, "spec": true, "image": true, "services": true, "cache": true,
	"before_script": true, "after_script": true, "types": true}

// Check implements check.FileCheck.
func (c *GitLabCI) Check(ctx context.Context, p string, content []byte) ([]finding.Finding, error) {
	docs, err := parseYAML(content)
	if err != nil {
		return nil, fmt.Errorf("gitlab-ci: %s: %w", p, err)
	}
	r := &glRun{path: p, lines: &lineIndex{content: content}}
	for _, d := range docs {
		// A component's file has a `spec:` header document, then the jobs.
		if d.kind != mapKind {
			continue
		}
		r.includes(d.get("include"))
		r.variables(d.pairOf("variables"))
		r.job(d)                // top-level image, services, scripts (deprecated globals)
		r.job(d.get("default")) // default:
		for _, jp := range d.pairs {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if glKeywords[jp.key] || jp.key == "default" || jp.val.kind != mapKind {
				continue
			}
			r.variables(jp.val.pairOf("variables"))
			r.job(jp.val)
		}
	}
	return sortFindings(r.out), nil
}

type glRun struct {
	path  string
	lines *lineIndex
	out   []finding.Finding
}

func (r *glRun) add(id string, sev finding.Severity, line, col int, evidence, msg string) {
	rule := check.Find(glRules, id)
	if col == 0 {
		col = r.lines.firstColumn(line)
	}
	if sev == finding.Unknown {
		sev = rule.Severity
	}
	r.out = append(r.out, finding.Finding{
		Rule: rule, Severity: sev,
		Location: finding.Location{Path: r.path, StartLine: line, Column: col},
		Evidence: evidence, Message: msg,
	})
}

// job checks image, services and scripts of a job (or of the defaults).
func (r *glRun) job(j *node) {
	if j == nil || j.kind != mapKind {
		return
	}
	if img := j.get("image"); img != nil {
		r.image(img, "image")
	}
	if svcs := j.get("services"); svcs != nil && svcs.kind == seqKind {
		for _, s := range svcs.items {
			r.image(s, "service")
		}
	}
	var lines []cmdLine
	for _, k := range []string{"before_script", "script", "after_script"} {
		lines = append(lines, glScript(j.get(k), 0)...)
	}
	for _, l := range pipeToShell(lines) {
		r.add(glPipeToShell, 0, l.line, l.col, strings.TrimSpace(l.text), "a script fetched over the network runs unchecked")
	}
	for _, d := range unverifiedDownloads(lines) {
		r.add(glUnverifiedDL, 0, d.at.line, d.at.col, strings.TrimSpace(d.at.text),
			d.file+" is run or installed with no checksum or signature check in this job")
	}
	for _, l := range lines {
		t := l.text
		if echoRe.MatchString(t) && !strings.ContainsAny(t, "|>") && jobTokenRe.MatchString(t) {
			r.add(glJobTokenEchoed, 0, l.line, l.col, strings.TrimSpace(t), "this prints a job credential to the job log")
		}
	}
}

var jobTokenRe = regexp.MustCompile(`\$\{?(CI_JOB_TOKEN|CI_REGISTRY_PASSWORD|CI_DEPLOY_PASSWORD|CI_DEPENDENCY_PROXY_PASSWORD)\b`)

// glScript flattens a script: a string, or a list of strings and nested
// lists (from !reference and anchors).
func glScript(n *node, depth int) []cmdLine {
	if n == nil || depth > 8 {
		return nil
	}
	switch n.kind {
	case scalarKind:
		return scriptLines(n)
	case seqKind:
		var out []cmdLine
		for _, it := range n.items {
			out = append(out, glScript(it, depth+1)...)
		}
		return out
	}
	return nil
}

// image checks an image or service: a string or {name: …}.
func (r *glRun) image(n *node, what string) {
	at := n
	ref := n.str()
	if n.kind == mapKind {
		at = n.get("name")
		ref = at.str()
	}
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.Contains(ref, "@sha256:") {
		return
	}
	tag := imageTag(ref)
	if strings.Contains(ref, "$") && tag != "latest" {
		return // built from variables: cannot tell here
	}
	if tag == "" || tag == "latest" {
		r.add(glImageUnpinned, 0, at.line, at.col, what+": "+ref,
			fmt.Sprintf("%s follows whatever is pushed as latest", ref))
		return
	}
	r.add(glImageTagOnly, 0, at.line, at.col, what+": "+ref,
		fmt.Sprintf("%s is pinned by tag %s, which can be re-pushed", ref, tag))
}

// imageTag returns an image reference's tag, "" if none.
func imageTag(ref string) string {
	last := ref[strings.LastIndexByte(ref, '/')+1:]
	if i := strings.LastIndexByte(last, ':'); i >= 0 {
		return last[i+1:]
	}
	return ""
}

// includes checks include: in its shapes: a string, a mapping, a list.
func (r *glRun) includes(n *node) {
	if n == nil {
		return
	}
	switch n.kind {
	case seqKind:
		for _, it := range n.items {
			r.include(it)
		}
	default:
		r.include(n)
	}
}

var glSHARe = regexp.MustCompile(`^[0-9a-f]{40}$`)

func (r *glRun) include(n *node) {
	if n.kind == scalarKind {
		if isURL(n.value) {
			r.add(glRemoteInclude, 0, n.line, n.col, "include: "+n.value, "the pipeline runs whatever the URL serves today")
		}
		return
	}
	if n.kind != mapKind {
		return
	}
	if p := n.pairOf("remote"); p != nil {
		if n.get("integrity") == nil {
			r.add(glRemoteInclude, 0, p.line, p.col, "remote: "+p.val.str(), "the pipeline runs whatever the URL serves today")
		}
	}
	if p := n.pairOf("project"); p != nil {
		ref := n.pairOf("ref")
		switch {
		case ref == nil:
			r.add(glProjectInclude, finding.High, p.line, p.col, "project: "+p.val.str()+" (no ref)",
				"with no ref the include follows the project's default branch")
		case !glSHARe.MatchString(ref.val.str()):
			r.add(glProjectInclude, 0, ref.line, ref.col, "project: "+p.val.str()+" ref: "+ref.val.str(),
				"the ref "+ref.val.str()+" is a branch or tag, which can move")
		}
	}
	if p := n.pairOf("component"); p != nil {
		c := p.val.str()
		_, version, ok := strings.Cut(c, "@")
		switch {
		case !ok || version == "~latest":
			r.add(glComponentInclud, finding.High, p.line, p.col, "component: "+c, "the component follows its latest release")
		case !glSHARe.MatchString(version):
			r.add(glComponentInclud, 0, p.line, p.col, "component: "+c, "the component version "+version+" is a tag or branch, which can move")
		}
	}
}

func isURL(s string) bool { return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") }

// secretNameRe matches variable names that hold credentials.
var secretNameRe = regexp.MustCompile(`(?i)(^|_)(TOKEN|PASSWORD|PASSWD|PASS|SECRET|SECRET_KEY|API_KEY|APIKEY|PRIVATE_KEY|ACCESS_KEY|ACCESS_KEY_ID|CLIENT_SECRET|CREDENTIALS?)$`)

// variables reports secret-named variables with a literal value. The
// value itself is never shown: evidence is the name and a mask.
func (r *glRun) variables(p *pair) {
	if p == nil || p.val.kind != mapKind {
		return
	}
	for _, v := range p.val.pairs {
		if !secretNameRe.MatchString(v.key) {
			continue
		}
		val := v.val
		if val.kind == mapKind {
			val = val.get("value")
		}
		s := strings.TrimSpace(val.str())
		if !literalSecret(s) {
			continue
		}
		r.add(glLiteralSecret, 0, v.line, v.col, v.key+": "+mask(s),
			fmt.Sprintf("%s is given a literal value in the file; anyone who can read the repository has it", v.key))
	}
}

// literalSecret says whether a value looks like a real credential rather
// than a reference, a flag or a placeholder.
func literalSecret(s string) bool {
	if len(s) < 4 || strings.Contains(s, "$") {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "false", "null", "none", "changeme", "xxxx", "****":
		return false
	}
	return true
}

// mask hides a value, keeping only its length.
func mask(s string) string { return fmt.Sprintf("****(%d chars)", len(s)) }
