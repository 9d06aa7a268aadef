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

// Options configures the GitHub Actions check.
type Options struct {
	// Refs maps an action repository ("owner/repo", case-insensitive) to
	// its tags and the commit each points at now: Refs["actions/checkout"]["v4"]
	// = "<40-hex sha>". When set, a pinned SHA whose "# tag" comment names
	// a tag that now points at another commit is reported as tag drift.
	// Load it with LoadRefs.
	Refs map[string]map[string]string
}

// GitHubActions checks GitHub Actions workflows and composite actions.
type GitHubActions struct {
	refs map[string]map[string]string // keys lower-cased
}

var _ check.FileCheck = (*GitHubActions)(nil)

// NewGitHubActions returns the GitHub Actions check with no tag data.
func NewGitHubActions() check.FileCheck { return NewGitHubActionsWith(Options{}) }

// NewGitHubActionsWith returns the GitHub Actions check with opts.
func NewGitHubActionsWith(opts Options) *GitHubActions {
	g := &GitHubActions{refs: map[string]map[string]string{}}
	for repo, tags := range opts.Refs {
		m := map[string]string{}
		for t, sha := range tags {
			m[t] = strings.ToLower(sha)
		}
		g.refs[strings.ToLower(repo)] = m
	}
	return g
}

// Name implements check.FileCheck.
func (*GitHubActions) Name() string { return "github-actions" }

// Rules implements check.FileCheck.
func (*GitHubActions) Rules() []finding.Rule { return slices.Clone(ghaRules) }

// Match takes .github/workflows/*.yml|yaml and action.yml|yaml.
func (*GitHubActions) Match(p string, _ fs.FileInfo) bool {
	ext := path.Ext(p)
	if ext != ".yml" && ext != ".yaml" {
		return false
	}
	dir, file := path.Split(p)
	if file == "action.yml" || file == "action.yaml" {
		return true
	}
	dir = strings.TrimSuffix(dir, "/")
	return dir == ".github/workflows" || strings.HasSuffix(dir, "/.github/workflows")
}

// Check implements check.FileCheck.
func (g *GitHubActions) Check(ctx context.Context, p string, content []byte) ([]finding.Finding, error) {
	docs, err := parseYAML(content)
	if err != nil {
		return nil, fmt.Errorf("github-actions: %s: %w", p, err)
	}
	if len(docs) == 0 || docs[0].kind != mapKind {
		return nil, nil
	}
	w := &ghaRun{g: g, path: p, lines: &lineIndex{content: content}}
	root := docs[0]
	if runs := root.get("runs"); runs != nil && root.get("jobs") == nil {
		w.action(ctx, runs)
	} else {
		w.workflow(ctx, root)
	}
	return sortFindings(w.out), ctx.Err()
}

// ghaRun is the state of checking one file.
type ghaRun struct {
	g        *GitHubActions
	path     string
	lines    *lineIndex
	out      []finding.Finding
	triggers map[string]bool
	secrets  map[string]bool // env names holding secrets, workflow level
}

func (w *ghaRun) add(id string, sev finding.Severity, line, col int, evidence, msg string) {
	r := check.Find(ghaRules, id)
	if col == 0 {
		col = w.lines.firstColumn(line)
	}
	if sev == finding.Unknown {
		sev = r.Severity
	}
	w.out = append(w.out, finding.Finding{
		Rule: r, Severity: sev,
		Location: finding.Location{Path: w.path, StartLine: line, Column: col},
		Evidence: evidence, Message: msg,
	})
}

// publicTriggers are events an outsider can cause on a public repository.
var publicTriggers = []string{"pull_request", "pull_request_target", "issue_comment", "issues",
	"discussion", "discussion_comment", "pull_request_review", "pull_request_review_comment", "fork", "watch", "workflow_run"}

