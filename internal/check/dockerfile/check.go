package dockerfile

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
)

// Check is the Dockerfile check family.
type Check struct {
	rules []finding.Rule
}

var _ check.FileCheck = (*Check)(nil)

// New returns the Dockerfile check.
func New() *Check { return &Check{rules: rules()} }

// Name is "dockerfile".
func (c *Check) Name() string { return "dockerfile" }

// Rules lists every rule the check reports.
func (c *Check) Rules() []finding.Rule { return slices.Clone(c.rules) }

// Match takes Dockerfile, Containerfile, *.Dockerfile and Dockerfile.*
// (but not Dockerfile.dockerignore or Dockerfile.md), by name only.
func (c *Check) Match(p string, info fs.FileInfo) bool {
	if info != nil && info.IsDir() {
		return false
	}
	base := strings.ToLower(path.Base(p))
	switch {
	case base == "dockerfile" || base == "containerfile":
		return true
	case strings.HasSuffix(base, ".dockerfile") || strings.HasSuffix(base, ".containerfile"):
		return true
	case strings.HasPrefix(base, "dockerfile.") || strings.HasPrefix(base, "containerfile."):
		switch path.Ext(base) {
		case ".dockerignore", ".md", ".txt", ".orig", ".rej", ".swp":
			return false
		}
		return true
	}
	return false
}

// stage is one FROM … section.
type stage struct {
	from       *parser.Node
	name       string // lower-cased AS name
	image      string // resolved base reference; "" when unresolved
	parent     *stage // the earlier stage this one builds on
	user       string
	userNode   *parser.Node
	health     *bool
	args       map[string]string
	pipNoCache bool
}

// run is the state of one Check call.
type run struct {
	c        *Check
	path     string
	lines    []string
	findings []finding.Finding
}

// Check parses content with BuildKit's parser and returns its findings,
// sorted by line, column and rule.
func (c *Check) Check(ctx context.Context, p string, content []byte) ([]finding.Finding, error) {
	res, err := Parse(content)
	if err != nil {
		return nil, fmt.Errorf("dockerfile %s: %w", p, err)
	}
	r := &run{c: c, path: p, lines: strings.Split(string(content), "\n")}
	globalArgs := map[string]string{}
	var stages []*stage
	var cur *stage
	for i, n := range res.AST.Children {
		if i%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		switch strings.ToLower(n.Value) {
		case "from":
			cur = r.from(n, globalArgs, stages)
			stages = append(stages, cur)
		case "arg":
			r.arg(n, cur, globalArgs)
		case "env":
			r.env(n, cur)
		case "user":
			if cur != nil && n.Next != nil {
				cur.user, cur.userNode = expand(n.Next.Value, cur.args), n
			}
		case "healthcheck":
			if cur != nil && n.Next != nil {
				on := !strings.EqualFold(n.Next.Value, "none")
				cur.health = &on
			}
		case "expose":
			for a := n.Next; a != nil; a = a.Next {
				port, _, _ := strings.Cut(a.Value, "/")
				if lo, hi, ok := strings.Cut(port, "-"); (ok && lo <= "22" && len(lo) <= 2 && hi >= "22") || port == "22" {
					r.add(RuleExposeSSH, n, a.Value, "EXPOSE "+a.Value+" publishes the SSH port", "EXPOSE "+a.Value)
				}
			}
		case "maintainer":
			r.add(RuleMaintainer, n, "MAINTAINER", "MAINTAINER is deprecated since Docker 1.13", "MAINTAINER")
		case "add":
			r.addInstr(n)
		case "run":
			r.runInstr(n, cur)
		}
	}
	if len(stages) > 0 {
		r.final(stages[len(stages)-1])
	}
	slices.SortStableFunc(r.findings, func(a, b finding.Finding) int {
		if d := a.Location.StartLine - b.Location.StartLine; d != 0 {
			return d
		}
		if d := a.Location.Column - b.Location.Column; d != 0 {
			return d
		}
		return strings.Compare(a.Rule.ID, b.Rule.ID)
	})
	return r.findings, nil
}

// add records a finding on node n, at the first place token appears in
// the node's lines (the instruction's start when token is not found).
// StartLine is the token's line, EndLine the node's last line.
func (r *run) add(id string, n *parser.Node, token, msg, evidence string) {
	line, col := r.locate(n, token)
	r.findings = append(r.findings, finding.Finding{
		Rule:     check.Find(r.c.rules, id),
		Severity: check.Find(r.c.rules, id).Severity,
		Location: finding.Location{Path: r.path, StartLine: line, EndLine: max(n.EndLine, line), Column: col},
		Evidence: evidence,
		Message:  msg,
	})
}

