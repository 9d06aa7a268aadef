package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/match"
	"github.com/pavesec/pave/internal/policy"
	"github.com/pavesec/pave/internal/report"
)

// vulnFlags are scan's vulnerability and policy flags.
type vulnFlags struct {
	db            dbFlags
	scanners      string
	failOn        string
	ignoreUnfixed bool
	config        string
	vex           stringList
}

// knownScanners are the values --scanners takes.
var knownScanners = []string{"vuln", "config", "secret"}

func (f *vulnFlags) register(fs *flag.FlagSet) {
	f.db.register(fs)
	fs.StringVar(&f.scanners, "scanners", "vuln,config,secret", "comma-separated scanners to run: "+strings.Join(knownScanners, ", ")+`, or "none" for the inventory only`)
	fs.StringVar(&f.failOn, "fail-on", "", "exit 1 when an unsuppressed finding is at or above `SEVERITY` (low, medium, high, critical; unknown = any)")
	fs.BoolVar(&f.ignoreUnfixed, "ignore-unfixed", false, "suppress vulnerabilities with no fixed version")
	fs.StringVar(&f.config, "config", "", "policy `FILE` (default .pave.yaml in the current directory, when present)")
	fs.Var(&f.vex, "vex", "apply the OpenVEX or CycloneDX VEX statements in `FILE` (repeatable)")
}

func (f *vulnFlags) enabled(name string) (bool, error) {
	list := strings.Split(f.scanners, ",")
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s != "none" && !slices.Contains(knownScanners, s) {
			return false, usageErr("unknown scanner %q (want %s or none)", s, strings.Join(knownScanners, ", "))
		}
	}
	return slices.Contains(list, name), nil
}

// loadPolicy reads --config, or .pave.yaml when present.
func (f *vulnFlags) loadPolicy() (*policy.Config, error) {
	name := f.config
	if name == "" {
		if _, err := os.Stat(".pave.yaml"); err != nil {
			return nil, nil
		}
		name = ".pave.yaml"
	}
	cfg, err := policy.LoadConfig(name)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return cfg, nil
}

// threshold is --fail-on, else the config's failOn; ok is false when no
// gate is asked for.
func (f *vulnFlags) threshold(cfg *policy.Config) (finding.Severity, bool, error) {
	if f.failOn != "" {
		s, err := policy.ParseThreshold(f.failOn)
		if err != nil {
			return 0, false, usageErr("--fail-on: %v", err)
		}
		return s, true, nil
	}
	if cfg != nil && cfg.FailOn != nil {
		return *cfg.FailOn, true, nil
	}
	return 0, false, nil
}

// vulnRun is what scan decided before the walk: the scanners, the policy
// file and the gate.
type vulnRun struct {
	cfg       *policy.Config
	threshold finding.Severity
	gate      bool
	vulns     bool
	config    bool // configuration and pipeline checks
	secrets   bool // secret detection
}

func (f *vulnFlags) prepare() (*vulnRun, error) {
	r := &vulnRun{}
	var err error
	if r.vulns, err = f.enabled("vuln"); err != nil {
		return nil, err
	}
	r.config, _ = f.enabled("config")
	r.secrets, _ = f.enabled("secret")

	if r.cfg, err = f.loadPolicy(); err != nil {
		return nil, err
	}
	if r.threshold, r.gate, err = f.threshold(r.cfg); err != nil {
		return nil, err
	}
	if r.gate && !r.vulns && !r.config && !r.secrets {
		return nil, usageErr("--fail-on needs a scanner that makes findings (--scanners)")
	}
	return r, nil
}

// match adds vulnerability findings to scan.
func (f *vulnFlags) match(ctx context.Context, r *vulnRun, scan *report.Scan, warn func(string)) error {
	if !r.vulns {
		return nil
	}
	p, explicit := f.db.dbPath()
	if _, serr := os.Stat(p); serr != nil && !explicit {
		if r.gate {
			// Passing the gate without the data to judge vulnerabilities
			// would be a silent pass.
			return usageErr("no vulnerability database at %s, so --fail-on cannot judge vulnerabilities; run 'pave db update' or 'pave db build', or leave vuln out of --scanners", displayPath(p))
		}
		warn(fmt.Sprintf("no vulnerability database at %s: no vulnerability findings (run 'pave db update' or 'pave db build', or give --db)", displayPath(p)))
		return nil
	}
	db, err := f.db.open(warn)
	if err != nil {
		return err
	}
	defer db.Close()
	scan.Database = db.Report()
	// A docker-save image has no manifest digest: the image ID names it.
	target := finding.Target{Kind: "image", Name: scan.Target.Name, Digest: cmp.Or(scan.Target.Digest, scan.Target.ImageID)}
	if scan.Target.Kind == "dir" || scan.Target.Kind == "rootfs" {
		target.Kind = "dir"
	}
	res, err := match.Match(ctx, db, match.Input{Packages: scan.Packages, Distro: scan.Distro, Target: target})
	if err != nil {
		return fmt.Errorf("matching: %w", err)
	}
	for _, u := range res.Undecided {
		warn("cannot decide " + u)
	}
	scan.Findings = append(res.Findings, scan.Findings...)
	return nil
}

// applyPolicy applies .pave.yaml, --vex and --ignore-unfixed to every
// finding; the returned error is the policy outcome (expired exceptions),
// reported after the output is written.
func (f *vulnFlags) applyPolicy(r *vulnRun, scan *report.Scan, warn func(string)) (policyErr error, err error) {
	pol, err := policy.New(r.cfg)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	pol.IgnoreUnfixed = pol.IgnoreUnfixed || f.ignoreUnfixed
	for _, v := range f.vex {
		doc, err := policy.ReadVEX(v)
		if err != nil {
			return nil, usageErr("--vex: %v", err)
		}
		pol.VEX = append(pol.VEX, doc)
	}
	pol.Packages = scan.Packages
	pres, perr := pol.Apply(scan.Findings, time.Now())
	var expired *policy.ExpiredError
	if perr != nil && !errors.As(perr, &expired) {
		return nil, usageErr("%v", perr)
	}
	for _, w := range pres.Warnings {
		warn(w.String())
	}
	scan.Summary.Findings = len(scan.Findings)
	if expired != nil {
		return &exitError{code: ExitPolicy, err: expired}, nil
	}
	return nil, nil
}

// gateErr applies --fail-on.
func gateErr(r *vulnRun, findings []finding.Finding, warn func(string)) error {
	if !r.gate {
		return nil
	}
	g := policy.Gate(findings, r.threshold)
	if g.UnknownNotCounted > 0 {
		warn(fmt.Sprintf("%d findings of unknown severity were not counted by --fail-on %s", g.UnknownNotCounted, r.threshold))
	}
	if !g.Failed {
		return nil
	}
	var parts []string
	for s := finding.Critical; s >= finding.Unknown; s-- {
		if n := g.BySeverity[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	return &exitError{code: ExitPolicy, err: fmt.Errorf("policy: %d findings at or above %s (%s); %d suppressed", g.Counted, r.threshold, strings.Join(parts, ", "), g.Suppressed)}
}
