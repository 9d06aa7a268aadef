package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/pavesec/pave/internal/artifact"
	checkall "github.com/pavesec/pave/internal/check/all"
	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/report"
	"github.com/pavesec/pave/internal/scan"
	"github.com/pavesec/pave/internal/sensor/inuse"
)

// scanFlags are shared by scan and sbom.
type scanFlags struct {
	format           string
	output           string
	platform         string
	offline          bool
	insecureRegistry bool
	quiet            bool
	workers          int
	tempDir          string
	maxFileSize      int64
	maxEntries       int
}

func (f *scanFlags) register(fs *flag.FlagSet, defaultFormat string, formats []string) {
	fs.StringVar(&f.format, "format", defaultFormat, "output format: "+strings.Join(formats, ", "))
	fs.StringVar(&f.format, "f", defaultFormat, "shorthand for --format")
	fs.StringVar(&f.output, "output", "", "write to `FILE` (atomically) instead of stdout")
	fs.StringVar(&f.output, "o", "", "shorthand for --output")
	fs.StringVar(&f.platform, "platform", "", "image platform to pick from a multi-platform index, e.g. linux/arm64")
	fs.BoolVar(&f.offline, "offline", false, "forbid all network access")
	fs.BoolVar(&f.insecureRegistry, "insecure-registry", false, "allow plain HTTP and unverified TLS to the registry (unsafe)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress display")
	fs.IntVar(&f.workers, "workers", runtime.GOMAXPROCS(0), "concurrent layer walks and extractions")
	fs.StringVar(&f.tempDir, "temp-dir", "", "parent `DIR` for pave's temporary files (default $TMPDIR)")
	fs.Int64Var(&f.maxFileSize, "max-file-size", 2<<30, "largest file handed to an extractor, in bytes")
	fs.IntVar(&f.maxEntries, "max-files", artifact.DefaultLimits.MaxEntries, "most entries read from all layers together")
}

var (
	scanFormats = []string{"table", "json", "sarif", "cyclonedx-json", "openvex", "spdx-json"}
	sbomFormats = []string{"table", "json", "cyclonedx-json", "spdx-json"}
)

func runScan(ctx context.Context, e *env, args []string) error {
	return runInventory(ctx, e, "scan", args, scanFormats, true)
}

func runSBOM(ctx context.Context, e *env, args []string) error {
	return runInventory(ctx, e, "sbom", args, sbomFormats, false)
}

func runInventory(ctx context.Context, e *env, name string, args []string, formats []string, summary bool) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var f scanFlags
	f.register(fs, "table", formats)
	var vf vulnFlags
	var ef evidenceFlags
	if name == "scan" {
		vf.register(fs)
		ef.register(fs)
	}
	// Errors are one line (reported by Main); usage only when asked for.
	if help, err := parseFlags(e, fs, name, "[flags] TARGET", args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("%s needs exactly one TARGET (run 'pave %s -h')", name, name)
	}
	if !slices.Contains(formats, f.format) {
		return usageErr("unknown format %q (want one of %s)", f.format, strings.Join(formats, ", "))
	}
	var vr *vulnRun
	var evidence *inuse.Evidence
	if name == "scan" {
		var err error
		if vr, err = vf.prepare(); err != nil {
			return err
		}
		if evidence, err = ef.load(); err != nil {
			return err
		}
	}
	out, err := createOutput(f.output, e.stdout)
	if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	defer out.Abort() // no-op after Commit

	tmp, err := os.MkdirTemp(f.tempDir, "pave-")
	if err != nil {
		return &exitError{code: ExitInput, err: fmt.Errorf("temp dir: %w", err)}
	}
	defer os.RemoveAll(tmp)

	prog := newProgress(e.stderr, showProgress(e, f.quiet))
	defer prog.Stop()
	cfg := scan.Config{
		Open: artifact.Options{
			Platform:               f.platform,
			TempDir:                tmp,
			Offline:                f.offline,
			InsecureRegistryUnsafe: f.insecureRegistry,
			Limits:                 artifact.Limits{MaxEntries: f.maxEntries},
			Progress:               prog.Artifact,
		},
		Runner:   extract.Config{Workers: f.workers, MaxFileSize: f.maxFileSize, MaxEntries: f.maxEntries},
		Tool:     report.Tool{Name: "pave", Version: Version()},
		Progress: prog.Walk,
	}
	if vr != nil {
		o := checkall.Options{NoConfig: !vr.config, NoSecrets: !vr.secrets}
		if vr.cfg != nil {
			o.AllowedRegistries = vr.cfg.Registries.Allow
		}
		cfg.FileChecks = checkall.FileChecks(o)
		cfg.ImageChecks = checkall.ImageChecks(o)
	}
	res, err := scan.Run(ctx, fs.Arg(0), cfg)
	prog.Stop()
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		if exitCode(err) == ExitInternal {
			err = &exitError{code: ExitInput, err: err}
		}
		return err
	}
	warn := func(s string) { fmt.Fprintf(e.stderr, "pave: warning: %s\n", s) }
	var policyErr error
	if vr != nil {
		if err := vf.match(ctx, vr, res.Scan, warn); err != nil {
			return err
		}
		if policyErr, err = vf.applyPolicy(vr, res.Scan, warn); err != nil {
			return err
		}
	}
	if evidence != nil {
		if err := ef.apply(evidence, res, warn); err != nil {
			return err
		}
	}
	sink, err := newSink(f.format, out, sinkOptions{summary: summary, color: isTerminal(out.w), created: created()})
	if err != nil {
		return err
	}
	if err := report.Emit(ctx, sink, res.Scan); err != nil {
		return fmt.Errorf("write %s: %w", f.format, err)
	}
	if err := out.Commit(); err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	if policyErr != nil {
		return policyErr
	}
	if vr != nil {
		return gateErr(vr, res.Scan.Findings, warn)
	}
	return nil
}

// interleave moves flags that follow the target in front of it, so that
// "pave sbom image.tar --format json" works as users expect.
func interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if fl := fs.Lookup(name); fl != nil {
			if bf, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
				continue
			}
			if i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		}
	}
	return append(flags, pos...)
}

// created is the document creation time for SBOMs: SOURCE_DATE_EPOCH when
// set (reproducible builds), else now.
func created() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		var sec int64
		if _, err := fmt.Sscan(s, &sec); err == nil {
			return time.Unix(sec, 0).UTC()
		}
	}
	return time.Now().UTC().Truncate(time.Second)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// showProgress: only when a person watches: stderr and stdout are
// terminals, not in CI, not --quiet.
func showProgress(e *env, quiet bool) bool {
	return !quiet && os.Getenv("CI") == "" && isTerminal(e.stderr) && isTerminal(e.stdout)
}
