package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/sensor"
	"github.com/pavesec/pave/internal/sensor/baseline"
	"github.com/pavesec/pave/internal/sensor/container"
	"github.com/pavesec/pave/internal/sensor/event"
	"github.com/pavesec/pave/internal/sensor/inuse"
	"github.com/pavesec/pave/internal/sensor/pipeline"
	"github.com/pavesec/pave/internal/sensor/rules"
)

// analysisFlags are shared by a live run and a replay: what the events go
// through and where the results go.
type analysisFlags struct {
	rules          stringList
	noBuiltin      bool
	containersOnly bool
	baselineDir    string
	learn          time.Duration
	evidence       string
	output         string
	events         string
}

func (f *analysisFlags) register(fs *flag.FlagSet, eventsDefault string) {
	fs.Var(&f.rules, "rules", "load Falco-format rules from `FILE` (repeatable)")
	fs.BoolVar(&f.noBuiltin, "no-builtin-rules", false, "do not load the built-in rules")
	fs.BoolVar(&f.containersOnly, "containers-only", false, "ignore host processes")
	fs.StringVar(&f.baselineDir, "baseline-dir", "", "detect drift against the per-image baselines in `DIR`")
	fs.DurationVar(&f.learn, "learn", 0, "learn baselines for `D` (event time) before detecting drift; saved to --baseline-dir")
	fs.StringVar(&f.evidence, "evidence", "", "write the files each image's containers used (in-use evidence for pave scan --runtime-evidence) to `FILE` at exit")
	fs.StringVar(&f.output, "output", "", "write the JSON-lines stream to `FILE` (default stdout)")
	fs.StringVar(&f.output, "o", "", "same as --output")
	fs.StringVar(&f.events, "events", eventsDefault, "event `TYPES` to write, comma-separated, or all or none (findings are always written)")
}

// types parses --events.
func (f *analysisFlags) types() (map[event.Type]bool, error) {
	switch strings.TrimSpace(f.events) {
	case "all":
		return nil, nil
	case "none", "":
		return map[event.Type]bool{}, nil
	}
	known := pipeline.Types()
	m := map[event.Type]bool{}
	for _, s := range strings.Split(f.events, ",") {
		t := event.Type(strings.TrimSpace(s))
		if !slices.Contains(known, t) {
			names := make([]string, len(known))
			for i, k := range known {
				names[i] = string(k)
			}
			return nil, usageErr("--events: unknown type %q (want all, none or some of %s)", t, strings.Join(names, ","))
		}
		m[t] = true
	}
	return m, nil
}

func (f *analysisFlags) validate() error {
	if f.learn < 0 {
		return usageErr("--learn must not be negative")
	}
	if f.learn > 0 && f.baselineDir == "" {
		return usageErr("--learn needs --baseline-dir")
	}
	if f.evidence != "" {
		if err := checkDir(f.evidence); err != nil {
			return usageErr("--evidence: %v", err)
		}
	}
	if f.output != "" && f.output != "-" {
		if err := checkDir(f.output); err != nil {
			return usageErr("--output: %v", err)
		}
	}
	return nil
}

// checkDir checks that a file can be made at p: its directory exists and
// p is not a directory.
func checkDir(p string) error {
	dir := filepath.Dir(p)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("%s: directory %s does not exist", p, dir)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s: %s is not a directory", p, dir)
	}
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return fmt.Errorf("%s: is a directory", p)
	}
	return nil
}

// analysis is what the flags built: the analyzers and what to do at exit.
type analysis struct {
	engine    *rules.Engine
	analyzers []event.Analyzer
	recorder  *inuse.Recorder
	drift     *baseline.Analyzer
	finish    []func() error // write evidence
}

