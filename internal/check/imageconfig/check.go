// Package imageconfig checks a whole image: its configuration (user,
// environment, labels, exposed ports, healthcheck, build history), its
// merged filesystem (setuid and world-writable files, SSH servers, shells,
// package managers and network tools) and its provenance (end-of-life
// base OS, registry allow-list).
//
// Base-image digest pinning is a Dockerfile rule (PAVE-DF-003): a built
// image does not record how its FROM line was written.
package imageconfig

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/check/dockerfile"
	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
)

// Options configures the image check.
type Options struct {
	// AllowedRegistries are the registries images may come from:
	// "ghcr.io", "docker.io", or a registry with a repository prefix,
	// "registry.example.com/team". Empty turns the rule off.
	AllowedRegistries []string
	// MaxPaths bounds how many paths one finding lists and how many
	// per-path findings a rule reports; 0 means 20.
	MaxPaths int
}

// Check is the image check family.
type Check struct {
	opts  Options
	rules []finding.Rule
}

var _ check.ImageCheck = (*Check)(nil)

// New returns the image check with default options (no registry
// allow-list).
func New() *Check { return NewWithOptions(Options{}) }

// NewWithOptions returns the image check configured by opts.
func NewWithOptions(opts Options) *Check {
	if opts.MaxPaths <= 0 {
		opts.MaxPaths = 20
	}
	return &Check{opts: opts, rules: rules()}
}

// Name is "image".
func (c *Check) Name() string { return "image" }

// Rules lists every rule the check reports.
func (c *Check) Rules() []finding.Rule { return slices.Clone(c.rules) }

// run is the state of one Check call.
type run struct {
	c        *Check
	img      *check.Image
	findings []finding.Finding
}

func (r *run) add(id string, loc finding.Location, msg, evidence string) {
	rl := check.Find(r.c.rules, id)
	r.findings = append(r.findings, finding.Finding{Rule: rl, Severity: rl.Severity, Location: loc, Message: msg, Evidence: evidence})
}

// layer returns the layer that last wrote p, when known.
func (r *run) layer(p string) *inventory.Layer {
	if r.img.Origin == nil {
		return nil
	}
	i, ok := r.img.Origin(p)
	if !ok || i < 0 || i >= len(r.img.Layers) {
		return nil
	}
	l := r.img.Layers[i]
	return &l
}

// Check returns the image's findings: configuration first, then the
// filesystem, each in a stable order.
func (c *Check) Check(ctx context.Context, img *check.Image) ([]finding.Finding, error) {
	if img == nil {
		return nil, nil
	}
	r := &run{c: c, img: img}
	if img.Config != nil {
		r.config()
		r.history()
	}
	if img.Distro != nil && img.Distro.EndOfLife {
		d := img.Distro
		r.add(RuleEndOfLife, finding.Location{Path: d.Source, Layer: r.layer(d.Source)},
			fmt.Sprintf("%s reached end of life on %s", prettyDistro(d), d.EOL), d.ID+" "+d.VersionID)
	}
	r.registry()
	if img.FS != nil {
		if err := r.walk(ctx); err != nil {
			return nil, err
		}
		r.tools()
	}
	return r.findings, nil
}

func prettyDistro(d *inventory.Distro) string {
	if d.PrettyName != "" {
		return d.PrettyName
	}
	return strings.TrimSpace(d.ID + " " + d.VersionID)
}

// IsRootUser reports whether a config User runs as root: empty, "root",
// "0", with or without a root group.
func IsRootUser(u string) bool {
	user, _, _ := strings.Cut(strings.TrimSpace(u), ":")
	return user == "" || user == "root" || user == "0"
}