func (w *ghaRun) workflow(ctx context.Context, root *node) {
	w.triggers = triggers(root.get("on"))
	w.secrets = map[string]bool{}
	envPair := root.pairOf("env")
	w.env(envPair, w.secrets)

	perms := root.pairOf("permissions")
	jobs := root.get("jobs")
	reusableOnly := len(w.triggers) == 1 && w.triggers["workflow_call"]
	if perms == nil && !reusableOnly && jobs != nil && !allJobsHave(jobs, "permissions") {
		w.add(ghaNoPermissions, 0, 1, 1, "permissions: (none)",
			"no top-level permissions: every job without its own gets the repository's default token, which may be read-write")
	}
	w.permissions(perms, true)

	if jobs == nil || jobs.kind != mapKind {
		return
	}
	for _, jp := range jobs.pairs {
		if ctx.Err() != nil {
			return
		}
		w.job(jp.key, jp.val)
	}
}

func allJobsHave(jobs *node, key string) bool {
	if jobs.kind != mapKind || len(jobs.pairs) == 0 {
		return false
	}
	for _, j := range jobs.pairs {
		if j.val.pairOf(key) == nil {
			return false
		}
	}
	return true
}

// triggers reads `on:` in its three shapes: a name, a list, a mapping.
func triggers(on *node) map[string]bool {
	t := map[string]bool{}
	if on == nil {
		return t
	}
	switch on.kind {
	case scalarKind:
		t[on.value] = true
	case seqKind:
		for _, it := range on.items {
			t[it.str()] = true
		}
	case mapKind:
		for _, p := range on.pairs {
			t[p.key] = true
		}
	}
	return t
}

func (w *ghaRun) anyTrigger(names ...string) string {
	for _, n := range names {
		if w.triggers[n] {
			return n
		}
	}
	return ""
}

// permissions checks a permissions block; top says it is workflow-level.
func (w *ghaRun) permissions(p *pair, top bool) {
	if p == nil {
		return
	}
	v := p.val
	if v.kind == scalarKind && v.value == "write-all" {
		w.add(ghaWriteAll, 0, p.line, p.col, "permissions: write-all", "the token may write to every scope")
		return
	}
	if !top || v.kind != mapKind {
		return
	}
	var writes []string
	for _, s := range v.pairs {
		if s.val.str() == "write" {
			writes = append(writes, s.key)
		}
	}
	if len(writes) > 0 {
		w.add(ghaWorkflowWrite, 0, p.line, p.col, "permissions: "+strings.Join(writes, ": write, ")+": write",
			"every job gets write access to "+strings.Join(writes, ", "))
	}
}

// env records which variables of an env block hold secrets and reports
// ACTIONS_ALLOW_UNSECURE_COMMANDS.
func (w *ghaRun) env(p *pair, secrets map[string]bool) {
	if p == nil || p.val.kind != mapKind {
		return
	}
	for _, e := range p.val.pairs {
		v := e.val.str()
		if e.key == "ACTIONS_ALLOW_UNSECURE_COMMANDS" && !strings.EqualFold(strings.TrimSpace(v), "false") && v != "" {
			w.add(ghaUnsecureCommands, 0, e.line, e.col, e.key+": "+v, "workflow commands set-env and add-path are re-enabled: any printed line can change the environment")
		}
		if strings.Contains(v, "secrets.") {
			secrets[e.key] = true
		}
	}
}

func (w *ghaRun) job(name string, job *node) {
	if job == nil || job.kind != mapKind {
		return
	}
	w.permissions(job.pairOf("permissions"), false)
	if u := job.pairOf("uses"); u != nil {
		w.uses(u)
		if s := job.pairOf("secrets"); s != nil && s.val.str() == "inherit" {
			w.add(ghaSecretsInherit, 0, s.line, s.col, "secrets: inherit",
				fmt.Sprintf("job %s passes every secret of the repository to %s", name, u.val.str()))
		}
	}
	if ro := job.pairOf("runs-on"); ro != nil && selfHosted(ro.val) {
		if t := w.anyTrigger(publicTriggers...); t != "" {
			w.add(ghaSelfHostedPublic, 0, ro.line, ro.col, "runs-on: self-hosted; on: "+t,
				fmt.Sprintf("job %s runs on a self-hosted runner and the workflow is triggered by %s", name, t))
		}
	}
	secrets := map[string]bool{}
	for k := range w.secrets {
		secrets[k] = true
	}
	w.env(job.pairOf("env"), secrets)
	w.steps(job.get("steps"), secrets)
}

