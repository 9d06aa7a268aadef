// Package cli implements pave's subcommands. Each is thin: flags become a
// config, one package call does the work, and errors become one line on
// stderr and a documented exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/pavesec/pave/internal/artifact"
)

// Exit codes, documented in the README.
const (
	ExitOK          = 0   // clean
	ExitPolicy      = 1   // a policy gate failed (later: --fail-on)
	ExitInput       = 2   // usage or input error: bad flag, missing or unreadable target, hostile archive
	ExitInternal    = 3   // a bug in pave
	ExitInterrupted = 130 // SIGINT or SIGTERM
)

// exitError carries an exit code with an error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: ExitInput, err: fmt.Errorf(format, args...)}
}

// env is what a command runs with.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
}

type command struct {
	name, summary string
	run           func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"scan", "scan an image or directory: packages, vulnerabilities, misconfigurations, secrets", runScan},
		{"db", "build, verify, inspect and update the signed vulnerability database", runDB},
		{"gateway", "AI egress gateway: inspect, redact, block and audit traffic to AI vendors", runGateway},
		{"rules", "list every check rule with its severity and the controls it maps to", runRules},
		{"sbom", "list every package in an image or directory (table, JSON, CycloneDX, SPDX)", runSBOM},
		{"sensor", "watch running containers with eBPF: rules, drift, in-use evidence, enforcement", runSensor},
		{"version", "print pave's version", runVersion},
	}
}

// Main runs pave with args (without the program name) and returns the exit
// code. It never panics: a panic is reported as an internal error.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	e := &env{stdout: stdout, stderr: stderr,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel()}))}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "pave: internal error: %v\n", r)
			e.log.Debug("panic", "stack", string(debug.Stack()))
			code = ExitInternal
		}
	}()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return ExitInput
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return reportErr(ctx, stderr, c.run(ctx, e, args[1:]))
		}
	}
	fmt.Fprintf(stderr, "pave: unknown command %q (run 'pave help')\n", args[0])
	return ExitInput
}

func logLevel() slog.Level {
	if os.Getenv("PAVE_DEBUG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "pave: container security from the editor to the running container")
	fmt.Fprintln(w, "\nUsage: pave <command> [flags] [target]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nTargets: image.tar (docker save or OCI archive), an OCI layout dir, docker:NAME[:TAG],")
	fmt.Fprintln(w, "registry:REF, rootfs:DIR or dir:DIR (a directory is detected as either).")
	fmt.Fprintln(w, "Run 'pave <command> -h' for a command's flags.")
}

// reportErr prints err as one line and maps it to an exit code.
func reportErr(ctx context.Context, stderr io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	code := exitCode(err)
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		code = ExitInterrupted
		err = errors.New("interrupted")
	}
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
	fmt.Fprintf(stderr, "pave: %s\n", msg)
	return code
}

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	for _, s := range []error{artifact.ErrUnknownFormat, artifact.ErrNotFound, artifact.ErrHostile,
		artifact.ErrCorrupt, artifact.ErrRefused, os.ErrNotExist, os.ErrPermission} {
		if errors.Is(err, s) {
			return ExitInput
		}
	}
	return ExitInternal
}

// Version is pave's version: the module version, or "devel" with the VCS
// revision when built from a checkout.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
			if s.Key == "vcs.modified" && s.Value == "true" {
				v += "-dirty"
			}
		}
	}
	return v
}

func runVersion(_ context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usageErr("version takes no arguments")
	}
	fmt.Fprintf(e.stdout, "pave %s\n", Version())
	return nil
}