func (r *run) locate(n *parser.Node, token string) (line, col int) {
	start, end := max(n.StartLine, 1), min(max(n.EndLine, n.StartLine), len(r.lines))
	if token != "" {
		for l := start; l <= end; l++ {
			if i := strings.Index(r.lines[l-1], token); i >= 0 {
				return l, i + 1
			}
		}
		lower := strings.ToLower(token)
		for l := start; l <= end; l++ {
			if i := strings.Index(strings.ToLower(r.lines[l-1]), lower); i >= 0 {
				return l, i + 1
			}
		}
	}
	if start > len(r.lines) {
		return start, 1
	}
	text := r.lines[start-1]
	return start, len(text) - len(strings.TrimLeft(text, " \t")) + 1
}

func (r *run) from(n *parser.Node, globalArgs map[string]string, stages []*stage) *stage {
	s := &stage{from: n, args: map[string]string{}}
	if n.Next == nil {
		return s
	}
	raw := n.Next.Value
	if a := n.Next.Next; a != nil && strings.EqualFold(a.Value, "as") && a.Next != nil {
		s.name = strings.ToLower(a.Next.Value)
	}
	ref := expand(raw, globalArgs)
	if strings.Contains(ref, "$") || ref == "" {
		return s // an ARG without a default: the base is chosen at build time
	}
	for _, p := range slices.Backward(stages) {
		if p.name != "" && p.name == strings.ToLower(ref) {
			s.parent = p
			s.user, s.userNode, s.health, s.pipNoCache = p.user, p.userNode, p.health, p.pipNoCache
			return s
		}
	}
	s.image = ref
	if strings.EqualFold(ref, "scratch") {
		return s
	}
	name, tag, digest := splitRef(ref)
	switch {
	case digest != "":
	case tag == "" || tag == "latest":
		what := "has no tag, so it means latest"
		if tag != "" {
			what = "uses the latest tag"
		}
		r.add(RuleBaseUntagged, n, raw, fmt.Sprintf("base image %s %s, which changes under you", ref, what), "FROM "+ref)
	default:
		r.add(RuleBaseNoDigest, n, raw, fmt.Sprintf("base image %s:%s is not pinned by digest", name, tag), "FROM "+ref)
	}
	return s
}

// splitRef splits an image reference into repository, tag and digest.
func splitRef(ref string) (name, tag, digest string) {
	name, digest, _ = strings.Cut(ref, "@")
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		name, tag = name[:i], name[i+1:]
	}
	return name, tag, digest
}

// expand substitutes $NAME, ${NAME}, ${NAME:-default} and ${NAME-default}
// from vars; unknown names stay as written.
func expand(s string, vars map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		if s[i+1] == '{' {
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				b.WriteString(s[i:])
				break
			}
			body := s[i+2 : i+j]
			name, def, hasDef := body, "", false
			if k := strings.IndexAny(body, ":-"); k >= 0 {
				name = body[:k]
				rest := strings.TrimPrefix(body[k:], ":")
				if strings.HasPrefix(rest, "-") {
					def, hasDef = rest[1:], true
				}
			}
			if v, ok := vars[name]; ok && v != "" {
				b.WriteString(v)
			} else if hasDef {
				b.WriteString(def)
			} else {
				b.WriteString(s[i : i+j+1])
			}
			i += j
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		if v, ok := vars[s[i+1:j]]; ok && j > i+1 && v != "" {
			b.WriteString(v)
		} else {
			b.WriteString(s[i:j])
		}
		i = j - 1
	}
	return b.String()
}

func (r *run) arg(n *parser.Node, cur *stage, globalArgs map[string]string) {
	for a := n.Next; a != nil; a = a.Next {
		name, val, hasVal := strings.Cut(a.Value, "=")
		val = unquote(val)
		if cur == nil {
			globalArgs[name] = val
		} else {
			if !hasVal {
				val = globalArgs[name] // ARG NAME in a stage takes the global default
			}
			cur.args[name] = val
		}
		if hasVal && SecretName(name) && !Placeholder(val) {
			r.add(RuleSecretArgEnv, n, name, "ARG "+name+" has a literal default value; build arguments are kept in the image history", "ARG "+Mask(name))
		}
	}
}