func selfHosted(n *node) bool {
	switch n.kind {
	case scalarKind:
		return n.value == "self-hosted"
	case seqKind:
		return slices.ContainsFunc(n.items, func(i *node) bool { return i.str() == "self-hosted" })
	case mapKind:
		// {group: …, labels: …}: a group alone may be GitHub-hosted larger runners.
		l := n.get("labels")
		return l != nil && selfHosted(l)
	}
	return false
}

func (w *ghaRun) action(ctx context.Context, runs *node) {
	if runs.kind != mapKind {
		return
	}
	if img := runs.pairOf("image"); img != nil && strings.HasPrefix(img.val.str(), "docker://") {
		w.dockerUses(img, img.val.str())
	}
	w.env(runs.pairOf("env"), map[string]bool{})
	if ctx.Err() == nil {
		w.steps(runs.get("steps"), map[string]bool{})
	}
}

func (w *ghaRun) steps(steps *node, jobSecrets map[string]bool) {
	if steps == nil || steps.kind != seqKind {
		return
	}
	for _, st := range steps.items {
		if st.kind != mapKind {
			continue
		}
		secrets := map[string]bool{}
		for k := range jobSecrets {
			secrets[k] = true
		}
		w.env(st.pairOf("env"), secrets)
		if u := st.pairOf("uses"); u != nil {
			w.uses(u)
			w.usesStep(u.val.str(), u, st)
		}
		if r := st.pairOf("run"); r != nil {
			w.run(r, secrets)
		}
	}
}

var shaRe = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)

// securityTools are actions whose compromise is worst: scanners, signers
// and actions that handle registry or cloud credentials. Owners end in
// "/" and match every action of that owner.
var securityTools = []string{
	"aquasecurity/", "anchore/", "snyk/", "sigstore/", "github/codeql-action", "docker/",
	"step-security/harden-runner", "ossf/scorecard-action", "zizmorcore/", "returntocorp/semgrep-action",
	"semgrep/", "securego/gosec", "checkmarx/", "trufflesecurity/", "gitleaks/", "google/osv-scanner-action",
	"aws-actions/configure-aws-credentials", "google-github-actions/auth", "azure/login", "hashicorp/vault-action",
	"slsa-framework/", "actions/attest", "actions/attest-build-provenance",
}

func isSecurityTool(repo string) bool {
	repo = strings.ToLower(repo)
	for _, s := range securityTools {
		if strings.HasSuffix(s, "/") && strings.HasPrefix(repo, s) || repo == s {
			return true
		}
	}
	return false
}

// uses checks one `uses:` reference (a step's action or a job's
// reusable workflow).
func (w *ghaRun) uses(u *pair) {
	ref := strings.TrimSpace(u.val.str())
	switch {
	case ref == "" || strings.HasPrefix(ref, "./") || strings.HasPrefix(ref, "${{"):
		return
	case strings.HasPrefix(ref, "docker://"):
		w.dockerUses(u, ref)
		return
	}
	name, version, _ := strings.Cut(ref, "@")
	parts := strings.SplitN(name, "/", 3)
	repo := name
	if len(parts) >= 2 {
		repo = parts[0] + "/" + parts[1]
	}
	line, col := u.val.line, u.val.col
	if shaRe.MatchString(version) {
		w.drift(repo, version, u)
		return
	}
	shown := version
	if shown == "" {
		shown = "(none)"
	}
	owner := strings.ToLower(parts[0])
	switch {
	case isSecurityTool(repo):
		w.add(ghaSecurityToolUnpinned, 0, line, col, "uses: "+ref,
			fmt.Sprintf("%s is a security or credential action referenced by the movable ref %s; a re-pointed tag runs with your secrets", repo, shown))
	case owner == "actions" || owner == "github":
		w.add(ghaGitHubOwnedUnpinned, 0, line, col, "uses: "+ref,
			fmt.Sprintf("%s is referenced by the movable ref %s", repo, shown))
	default:
		w.add(ghaThirdPartyUnpinned, 0, line, col, "uses: "+ref,
			fmt.Sprintf("%s is referenced by the movable ref %s", repo, shown))
	}
}

func (w *ghaRun) dockerUses(u *pair, ref string) {
	if strings.Contains(ref, "@sha256:") {
		return
	}
	w.add(ghaDockerUnpinned, 0, u.val.line, u.val.col, "uses: "+ref, "the image is referenced by a tag that can be re-pushed")
}