func (r *run) config() {
	cfg := r.img.Config.Config
	if IsRootUser(cfg.User) {
		msg := "the image sets no user, so containers run as root unless the runtime overrides it"
		if cfg.User != "" {
			msg = "the image's user is " + cfg.User
		}
		r.add(RuleRootUser, finding.Location{}, msg, "User="+cfg.User)
	}
	for _, e := range cfg.Env {
		k, v, _ := strings.Cut(e, "=")
		if dockerfile.SecretName(k) && !dockerfile.Placeholder(v) {
			r.add(RuleSecretConfig, finding.Location{}, "environment variable "+k+" holds a literal value", "ENV "+dockerfile.Mask(k))
		}
	}
	keys := make([]string, 0, len(cfg.Labels))
	for k := range cfg.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if dockerfile.SecretName(k) && !dockerfile.Placeholder(cfg.Labels[k]) {
			r.add(RuleSecretConfig, finding.Location{}, "label "+k+" holds a literal value", "LABEL "+dockerfile.Mask(k))
		}
	}
	ports := make([]string, 0, len(cfg.ExposedPorts))
	for p := range cfg.ExposedPorts {
		ports = append(ports, p)
	}
	slices.Sort(ports)
	for _, p := range ports {
		if n, _, _ := strings.Cut(p, "/"); n == "22" {
			r.add(RuleExposeSSH, finding.Location{}, "the image exposes "+p, "ExposedPorts "+p)
		}
	}
	if hc := cfg.Healthcheck; hc == nil || len(hc.Test) == 0 || hc.Test[0] == "NONE" {
		r.add(RuleNoHealthcheck, finding.Location{}, "the image defines no HEALTHCHECK", "Healthcheck=none")
	}
}

// history looks for secrets in build history: ARG and ENV records,
// build arguments BuildKit prefixes to RUN ("|2 A=b C=d /bin/sh -c …")
// and credential flags on command lines (--password=…, --token …). ENV
// records whose value is still in the config are left to the config rule.
func (r *run) history() {
	env := map[string]bool{}
	for _, e := range r.img.Config.Config.Env {
		env[e] = true
	}
	layer := 0
	seen := map[string]bool{}
	for i, h := range r.img.Config.History {
		var loc finding.Location
		if !h.EmptyLayer {
			if layer < len(r.img.Layers) {
				l := r.img.Layers[layer]
				loc.Layer = &l
			}
			layer++
		}
		cmd := h.CreatedBy
		if len(cmd) > 64<<10 {
			cmd = cmd[:64<<10]
		}
		isEnv := strings.Contains(cmd, "#(nop)  ENV ") || strings.HasPrefix(cmd, "ENV ")
		for _, c := range dockerfile.SplitShell(cmd) {
			for j, w := range c.Words {
				var k, v string
				switch {
				case strings.HasPrefix(w, "--") && strings.Contains(w, "="):
					k, v, _ = strings.Cut(w, "=")
				case strings.HasPrefix(w, "--") && j+1 < len(c.Words):
					k, v = w, c.Words[j+1]
				case strings.Contains(w, "=") && !strings.HasPrefix(w, "-"):
					k, v, _ = strings.Cut(w, "=")
				default:
					continue
				}
				if !dockerfile.SecretName(k) || dockerfile.Placeholder(v) || isEnv && env[k+"="+v] {
					continue
				}
				ev := fmt.Sprintf("history[%d] %s", i, dockerfile.Mask(strings.TrimLeft(k, "-")))
				if seen[ev] {
					continue
				}
				seen[ev] = true
				r.add(RuleSecretHistory, loc, fmt.Sprintf("history entry %d holds a literal %s", i, strings.TrimLeft(k, "-")), ev)
			}
		}
	}
}