func runSensor(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "replay":
			return runSensorReplay(ctx, e, args[1:])
		case "rules":
			return runSensorRules(ctx, e, args[1:])
		}
	}
	fs := flag.NewFlagSet("sensor", flag.ContinueOnError)
	var af analysisFlags
	af.register(fs, "all")
	check := fs.Bool("check", false, "report the kernel features the sensor needs and exit (0: it can run, 2: it cannot)")
	duration := fs.Duration("duration", 0, "stop after `D` (default: run until SIGINT or SIGTERM)")
	enforce := fs.Bool("enforce", false, "kill processes that rules marked enforce match: in the kernel at exec, else by SIGKILL from pave")
	metricsAddr := fs.String("metrics-addr", "", "serve Prometheus metrics on `ADDR` (host:port) at /metrics")
	if help, err := parseFlags(e, fs, "sensor", "[flags] | replay FILE [flags] | rules [flags]", args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("sensor: unexpected argument %q (run 'pave sensor -h')", fs.Arg(0))
	}
	if *check {
		return sensorCheck(ctx, e)
	}
	types, err := af.types()
	if err != nil {
		return err
	}
	if err := af.validate(); err != nil {
		return err
	}
	if *duration < 0 {
		return usageErr("--duration must not be negative")
	}
	an, err := buildAnalysis(ctx, e, &af)
	if err != nil {
		return err
	}

	s, err := sensor.Open(ctx, sensor.Config{ContainersOnly: af.containersOnly, LanguageReads: af.evidence != ""})
	if err != nil {
		if errors.Is(err, sensor.ErrNotSupported) {
			return &exitError{code: ExitInput, err: fmt.Errorf("%w (pave sensor --check says more)", err)}
		}
		return err
	}
	defer s.Close()

	cfg := pipeline.Config{Source: s, Analyzers: an.analyzers, Types: types, ContainersOnly: af.containersOnly,
		Redactor: pipeline.NewRedactor(nil), Enforce: an.engine.Enforces,
		Warn: func(msg string) { fmt.Fprintf(e.stderr, "pave: warning: %s\n", msg) }}
	if res, err := container.New(ctx, container.Config{Logger: e.log}); err != nil {
		fmt.Fprintf(e.stderr, "pave: warning: containers will not be named: %v\n", err)
	} else {
		cfg.Enricher = res
		defer res.Close()
	}
	if *enforce {
		var targets []sensor.KillTarget
		for _, name := range an.engine.EnforcedExecNames() {
			targets = append(targets, sensor.KillTarget{Name: name, ContainersOnly: true})
		}
		if err := s.Enforce(targets); err != nil {
			return err
		}
		cfg.Kill = pipeline.KillProcess
	}

	cfg.Metrics = pipeline.NewMetrics()
	if *metricsAddr != "" {
		stop, err := serveMetrics(*metricsAddr, cfg.Metrics)
		if err != nil {
			return err
		}
		defer stop()
	}

	// The stream is written as it flows (it is live): straight to the
	// named file, which is all pave creates.
	var out io.Writer = e.stdout
	if af.output != "" && af.output != "-" {
		f, err := os.OpenFile(af.output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return &exitError{code: ExitInput, err: fmt.Errorf("--output: %w", err)}
		}
		defer f.Close()
		out = f
	}
	cfg.Output = out

	runCtx := ctx
	if *duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	sum, runErr := pipeline.Run(runCtx, cfg)
	if c, ok := out.(io.Closer); ok && out != e.stdout {
		if err := c.Close(); err != nil && runErr == nil {
			runErr = fmt.Errorf("--output: %w", err)
		}
	}
	var last time.Time
	if sum != nil {
		last = sum.Last
	}
	finErr := an.done(last)
	if sum != nil {
		printSummary(e.stderr, sum)
	}
	// A signal is how a sensor is stopped: after a clean drain it is not
	// an interruption.
	return errors.Join(runErr, finErr)
}

// buildAnalysis loads the rules, the baselines and the in-use recorder.
func buildAnalysis(ctx context.Context, e *env, af *analysisFlags) (*analysis, error) {
	eng, rep, err := rules.Load(ctx, rules.Options{Files: af.rules, NoBuiltin: af.noBuiltin})
	if err != nil {
		return nil, &exitError{code: ExitInput, err: err}
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(e.stderr, "pave: warning: rules: %s\n", w)
	}
	if en, dis := rep.Counts(); dis > 0 {
		fmt.Fprintf(e.stderr, "pave: warning: rules: %d of %d disabled (pave sensor rules says why)\n", dis, en+dis)
	}
	an := &analysis{engine: eng, analyzers: []event.Analyzer{eng}}
	if af.baselineDir != "" {
		opts := baseline.Options{Dir: af.baselineDir, Mode: baseline.Detect}
		if af.learn > 0 {
			opts.Mode, opts.Learn = baseline.Learn, af.learn
		}
		d, err := baseline.New(opts)
		if err != nil {
			return nil, &exitError{code: ExitInput, err: fmt.Errorf("--baseline-dir: %w", err)}
		}
		an.analyzers = append(an.analyzers, d)
		an.drift = d
	}
	if af.evidence != "" {
		an.recorder = inuse.NewRecorder()
		an.analyzers = append(an.analyzers, an.recorder)
		an.finish = append(an.finish, func() error {
			if err := an.recorder.WriteFile(af.evidence); err != nil {
				return fmt.Errorf("--evidence: %w", err)
			}
			return nil
		})
	}
	return an, nil
}

// done saves what a run learned: the baselines whose learning window has
// closed by last (the last event's time), and the evidence.
func (an *analysis) done(last time.Time) error {
	var errs []error
	if an.drift != nil {
		if last.IsZero() {
			last = time.Now()
		}
		if err := an.drift.Flush(last); err != nil {
			errs = append(errs, fmt.Errorf("--baseline-dir: %w", err))
		}
	}
	for _, f := range an.finish {
		errs = append(errs, f())
	}
	return errors.Join(errs...)
}

func printSummary(w io.Writer, s *pipeline.Summary) {
	var events, findings uint64
	for _, n := range s.Events {
		events += n
	}
	for _, n := range s.Findings {
		findings += n
	}
	fmt.Fprintf(w, "pave: sensor: %d events, %d findings, %d dropped, %d filtered in %s\n",
		events, findings, s.DroppedTotal, s.Filtered, s.End.Sub(s.Start).Round(time.Millisecond))
}

