package cli

import (
	"cmp"
	"flag"
	"fmt"
	"slices"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/scan"
	"github.com/pavesec/pave/internal/sensor/inuse"
)

// evidenceFlags are scan's runtime-evidence flags.
type evidenceFlags struct {
	file  string
	force bool
}

func (f *evidenceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.file, "runtime-evidence", "", "mark findings in use from the runtime evidence `FILE` the sensor wrote (docs/runtime-evidence.md)")
	fs.BoolVar(&f.force, "force-runtime-evidence", false, "use the runtime evidence even when it was recorded for another image (it must then hold exactly one)")
}

// load reads the evidence file before the scan, so a bad file fails fast.
func (f *evidenceFlags) load() (*inuse.Evidence, error) {
	if f.file == "" {
		if f.force {
			return nil, usageErr("--force-runtime-evidence needs --runtime-evidence")
		}
		return nil, nil
	}
	ev, err := inuse.ReadFile(f.file)
	if err != nil {
		return nil, usageErr("--runtime-evidence: %v", err)
	}
	return ev, nil
}

// apply finds the scanned image in ev, marks every finding that
// names a package in use or not, and orders the findings so that, within
// the vulnerabilities and within the other findings, and within one
// severity, the findings in use come first; the order is otherwise kept.
func (f *evidenceFlags) apply(ev *inuse.Evidence, res *scan.Result, warn func(string)) error {
	t := res.Scan.Target
	img, ok := ev.Find(t.Digest, t.ImageID)
	if !ok {
		name := cmp.Or(t.Digest, t.ImageID, "(no digest)")
		if !f.force {
			return usageErr("--runtime-evidence: %s was recorded for %s, not for %s %s (--force-runtime-evidence to use it anyway)", f.file, ev.Names(), t.Name, name)
		}
		if len(ev.Images) != 1 {
			return usageErr("--runtime-evidence: %s holds %d images, none of them %s; --force-runtime-evidence needs exactly one", f.file, len(ev.Images), name)
		}
		img = &ev.Images[0]
		warn(fmt.Sprintf("runtime evidence recorded for %s used for %s %s (forced)", ev.Names(), t.Name, name))
	}
	if img.Dropped > 0 {
		warn(fmt.Sprintf("runtime evidence is incomplete: %d files were not recorded", img.Dropped))
	}
	r := inuse.Join(res.Scan.Packages, img, inuse.JoinOptions{Resolve: res.View.Resolve})
	r.Mark(res.Scan.Findings)
	sortInUseFirst(res.Scan.Findings)
	return nil
}

// sortInUseFirst orders findings by: vulnerabilities before the other
// kinds, severity (worst first), then in use before not in use or
// unknown. It is stable, so the report's own order holds within each group.
func sortInUseFirst(fs []finding.Finding) {
	group := func(f *finding.Finding) int {
		if f.Rule.Kind == finding.Vulnerability {
			return 0
		}
		return 1
	}
	used := func(f *finding.Finding) int {
		if f.Signals.InUse != nil && *f.Signals.InUse {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(fs, func(a, b finding.Finding) int {
		return cmp.Or(cmp.Compare(group(&a), group(&b)), cmp.Compare(b.Severity, a.Severity), cmp.Compare(used(&a), used(&b)))
	})
}