func (r *run) registry() {
	if len(r.c.opts.AllowedRegistries) == 0 || r.img.Ref == "" {
		return
	}
	ref, err := name.ParseReference(r.img.Ref)
	if err != nil {
		return // not a registry reference (an archive path, a layout)
	}
	repo := ref.Context()
	host := repo.RegistryStr()
	full := host + "/" + repo.RepositoryStr()
	for _, a := range r.c.opts.AllowedRegistries {
		a = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(a, "https://"), "http://"), "/")
		if a == "docker.io" || a == "registry-1.docker.io" {
			a = name.DefaultRegistry
		} else if h, rest, ok := strings.Cut(a, "/"); ok && (h == "docker.io" || h == "registry-1.docker.io") {
			a = name.DefaultRegistry + "/" + rest
		}
		if a == host || strings.HasPrefix(full, a+"/") || full == a {
			return
		}
	}
	r.add(RuleUntrustedRegistry, finding.Location{}, fmt.Sprintf("%s comes from %s, which is not in the allowed registries", r.img.Ref, host), "registry "+host)
}

// usualSetuid are setuid/setgid programs Debian, Ubuntu, Alpine and
// RHEL-family base images ship.
var usualSetuid = map[string]bool{
	"su": true, "passwd": true, "chsh": true, "chfn": true, "gpasswd": true, "newgrp": true, "mount": true,
	"umount": true, "chage": true, "expiry": true, "unix_chkpwd": true, "pam_timestamp_check": true,
	"ssh-agent": true, "ssh-keysign": true, "wall": true, "write": true, "crontab": true, "pkexec": true,
	"dbus-daemon-launch-helper": true, "newuidmap": true, "newgidmap": true, "bsd-write": true, "fusermount": true,
	"fusermount3": true, "busybox": true, "bbsuid": true, "ping": true, "ping6": true,
}

// stickyOK are trees where world-writable entries are expected.
var stickyOK = []string{"tmp", "var/tmp", "dev", "proc", "sys", "run/lock", "var/lock"}

const maxEntries = 5_000_000

func (r *run) walk(ctx context.Context) error {
	var usual, unusual, writable []string
	n := 0
	err := fs.WalkDir(r.img.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a path the tree cannot show is skipped, not fatal
		}
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if n > maxEntries {
			return fs.SkipAll
		}
		if d.IsDir() && slices.Contains(stickyOK, p) || d.Type()&fs.ModeSymlink != 0 {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		m := info.Mode()
		if m&(fs.ModeSetuid|fs.ModeSetgid) != 0 && m.IsRegular() {
			if usualSetuid[path.Base(p)] {
				usual = append(usual, p)
			} else {
				unusual = append(unusual, p)
			}
		}
		if m.Perm()&0o002 != 0 && m&fs.ModeSticky == 0 && (m.IsRegular() || m.IsDir()) {
			writable = append(writable, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("image: walk: %w", err)
	}
	limit := r.c.opts.MaxPaths
	for i, p := range unusual {
		if i == limit {
			r.add(RuleSetuidUnexpected, finding.Location{}, fmt.Sprintf("%d more setuid/setgid files not listed", len(unusual)-limit), fmt.Sprintf("+%d files", len(unusual)-limit))
			break
		}
		r.add(RuleSetuidUnexpected, finding.Location{Path: p, Layer: r.layer(p)}, "/"+p+" is setuid or setgid and is not one of the usual system programs", "/"+p)
	}
	if len(usual) > 0 {
		r.add(RuleSetuidUsual, finding.Location{}, fmt.Sprintf("%d setuid/setgid system programs: %s", len(usual), list(usual, 5)), list(usual, limit))
	}
	for i, p := range writable {
		if i == limit {
			r.add(RuleWorldWritable, finding.Location{}, fmt.Sprintf("%d more world-writable paths not listed", len(writable)-limit), fmt.Sprintf("+%d paths", len(writable)-limit))
			break
		}
		r.add(RuleWorldWritable, finding.Location{Path: p, Layer: r.layer(p)}, "/"+p+" is writable by every user", "/"+p)
	}
	return nil
}

func list(paths []string, n int) string {
	out := make([]string, 0, min(n, len(paths))+1)
	for i, p := range paths {
		if i == n {
			out = append(out, fmt.Sprintf("… (%d more)", len(paths)-n))
			break
		}
		out = append(out, "/"+p)
	}
	return strings.Join(out, ", ")
}