// sensorCheck prints the feature probe; the sensor can run when every
// required feature is there and one exec/exit mechanism is.
func sensorCheck(ctx context.Context, e *env) error {
	fs, err := sensor.Probe(ctx)
	if err != nil {
		if errors.Is(err, sensor.ErrNotSupported) {
			return &exitError{code: ExitInput, err: err}
		}
		return err
	}
	if err := fs.WriteTable(e.stdout); err != nil {
		return err
	}
	var missing []string
	for _, name := range []string{"btf", "tracefs", "ringbuf", "tracepoint"} {
		if !fs.Has(name) {
			missing = append(missing, name)
		}
	}
	if !fs.Has("tp_btf") && !fs.Has("raw_tracepoint") {
		missing = append(missing, "tp_btf or raw_tracepoint")
	}
	if len(missing) > 0 {
		return &exitError{code: ExitInput, err: fmt.Errorf("sensor: cannot run here: missing %s", strings.Join(missing, ", "))}
	}
	fmt.Fprintln(e.stdout, "\nThe sensor can run on this host.")
	return nil
}

// serveMetrics listens on addr and serves m at /metrics until stop.
func serveMetrics(addr string, m *pipeline.Metrics) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &exitError{code: ExitInput, err: fmt.Errorf("--metrics-addr: %w", err)}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

func runSensorReplay(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sensor replay", flag.ContinueOnError)
	var af analysisFlags
	af.register(fs, "none")
	failOn := fs.String("fail-on", "", "exit 1 when a finding has `SEVERITY` or higher (low, medium, high, critical; any: every finding)")
	if help, err := parseFlags(e, fs, "sensor replay", "FILE [flags]", args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("sensor replay needs one recording FILE (written by pave sensor --output)")
	}
	types, err := af.types()
	if err != nil {
		return err
	}
	if err := af.validate(); err != nil {
		return err
	}
	var gate finding.Severity
	if *failOn == "any" {
		gate = finding.Unknown
	} else if *failOn != "" {
		if gate, err = finding.ParseSeverity(*failOn); err != nil {
			return usageErr("--fail-on: %v", err)
		}
	}
	src, err := pipeline.OpenReplay(fs.Arg(0))
	if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	defer src.Close()
	an, err := buildAnalysis(ctx, e, &af)
	if err != nil {
		return err
	}
	// A replay is not live: its output is written atomically, unless it
	// names a device or a pipe (/dev/null, a FIFO), which is written as is
	// (renaming a file over it would replace the device).
	var out *output
	if st, err := os.Stat(af.output); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
		f, err := os.OpenFile(af.output, os.O_WRONLY, 0)
		if err != nil {
			return &exitError{code: ExitInput, err: fmt.Errorf("--output: %w", err)}
		}
		defer f.Close()
		out = &output{w: f}
	} else if out, err = createOutput(af.output, e.stdout); err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	defer out.Abort()
	sum, err := pipeline.Run(ctx, pipeline.Config{Source: src, Analyzers: an.analyzers, Types: types,
		ContainersOnly: af.containersOnly, Enforce: an.engine.Enforces, Output: out.w,
		Warn: func(msg string) { fmt.Fprintf(e.stderr, "pave: warning: recording: %s\n", msg) }})
	if err != nil {
		if errors.Is(err, pipeline.ErrMalformed) {
			return &exitError{code: ExitInput, err: err}
		}
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := out.Commit(); err != nil {
		return err
	}
	if err := an.done(sum.Last); err != nil {
		return err
	}
	printSummary(e.stderr, sum)
	if *failOn != "" {
		// The worst severity at or above the gate, for a stable message.
		for sev := finding.Critical; sev >= gate; sev-- {
			if n := sum.Severities[sev.String()]; n > 0 {
				return &exitError{code: ExitPolicy, err: fmt.Errorf("%d findings of severity %s (--fail-on %s)", n, sev, *failOn)}
			}
		}
	}
	return nil
}

func runSensorRules(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sensor rules", flag.ContinueOnError)
	var files stringList
	fs.Var(&files, "rules", "load Falco-format rules from `FILE` (repeatable)")
	noBuiltin := fs.Bool("no-builtin-rules", false, "leave out the built-in rules")
	format := fs.String("format", "table", "table or json")
	if help, err := parseFlags(e, fs, "sensor rules", "[--rules FILE]... [--no-builtin-rules] [--format table|json]", args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("sensor rules: unexpected argument %q", fs.Arg(0))
	}
	if *format != "table" && *format != "json" {
		return usageErr("unknown format %q (want table or json)", *format)
	}
	eng, rep, err := rules.Load(ctx, rules.Options{Files: files, NoBuiltin: *noBuiltin})
	if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Rules  []finding.Rule    `json:"rules"`
			Report *rules.LoadReport `json:"report"`
		}{eng.Rules(), rep})
	}
	status := map[string]rules.RuleStatus{}
	for _, s := range rep.Rules {
		status[s.ID] = s
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tENFORCE\tEVENTS\tTITLE")
	for _, r := range eng.Rules() {
		enf := "-"
		if eng.Enforces(r.ID) {
			enf = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Severity, enf, strings.Join(status[r.ID].Types, ","), r.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\n%s", rep.String())
	return nil
}
