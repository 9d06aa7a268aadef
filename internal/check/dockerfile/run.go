package dockerfile

import (
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

var (
	shells   = map[string]bool{"sh": true, "bash": true, "dash": true, "ash": true, "zsh": true, "ksh": true, "python": true, "python3": true, "perl": true, "ruby": true, "node": true}
	fetchers = map[string]bool{"curl": true, "wget": true}
	pipName  = regexp.MustCompile(`^pip[0-9.]*$`)
	pyName   = regexp.MustCompile(`^python[0-9.]*$`)
	// Permission arguments that make a path writable by everyone.
	worldWritable = regexp.MustCompile(`^(0?[0246]?777|[ugoa]*[ao][ugoa]*[+=]r?w?x?w[rwxXst]*|[ugoa]*[ao][ugoa]*[+=]rwx[st]*)$`)
)

// runFacts collects what one RUN does across all its commands.
type runFacts struct {
	aptUpdate, aptInstall, aptListsCleaned bool
	apkUpdate, apkAdd                      bool
	otherWork                              bool
	unpinned                               []string
	sudo                                   bool
}

func (r *run) runInstr(n *parser.Node, cur *stage) {
	cmds := SplitShell(script(n))
	cacheMount := func(dir string) bool {
		return slices.ContainsFunc(n.Flags, func(f string) bool {
			return strings.HasPrefix(f, "--mount=") && strings.Contains(f, "type=cache") && strings.Contains(f, dir)
		})
	}
	var f runFacts
	for i, c := range cmds {
		prog, args, sudo := c.Program()
		if sudo && !f.sudo {
			f.sudo = true
			r.add(RuleSudo, n, "sudo", "RUN uses sudo", "sudo "+prog)
		}
		var next string
		if i+1 < len(cmds) {
			next, _, _ = cmds[i+1].Program()
		}
		switch {
		case pyName.MatchString(prog) && len(args) >= 2 && args[0] == "-m" && pipName.MatchString(args[1]):
			r.pip(n, prog+" -m pip", args[2:], cur, cacheMount(".cache/pip"), &f)
		case fetchers[prog]:
			if c.Op == "|" && shells[next] {
				r.add(RuleCurlPipeShell, n, prog, prog+" output is piped into "+next, prog+" … | "+next)
			}
		case shells[prog]:
			if c.Op == "$(" && fetchers[next] {
				r.add(RuleCurlPipeShell, n, prog, prog+" runs what "+next+" downloads", prog+" <("+next+" …)")
				break
			}
			for _, a := range args {
				if strings.Contains(a, "$(curl ") || strings.Contains(a, "$(wget ") || strings.Contains(a, "`curl ") || strings.Contains(a, "`wget ") {
					r.add(RuleCurlPipeShell, n, prog, prog+" -c runs what a download returns", prog+" -c \"$(curl …)\"")
					break
				}
			}
			f.otherWork = true
		case prog == "apt-get" || prog == "apt" || prog == "aptitude":
			r.apt(n, prog, args, &f)
		case prog == "apk":
			r.apk(n, args, cacheMount("/var/cache/apk") || cacheMount("/etc/apk/cache"), cmds, &f)
		case pipName.MatchString(prog):
			r.pip(n, prog, args, cur, cacheMount(".cache/pip"), &f)
		case prog == "chmod":
			for _, a := range args {
				if worldWritable.MatchString(a) {
					r.add(RuleChmod777, n, a, "chmod "+a+" makes files writable by every user", "chmod "+a)
					break
				}
			}
			f.otherWork = true
		case prog == "rm":
			for _, a := range args {
				if strings.HasPrefix(a, "/var/lib/apt/lists") {
					f.aptListsCleaned = true
				}
			}
			f.otherWork = true
		case prog != "":
			f.otherWork = true
		}
	}
	if f.aptInstall && !f.aptListsCleaned && !cacheMount("/var/lib/apt") {
		r.add(RuleAptLists, n, "install", "apt-get install without rm -rf /var/lib/apt/lists/* in the same RUN leaves the package lists in the layer", "apt-get install")
	}
	if (f.aptUpdate || f.apkUpdate) && !f.aptInstall && !f.apkAdd && !f.otherWork {
		r.add(RuleUpdateAlone, n, "update", "the RUN only updates the package index; a cached layer will serve stale indexes to later installs", "update")
	}
	if len(f.unpinned) > 0 {
		shown := f.unpinned
		if len(shown) > 5 {
			shown = append(slices.Clip(shown[:5]), "…")
		}
		r.add(RuleUnpinnedPackages, n, f.unpinned[0], "packages installed without a version: "+strings.Join(shown, ", "), strings.Join(shown, " "))
	}
}

// operands returns the non-flag arguments after the subcommand, skipping
// the values of the flags listed in valued.
func operands(args []string, valued ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			if slices.Contains(valued, a) {
				i++
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

func (r *run) apt(n *parser.Node, prog string, args []string, f *runFacts) {
	ops := operands(args, "-o", "-c", "-t", "--target-release", "--option")
	if len(ops) == 0 {
		return
	}
	switch ops[0] {
	case "update":
		f.aptUpdate = true
	case "upgrade", "dist-upgrade", "full-upgrade":
		r.add(RuleAptUpgrade, n, ops[0], prog+" "+ops[0]+" upgrades the base image's packages in place", prog+" "+ops[0])
		f.otherWork = true
	case "install":
		f.aptInstall = true
		recommendsOff := slices.ContainsFunc(args, func(a string) bool {
			return a == "--no-install-recommends" || strings.Contains(a, "Install-Recommends=false") || strings.Contains(a, "Install-Recommends=0")
		})
		if !recommendsOff {
			r.add(RuleAptRecommends, n, "install", prog+" install pulls in recommended packages", prog+" install")
		}
		for _, p := range ops[1:] {
			if !strings.ContainsAny(p, "=$/") && !strings.HasSuffix(p, ".deb") {
				f.unpinned = append(f.unpinned, p)
			}
		}
	default:
		f.otherWork = true
	}
}

func (r *run) apk(n *parser.Node, args []string, cached bool, cmds []Command, f *runFacts) {
	ops := operands(args, "-t", "--virtual", "-X", "--repository", "-p", "--root", "--arch")
	if len(ops) == 0 {
		return
	}
	switch ops[0] {
	case "update":
		f.apkUpdate = true
	case "add":
		f.apkAdd = true
		noCache := slices.Contains(args, "--no-cache")
		cleaned := slices.ContainsFunc(cmds, func(c Command) bool {
			p, a, _ := c.Program()
			return p == "rm" && slices.ContainsFunc(a, func(x string) bool { return strings.HasPrefix(x, "/var/cache/apk") })
		})
		if !noCache && !cached && !cleaned {
			r.add(RuleApkCache, n, "add", "apk add keeps the package index in /var/cache/apk", "apk add")
		}
		for _, p := range ops[1:] {
			if !strings.ContainsAny(p, "=<>~$/") && !strings.HasSuffix(p, ".apk") {
				f.unpinned = append(f.unpinned, p)
			}
		}
	default:
		f.otherWork = true
	}
}

func (r *run) pip(n *parser.Node, prog string, args []string, cur *stage, cached bool, f *runFacts) {
	f.otherWork = true
	ops := operands(args, "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
		"--extra-index-url", "-t", "--target", "--prefix", "--root", "-f", "--find-links", "--trusted-host", "--platform",
		"--python-version", "--only-binary", "--no-binary", "--progress-bar", "--cache-dir", "--src", "--log")
	if len(ops) == 0 || ops[0] != "install" {
		return
	}
	noCache := slices.ContainsFunc(args, func(a string) bool { return a == "--no-cache-dir" || strings.HasPrefix(a, "--cache-dir") })
	if !noCache && !cached && (cur == nil || !cur.pipNoCache) {
		r.add(RulePipCache, n, "install", path.Base(prog)+" install keeps its download cache in the image", prog+" install")
	}
	for _, p := range ops[1:] {
		if !strings.ContainsAny(p, "=<>~@$/") && !strings.HasPrefix(p, ".") && !strings.HasSuffix(p, ".whl") && !strings.HasSuffix(p, ".tar.gz") {
			f.unpinned = append(f.unpinned, p)
		}
	}
}