// drift compares a pinned SHA with the tag named in its comment.
func (w *ghaRun) drift(repo, sha string, u *pair) {
	tags := w.g.refs[strings.ToLower(repo)]
	if len(tags) == 0 {
		return
	}
	text := w.lines.text(u.val.line)
	i := strings.Index(text, "#")
	if i < 0 {
		return
	}
	for _, tok := range strings.Fields(text[i+1:]) {
		tok = strings.TrimPrefix(strings.Trim(tok, "#,;()[]"), "tag=")
		if _, after, ok := strings.Cut(tok, "@"); ok {
			tok = after // "# actions/checkout@v4"
		}
		now, ok := tags[tok]
		if !ok {
			continue
		}
		if now != strings.ToLower(sha) {
			w.add(ghaTagDrift, 0, u.val.line, u.val.col, fmt.Sprintf("uses: %s@%s # %s", repo, sha, tok),
				fmt.Sprintf("the comment says %s, but %s %s now points at %s", tok, repo, tok, now))
		}
		return
	}
}

// checkoutRefRe matches a checkout ref taken from the pull request.
var checkoutRefRe = regexp.MustCompile(`github\.event\.pull_request\.head\.(sha|ref)|github\.head_ref|github\.event\.workflow_run\.head_(sha|branch)|github\.event\.pull_request\.merge_commit_sha|refs/pull/|github\.event\.pull_request\.head\.repo\.full_name|github\.event\.workflow_run\.head_repository`)

// prCheckoutRunRe matches a shell checkout of a pull request.
var prCheckoutRunRe = regexp.MustCompile(`\bgh\s+pr\s+checkout\b|\bgit\s+(fetch|checkout|pull)\b[^\n]*(pull/|refs/pull|github\.event\.pull_request\.head|github\.head_ref)`)

// usesStep checks what a step's inputs do with the action.
func (w *ghaRun) usesStep(ref string, u *pair, st *node) {
	name, _, _ := strings.Cut(strings.ToLower(ref), "@")
	with := st.get("with")
	switch {
	case name == "actions/checkout":
		if t := w.anyTrigger("pull_request_target", "workflow_run"); t != "" {
			for _, k := range []string{"ref", "repository"} {
				if p := with.pairOf(k); p != nil && checkoutRefRe.MatchString(p.val.str()) {
					w.add(ghaUntrustedCheckout, 0, p.line, p.col, k+": "+p.val.str(),
						fmt.Sprintf("a %s workflow runs with secrets and a write token, and this checks out the pull request's code", t))
					break
				}
			}
		}
		if pc := with.get("persist-credentials"); pc == nil || !strings.EqualFold(pc.str(), "false") {
			w.add(ghaPersistCredentials, 0, u.val.line, u.val.col, "uses: "+ref,
				"the token stays in .git/config for every later step")
		}
	case name == "actions/github-script":
		if s := with.pairOf("script"); s != nil {
			w.injection(s.val)
		}
	case name == "actions/cache" || name == "actions/cache/save" || strings.HasPrefix(name, "actions/setup-"):
		w.cache(name, ref, u, with)
	}
}

func (w *ghaRun) cache(name, ref string, u *pair, with *node) {
	if k := with.pairOf("key"); k != nil {
		if m := untrustedRe.FindString(k.val.str()); m != "" {
			w.add(ghaCachePoisoning, 0, k.line, k.col, "key: "+m, "the cache key is built from data an outsider controls")
			return
		}
	}
	t := w.anyTrigger("pull_request_target", "issue_comment", "workflow_run")
	if t == "" {
		return
	}
	caches := name == "actions/cache" || name == "actions/cache/save"
	if strings.HasPrefix(name, "actions/setup-") {
		c := with.get("cache")
		v := strings.ToLower(c.str())
		// setup-go caches unless told not to; the others only when asked.
		caches = (name == "actions/setup-go" && c == nil) || (c != nil && v != "" && v != "false")
	}
	if caches {
		w.add(ghaCachePoisoning, 0, u.val.line, u.val.col, "uses: "+ref+"; on: "+t,
			fmt.Sprintf("a %s workflow saves a cache that later trusted runs restore", t))
	}
}

