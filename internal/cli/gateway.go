package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/egress"
	"github.com/pavesec/pave/internal/egress/audit"
)

// gatewayCommands lists the subcommands of `pave gateway`, dispatched by
// runGateway.
//
// Hook for more subcommands (discovery mode's `discover` and `ca`): put
// them in gatewayExtraCommands, in gateway_extra.go, which holds nothing
// else; this file need not change.
func gatewayCommands() []command {
	return append([]command{
		{"serve", "run the AI egress gateway (--config FILE)", runGatewayServe},
		{"verify-log", "check an audit log's hash chain: exit 0 intact, 1 tampered (first bad line), 2 unreadable", runGatewayVerifyLog},
		{"check-config", "read and check a gateway configuration file", runGatewayCheckConfig},
		{"keygen", "make a gateway key for a developer and the sha256 line for the configuration", runGatewayKeygen},
	}, gatewayExtraCommands()...)
}

func runGateway(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(e.stdout, "Usage: pave gateway <subcommand> [flags]\n\nSubcommands:")
		for _, c := range gatewayCommands() {
			fmt.Fprintf(e.stdout, "  %-13s %s\n", c.name, c.summary)
		}
		fmt.Fprintln(e.stdout, "\nSee docs/gateway.md.")
		if len(args) == 0 {
			return usageErr("gateway: missing subcommand")
		}
		return nil
	}
	for _, c := range gatewayCommands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	return usageErr("gateway: unknown subcommand %q (run 'pave gateway help')", args[0])
}

func runGatewayServe(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("gateway serve", flag.ContinueOnError)
	cfgFile := fs.String("config", "", "gateway configuration `FILE` (YAML; see docs/gateway.md)")
	listen := fs.String("listen", "", "override the configuration's listen `ADDR`")
	admin := fs.String("admin", "", "override the configuration's admin `ADDR` (/healthz, /metrics)")
	if help, err := parseFlags(e, fs, "gateway serve", "--config FILE [flags]", args); help || err != nil {
		return err
	}
	if *cfgFile == "" || fs.NArg() > 0 {
		return usageErr("gateway serve: want --config FILE and no arguments")
	}
	cfg, err := egress.LoadConfig(*cfgFile)
	if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *admin != "" {
		cfg.Admin = *admin
	}
	sync := map[string]audit.SyncPolicy{"": audit.SyncEach, "each": audit.SyncEach, "interval": audit.SyncInterval, "none": audit.SyncNone}[cfg.Audit.Sync]
	w, err := audit.Open(cfg.Audit.Path, audit.Options{Sync: sync, Interval: time.Duration(cfg.Audit.Interval)})
	if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	defer w.Close()
	g, err := egress.New(cfg, egress.Options{Audit: w, Log: e.log})
	if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	if os.Getenv("GOGC") == "" {
		// The gateway's live heap is small and its garbage is the
		// requests themselves: collecting at 4x the live heap instead of
		// 2x cut its CPU per request by about a third in
		// docs/bench-gateway.md. GOGC in the environment overrides.
		debug.SetGCPercent(400)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return &exitError{code: ExitInput, err: fmt.Errorf("gateway: listen: %w", err)}
	}
	var aln net.Listener
	if cfg.Admin != "" {
		if aln, err = net.Listen("tcp", cfg.Admin); err != nil {
			ln.Close()
			return &exitError{code: ExitInput, err: fmt.Errorf("gateway: admin listen: %w", err)}
		}
	}
	scheme := "http"
	if cfg.TLS.Cert != "" {
		scheme = "https"
	}
	fmt.Fprintf(e.stderr, "pave gateway: listening on %s://%s", scheme, ln.Addr())
	if aln != nil {
		fmt.Fprintf(e.stderr, ", admin on http://%s", aln.Addr())
	}
	fmt.Fprintf(e.stderr, ", audit log %s\n", cfg.Audit.Path)
	if err := g.Serve(ctx, ln, aln); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	fmt.Fprintln(e.stderr, "pave gateway: stopped; in-flight requests drained")
	return nil
}

func runGatewayVerifyLog(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("gateway verify-log", flag.ContinueOnError)
	if help, err := parseFlags(e, fs, "gateway verify-log", "FILE", args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("gateway verify-log: want one audit log FILE")
	}
	name := fs.Arg(0)
	f, err := os.Open(name)
	if err != nil {
		return &exitError{code: ExitInput, err: fmt.Errorf("audit log: %w", err)}
	}
	defer f.Close()
	s, err := audit.Verify(f)
	var be *audit.BrokenError
	switch {
	case errors.As(err, &be):
		return &exitError{code: ExitPolicy, err: fmt.Errorf("audit log %s: tampered or damaged at line %d: %s (%d entries before it verify)", name, be.Line, be.Reason, s.Entries)}
	case err != nil:
		return &exitError{code: ExitInput, err: fmt.Errorf("audit log %s: %w", name, err)}
	}
	fmt.Fprintf(e.stdout, "ok: %d entries, last seq %d, last hash %s\n", s.Entries, s.LastSeq, s.LastHash)
	return nil
}

func runGatewayCheckConfig(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("gateway check-config", flag.ContinueOnError)
	if help, err := parseFlags(e, fs, "gateway check-config", "FILE", args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("gateway check-config: want one configuration FILE")
	}
	cfg, err := egress.LoadConfig(fs.Arg(0))
	if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	if _, err := egress.Detectors(cfg); err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	fmt.Fprintf(e.stdout, "ok: %d vendors, %d keys, %d policies, %d routes\n", len(cfg.Vendors), len(cfg.Keys), len(cfg.Policies), len(cfg.Routes))
	return nil
}

func runGatewayKeygen(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("gateway keygen", flag.ContinueOnError)
	id := fs.String("id", "", "key `ID` for the configuration (e.g. ana-laptop)")
	stdin := fs.Bool("stdin", false, "hash a key read from standard input instead of making one")
	if help, err := parseFlags(e, fs, "gateway keygen", "--id ID [--stdin]", args); help || err != nil {
		return err
	}
	if *id == "" || fs.NArg() > 0 {
		return usageErr("gateway keygen: want --id ID and no arguments")
	}
	var key string
	if *stdin {
		b, err := io.ReadAll(io.LimitReader(os.Stdin, 4096))
		if err != nil {
			return &exitError{code: ExitInput, err: err}
		}
		key = string(bytes.TrimSpace(b))
		if len(key) < 16 {
			return usageErr("gateway keygen: the key must have at least 16 characters")
		}
	} else {
		b := make([]byte, 24)
		rand.Read(b)
		key = "pave-gw-" + hex.EncodeToString(b)
		fmt.Fprintf(e.stdout, "key (give it to the developer; it is not stored): %s\n", key)
	}
	sum := sha256.Sum256([]byte(key))
	fmt.Fprintf(e.stdout, "keys:\n  - id: %s\n    sha256: %s\n", strings.TrimSpace(*id), hex.EncodeToString(sum[:]))
	return nil
}
