package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/pavesec/pave/internal/egress/audit"
	"github.com/pavesec/pave/internal/egress/discover"
	"github.com/pavesec/pave/internal/egress/mitm"
)

// discoverCommands are discovery mode's `pave gateway` subcommands;
// gateway_extra.go lists them.
func discoverCommands() []command {
	return []command{
		{"discover", "forward proxy that finds and records AI traffic (shadow AI); --inspect decrypts it with a local CA", runGatewayDiscover},
		{"ca", "manage the local CA for discover --inspect (ca init --out DIR)", runGatewayCA},
	}
}

func runGatewayDiscover(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("gateway discover", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:3128", "listen on `ADDR` for proxy clients (HTTP CONNECT and absolute-URI HTTP)")
	logFile := fs.String("log", "", "append records to the hash-chained audit log `FILE` (created mode 0600)")
	cfgFile := fs.String("config", "", "discovery policy `FILE` (JSON; see docs/gateway-discovery.md)")
	inspect := fs.Bool("inspect", false, "decrypt traffic to AI hosts with the CA in --ca (clients must trust it)")
	caDir := fs.String("ca", "", "CA `DIR` made by 'pave gateway ca init' (for --inspect)")
	dockerSock := fs.String("docker-socket", "", "Docker Engine API unix socket `PATH` for container attribution (default /var/run/docker.sock; \"none\" turns it off)")
	syncMode := fs.String("sync", "interval", "audit log fsync policy: each, interval (1s) or none")
	idle := fs.Duration("idle-timeout", 15*time.Minute, "close a tunnel idle both ways for this `DURATION`")
	if help, err := parseFlags(e, fs, "gateway discover", "--log FILE [--listen ADDR] [--config FILE] [--inspect --ca DIR]", args); help || err != nil {
		return err
	}
	if *logFile == "" || fs.NArg() > 0 {
		return usageErr("gateway discover: want --log FILE and no arguments")
	}
	if *inspect && *caDir == "" {
		return usageErr("gateway discover: --inspect needs --ca DIR (make one with 'pave gateway ca init --out DIR')")
	}
	if !*inspect && *caDir != "" {
		return usageErr("gateway discover: --ca is only used with --inspect")
	}
	sync, ok := map[string]audit.SyncPolicy{"each": audit.SyncEach, "interval": audit.SyncInterval, "none": audit.SyncNone}[*syncMode]
	if !ok {
		return usageErr("gateway discover: --sync %q: want each, interval or none", *syncMode)
	}
	if *idle <= 0 {
		return usageErr("gateway discover: --idle-timeout must be positive")
	}
	pol := &discover.Policy{}
	if *cfgFile != "" {
		var err error
		if pol, err = discover.LoadPolicy(*cfgFile); err != nil {
			return &exitError{code: ExitInput, err: err}
		}
	}
	var ca *mitm.CA
	if *inspect {
		var err error
		if ca, err = mitm.Load(*caDir); err != nil {
			return &exitError{code: ExitInput, err: err}
		}
	}
	w, err := audit.Open(*logFile, audit.Options{Sync: sync})
	if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	defer w.Close()
	cfg := discover.Config{Policy: pol, Log: w, Logger: e.log, IdleTimeout: *idle,
		Resolver: discover.NewResolver(discover.ResolverConfig{DockerSocket: *dockerSock})}
	if ca != nil {
		ic, err := mitm.New(mitm.Config{CA: ca, Log: w, Logger: e.log})
		if err != nil {
			return &exitError{code: ExitInternal, err: err}
		}
		defer ic.Close()
		cfg.Interceptor = ic
	}
	p, err := discover.New(cfg)
	if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return &exitError{code: ExitInput, err: fmt.Errorf("gateway discover: listen: %w", err)}
	}
	mode := "recording without decrypting"
	if ca != nil {
		mode = "inspecting AI hosts with CA " + ca.Fingerprint()
	}
	if pol.Block {
		mode += "; blocking unsanctioned AI hosts"
	}
	fmt.Fprintf(e.stderr, "pave gateway discover: proxy on http://%s, audit log %s, %s\n", ln.Addr(), *logFile, mode)
	start := time.Now()
	if err := p.Serve(ctx, ln); err != nil {
		return &exitError{code: ExitInternal, err: err}
	}
	if err := w.Close(); err != nil {
		return &exitError{code: ExitInternal, err: err}
	}
	return discoverTotals(e, p.Stats(), time.Since(start))
}

// discoverTotals prints what a discovery run saw; lost records fail it.
func discoverTotals(e *env, st discover.Stats, ran time.Duration) error {
	fmt.Fprintf(e.stderr, "pave gateway discover: stopped after %s: %d AI connections (%d blocked) recorded; %d other connections (%d bytes) tunnelled and not recorded",
		ran.Round(time.Second), st.AIConnections, st.Blocked, st.OtherConnections, st.OtherBytes)
	if st.LogErrors > 0 {
		fmt.Fprintf(e.stderr, "; %d records could not be written\n", st.LogErrors)
		return &exitError{code: ExitInternal, err: fmt.Errorf("gateway discover: %d records lost to audit log errors", st.LogErrors)}
	}
	fmt.Fprintln(e.stderr)
	return nil
}

func runGatewayCA(_ context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(e.stdout, "Usage: pave gateway ca init --out DIR\n\nCreates an ECDSA P-256 CA for 'pave gateway discover --inspect':\nDIR/ca.pem to install on clients, DIR/ca-key.pem (mode 0600) for pave only.")
		if len(args) == 0 {
			return usageErr("gateway ca: missing subcommand (init)")
		}
		return nil
	}
	if args[0] != "init" {
		return usageErr("gateway ca: unknown subcommand %q (want init)", args[0])
	}
	fs := flag.NewFlagSet("gateway ca init", flag.ContinueOnError)
	out := fs.String("out", "", "create the CA in `DIR` (made mode 0700 if missing; existing CA files are never overwritten)")
	if help, err := parseFlags(e, fs, "gateway ca init", "--out DIR", args[1:]); help || err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return usageErr("gateway ca init: want --out DIR and no arguments")
	}
	ca, err := mitm.Init(*out, time.Now())
	if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	fmt.Fprintf(e.stdout, "created CA %q valid until %s\n  certificate: %s (install it in the trust store of clients to inspect)\n  private key: %s (mode 0600; never leaves this file)\n  fingerprint: %s\n",
		ca.Cert.Subject.CommonName, ca.Cert.NotAfter.UTC().Format(time.DateOnly),
		filepath.Join(*out, mitm.CertFile), filepath.Join(*out, mitm.KeyFile), ca.Fingerprint())
	return nil
}