// untrustedRe matches event fields an outsider writes.
var untrustedRe = regexp.MustCompile(`github\.event\.(issue|pull_request|discussion)\.(title|body)\b|` +
	`github\.event\.(comment|review|review_comment)\.body\b|` +
	`github\.event\.pages(\[[^\]]*\]|\.\*)?\.page_name\b|` +
	`github\.event\.(head_commit|workflow_run\.head_commit|commits(\[[^\]]*\]|\.\*)?)\.(message|author\.(email|name)|committer\.(email|name))\b|` +
	`github\.event\.pull_request\.head\.(ref|label|repo\.default_branch)\b|` +
	`github\.event\.workflow_run\.(head_branch|pull_requests(\[[^\]]*\]|\.\*)?\.head\.ref)\b|` +
	`github\.head_ref\b`)

var exprRe = regexp.MustCompile(`\$\{\{([^}]|\}[^}])*\}\}`)

// injection reports untrusted expressions inside a script.
func (w *ghaRun) injection(n *node) {
	if n == nil || n.kind != scalarKind {
		return
	}
	lineAt := n.lineCounter()
	for _, loc := range exprRe.FindAllStringIndex(n.value, -1) {
		expr := n.value[loc[0]:loc[1]]
		if m := untrustedRe.FindString(expr); m != "" {
			line, col := lineAt(loc[0]), n.col
			if i := strings.Index(w.lines.text(line), expr); i >= 0 {
				col = i + 1 // the expression itself
			}
			w.add(ghaScriptInjection, 0, line, col, expr,
				m+" is written by whoever opens the issue, pull request or comment, and is pasted into the script before it runs")
		}
	}
}

func (w *ghaRun) run(r *pair, secrets map[string]bool) {
	w.injection(r.val)
	lines := scriptLines(r.val)
	if t := w.anyTrigger("pull_request_target", "workflow_run"); t != "" {
		for _, l := range lines {
			if prCheckoutRunRe.MatchString(l.text) {
				w.add(ghaUntrustedCheckout, 0, l.line, l.col, strings.TrimSpace(l.text),
					fmt.Sprintf("a %s workflow runs with secrets and a write token, and this checks out the pull request's code", t))
			}
		}
	}
	for _, l := range pipeToShell(lines) {
		w.add(ghaPipeToShell, 0, l.line, l.col, strings.TrimSpace(l.text), "a script fetched over the network runs unchecked")
	}
	for _, d := range unverifiedDownloads(lines) {
		w.add(ghaUnverifiedDownload, 0, d.at.line, d.at.col, strings.TrimSpace(d.at.text),
			d.file+" is run or installed with no checksum or signature check in this step")
	}
	for _, l := range echoedSecrets(lines, secrets) {
		w.add(ghaSecretEchoed, 0, l.line, l.col, strings.TrimSpace(l.text), "this prints a secret, or a value derived from one, to the job log")
	}
}

var (
	echoRe   = regexp.MustCompile(`^\s*(echo|printf)\b`)
	assignRe = regexp.MustCompile(`^\s*(export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)
	varRefRe = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)
)

// echoedSecrets finds echo/printf lines that print a secret expression or
// a variable holding (something derived from) a secret, to the log: a
// line that pipes or redirects the output is not logging it.
func echoedSecrets(lines []cmdLine, secrets map[string]bool) []cmdLine {
	tainted := map[string]bool{}
	for k := range secrets {
		tainted[k] = true
	}
	var out []cmdLine
	for _, l := range lines {
		t := l.text
		if m := assignRe.FindStringSubmatch(t); m != nil {
			if strings.Contains(m[3], "secrets.") || refsAny(m[3], tainted) {
				tainted[m[2]] = true
			}
			continue
		}
		if !echoRe.MatchString(t) || strings.Contains(t, "::add-mask::") || strings.ContainsAny(t, "|>") {
			continue
		}
		if strings.Contains(t, "secrets.") || refsAny(t, tainted) {
			out = append(out, l)
		}
	}
	return out
}

func refsAny(s string, vars map[string]bool) bool {
	for _, m := range varRefRe.FindAllStringSubmatch(s, -1) {
		if vars[m[1]] {
			return true
		}
	}
	return false
}