func (r *run) env(n *parser.Node, cur *stage) {
	for a := n.Next; a != nil && a.Next != nil; a = a.Next.Next.Next {
		name, val := a.Value, unquote(a.Next.Value)
		if cur != nil {
			if strings.EqualFold(name, "PIP_NO_CACHE_DIR") {
				cur.pipNoCache = val != "" && val != "0" && !strings.EqualFold(val, "false")
			}
			cur.args[name] = val
		}
		if SecretName(name) && !Placeholder(val) {
			r.add(RuleSecretArgEnv, n, name, "ENV "+name+" has a literal value; it is stored in the image configuration", "ENV "+Mask(name))
		}
		if a.Next.Next == nil {
			break
		}
	}
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

var archiveExt = []string{".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".tzst", ".gz", ".bz2", ".xz"}

func (r *run) addInstr(n *parser.Node) {
	var srcs []string
	for a := n.Next; a != nil && a.Next != nil; a = a.Next {
		srcs = append(srcs, a.Value)
	}
	checksum := slices.ContainsFunc(n.Flags, func(f string) bool { return strings.HasPrefix(f, "--checksum") })
	for _, s := range srcs {
		ls := strings.ToLower(s)
		switch {
		case strings.HasPrefix(ls, "http://") || strings.HasPrefix(ls, "https://") || strings.HasPrefix(ls, "git@") || strings.HasPrefix(ls, "git://"):
			if !checksum && !strings.HasPrefix(ls, "git") {
				r.add(RuleAddRemote, n, s, "ADD downloads "+s+" without a checksum", "ADD "+s)
			} else if strings.HasPrefix(ls, "git") {
				r.add(RuleAddRemote, n, s, "ADD clones "+s+"; pin a commit (#<sha>) or use --checksum", "ADD "+s)
			}
		case slices.ContainsFunc(archiveExt, func(e string) bool { return strings.HasSuffix(ls, e) }):
			// ADD unpacks local archives; that is what it is for.
		case strings.HasPrefix(s, "<<"): // heredoc
		default:
			r.add(RuleAddLocal, n, "ADD", "ADD "+s+" copies a local file; COPY says so plainly", "ADD "+s)
			return
		}
	}
}

// final reports what only the runtime image decides: user, healthcheck
// and the base it ships.
func (r *run) final(s *stage) {
	root := s
	for root.parent != nil {
		root = root.parent
	}
	if s.userNode != nil && isRootUser(s.user) {
		r.add(RuleRootUser, s.userNode, s.userNode.Next.Value, "the final stage sets USER "+s.user, "USER "+s.user)
	} else if s.userNode == nil && !nonrootBase(root.image) {
		msg := "the final stage sets no USER, so it runs as " + root.image + "'s default user, root for most images"
		switch {
		case root.image == "":
			msg = "the final stage sets no USER, so it runs as its base image's default user, root for most images"
		case strings.EqualFold(root.image, "scratch"):
			msg = "the final stage sets no USER; on scratch that is uid 0"
		}
		r.add(RuleRootUser, s.from, "FROM", msg, "no USER")
	}
	if s.health == nil || !*s.health {
		r.add(RuleNoHealthcheck, s.from, "FROM", "the final stage has no HEALTHCHECK", "no HEALTHCHECK")
	}
	if fullOS(root.image) {
		r.add(RuleFullOSBase, root.from, root.from.Next.Value, "the runtime image is based on "+root.image+", a full distribution", "FROM "+root.image)
	}
}

func isRootUser(u string) bool {
	name, _, _ := strings.Cut(strings.TrimSpace(u), ":")
	return name == "root" || name == "0"
}

func nonrootBase(image string) bool {
	_, tag, _ := splitRef(image)
	return strings.Contains(tag, "nonroot")
}

var fullOSNames = map[string]bool{
	"ubuntu": true, "debian": true, "centos": true, "fedora": true, "amazonlinux": true, "rockylinux": true,
	"almalinux": true, "oraclelinux": true, "archlinux": true, "opensuse/leap": true, "opensuse/tumbleweed": true,
	"ubi7": true, "ubi8": true, "ubi9": true, "buildpack-deps": true, "kalilinux/kali-rolling": true,
}

// fullOS reports whether image is a general-purpose distribution image
// rather than a slim, minimal, distroless or scratch one.
func fullOS(image string) bool {
	if image == "" || strings.EqualFold(image, "scratch") {
		return false
	}
	name, tag, _ := splitRef(strings.ToLower(image))
	for _, m := range []string{"slim", "minimal", "micro", "distroless", "alpine", "chainguard", "busybox", "static"} {
		if strings.Contains(tag, m) || strings.Contains(name, m) {
			return false
		}
	}
	parts := strings.Split(name, "/")
	if len(parts) > 1 && strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost" {
		parts = parts[1:] // registry host
	}
	if len(parts) > 1 && parts[0] == "library" {
		parts = parts[1:]
	}
	last := parts[len(parts)-1]
	return fullOSNames[strings.Join(parts, "/")] || fullOSNames[last] && strings.HasPrefix(last, "ubi")
}

// script returns the shell text a RUN runs: the shell form's command, a
// JSON form's `sh -c` argument or its words, and heredoc bodies.
func script(n *parser.Node) string {
	var b bytes.Buffer
	if n.Attributes["json"] {
		var words []string
		for a := n.Next; a != nil; a = a.Next {
			words = append(words, a.Value)
		}
		if len(words) >= 3 && (path.Base(words[0]) == "sh" || path.Base(words[0]) == "bash") && words[1] == "-c" {
			b.WriteString(words[2])
		} else {
			b.WriteString(strings.Join(words, " "))
		}
	} else if n.Next != nil {
		b.WriteString(n.Next.Value)
	}
	for _, h := range n.Heredocs {
		b.WriteString("\n")
		b.WriteString(h.Content)
	}
	return b.String()
}
