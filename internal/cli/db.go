package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	feedall "github.com/pavesec/pave/internal/feed/all"
	"github.com/pavesec/pave/internal/vulndb"
)

// dbFlags locate and trust a database; shared by scan and the db
// subcommands.
type dbFlags struct {
	path       string
	keys       stringList
	skipVerify bool
	maxAge     time.Duration
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func (f *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.path, "db", "", "vulnerability database `FILE` (default $PAVE_DB, else "+displayPath(defaultDBPath())+")")
	fs.Var(&f.keys, "db-key", "trusted public key `FILE` for the database signature (repeatable; also $PAVE_DB_KEYS and "+displayPath(keysDir())+"/*.pub)")
	fs.BoolVar(&f.skipVerify, "insecure-skip-db-verify", false, "open an unsigned or untrusted database (reports say so)")
	fs.DurationVar(&f.maxAge, "db-max-age", 7*24*time.Hour, "warn when the database is older than this")
}

func defaultDBPath() string {
	if p := os.Getenv("PAVE_DB"); p != "" {
		return p
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "pave.db"
	}
	return filepath.Join(d, "pave", "db", "pave.db")
}

func keysDir() string {
	d, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "pave", "keys")
}

func displayPath(p string) string {
	if h, err := os.UserHomeDir(); err == nil && h != "" && strings.HasPrefix(p, h+"/") {
		return "~" + p[len(h):]
	}
	return p
}

func (f *dbFlags) dbPath() (string, bool) {
	if f.path != "" {
		return f.path, true
	}
	return defaultDBPath(), os.Getenv("PAVE_DB") != ""
}

func (f *dbFlags) trusted() ([]vulndb.PublicKey, error) {
	files := append([]string(nil), f.keys...)
	if env := os.Getenv("PAVE_DB_KEYS"); env != "" {
		files = append(files, filepath.SplitList(env)...)
	}
	var dirs []string
	if d := keysDir(); d != "" {
		dirs = append(dirs, d)
	}
	k, err := vulndb.LoadPublicKeys(files, dirs)
	if err != nil {
		return nil, &exitError{code: ExitInput, err: err}
	}
	return k, nil
}

// open opens the database; warn receives the staleness warning.
func (f *dbFlags) open(warn func(string)) (*vulndb.DB, error) {
	p, _ := f.dbPath()
	keys, err := f.trusted()
	if err != nil {
		return nil, err
	}
	db, err := vulndb.Open(p, vulndb.OpenOptions{Keys: keys, SkipVerify: f.skipVerify})
	if err != nil {
		return nil, &exitError{code: ExitInput, err: fmt.Errorf("vulnerability database %s: %w", displayPath(p), err)}
	}
	if f.skipVerify && db.Signer() == nil {
		warn(fmt.Sprintf("the vulnerability database %s is NOT verified (--insecure-skip-db-verify)", displayPath(p)))
	}
	if age := db.Age(time.Now()); f.maxAge > 0 && age > f.maxAge {
		warn(fmt.Sprintf("the vulnerability database was built %s ago (%s), over --db-max-age %s; run 'pave db update'",
			roundAge(age), db.Meta().Built.Format(time.DateOnly), f.maxAge))
	}
	return db, nil
}

func roundAge(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	return d.Round(time.Minute).String()
}

func runDB(ctx context.Context, e *env, args []string) error {
	subs := []struct {
		name, summary string
		run           func(context.Context, *env, []string) error
	}{
		{"build", "build a signed database from feeds (files, directories, archives or URLs)", runDBBuild},
		{"verify", "check a database's signature against the trusted keys", runDBVerify},
		{"info", "describe a database: build time, sources, counts", runDBInfo},
		{"update", "fetch a signed prebuilt database, or rebuild it from sources", runDBUpdate},
		{"keygen", "make an ECDSA P-256 key pair for signing databases", runDBKeygen},
		{"feeds", "list the feeds pave can import and their default URLs", runDBFeeds},
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(e.stdout, "Usage: pave db <command> [flags]\n\nCommands:")
		for _, s := range subs {
			fmt.Fprintf(e.stdout, "  %-7s %s\n", s.name, s.summary)
		}
		if len(args) == 0 {
			return usageErr("db needs a command (run 'pave db -h')")
		}
		return nil
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, e, args[1:])
		}
	}
	return usageErr("unknown db command %q (run 'pave db -h')", args[0])
}

// parseFlags parses a command's flags (flags may follow positional
// arguments) with one-line errors; -h prints usage and the flags on
// stdout. cmd is the command as typed ("db build"), usage what follows it.
func parseFlags(e *env, fs *flag.FlagSet, cmd, usage string, args []string) (help bool, err error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(interleave(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(e.stdout, "Usage: pave %s %s\n\nFlags:\n", cmd, usage)
			fs.SetOutput(e.stdout)
			fs.PrintDefaults()
			return true, nil
		}
		return false, usageErr("%v (run 'pave %s -h')", err, cmd)
	}
	return false, nil
}

func runDBBuild(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("db build", flag.ContinueOnError)
	out := fs.String("o", "", "write the database to `FILE` (default: the database path, see --db)")
	fs.StringVar(out, "output", "", "same as -o")
	dbPath := fs.String("db", "", "same as -o")
	keyFile := fs.String("key", "", "sign with the ECDSA P-256 private key in `FILE` (pave db keygen)")
	unsigned := fs.Bool("unsigned", false, "write an unsigned database (every open will refuse it without --insecure-skip-db-verify)")
	offline := fs.Bool("offline", false, "forbid network access: every input must be a local path")
	tempDir := fs.String("temp-dir", "", "parent `DIR` for downloads")
	strict := fs.Bool("strict", false, "fail when any feed file cannot be parsed")
	if help, err := parseFlags(e, fs, "db build", "[flags] [FEED=LOCATION ...]", args); help || err != nil {
		return err
	}
	var inputs []vulndb.Input
	for _, a := range fs.Args() {
		name, loc, ok := strings.Cut(a, "=")
		if !ok || name == "" || loc == "" {
			return usageErr("input %q: want FEED=LOCATION, e.g. osv=./go-osv.zip (pave db feeds lists feeds)", a)
		}
		inputs = append(inputs, vulndb.Input{Feed: name, Location: loc})
	}
	var key *vulndb.PrivateKey
	switch {
	case *keyFile != "":
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			return &exitError{code: ExitInput, err: fmt.Errorf("signing key: %w", err)}
		}
		if key, err = vulndb.ParsePrivateKey(b); err != nil {
			return usageErr("signing key %s: %v", *keyFile, err)
		}
	case !*unsigned:
		return usageErr("a database must be signed: give --key FILE (pave db keygen makes one), or --unsigned")
	}
	dest := *out
	if dest == "" {
		dest = *dbPath
	}
	if dest == "" {
		dest = defaultDBPath()
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return &exitError{code: ExitInput, err: err}
		}
	}
	o, err := createOutput(dest, e.stdout)
	if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	defer o.Abort()
	if o.tmp == nil {
		return usageErr("db build writes a file: give -o FILE")
	}
	start := time.Now()
	w, err := vulndb.Build(ctx, vulndb.BuildOptions{
		Feeds:   feedall.Feeds(),
		Inputs:  inputs,
		Offline: *offline,
		TempDir: *tempDir,
		Built:   time.Now(),
		Tool:    "pave " + Version(),
		Client:  &http.Client{Timeout: 30 * time.Minute},
	})
	if err != nil {
		return &exitError{code: ExitInput, err: err} // an unreadable, refused or offline input
	}
	meta, err := w.WriteTo(o.w, key)
	if err != nil {
		return err
	}
	var failed []string
	for _, s := range meta.Sources {
		if s.ErrorCount > 0 {
			failed = append(failed, fmt.Sprintf("%s %s: %d files could not be read, first: %s", s.Name, s.Location, s.ErrorCount, s.Errors[0]))
		}
	}
	if *strict && len(failed) > 0 {
		return &exitError{code: ExitInput, err: errors.New(failed[0])}
	}
	if err := o.Commit(); err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	for _, f := range failed {
		fmt.Fprintf(e.stderr, "pave: warning: %s\n", f)
	}
	signed := "unsigned"
	if key != nil {
		signed = "signed by " + key.ID[:16]
	}
	fmt.Fprintf(e.stderr, "pave: wrote %s: %d advisories for %d packages, %d CVEs enriched, from %d sources, %s, in %s\n",
		dest, meta.Counts.Advisories, meta.Counts.Packages, meta.Counts.CVEs, len(meta.Sources), signed, time.Since(start).Round(time.Millisecond))
	return nil
}

func runDBVerify(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("db verify", flag.ContinueOnError)
	var f dbFlags
	f.register(fs)
	if help, err := parseFlags(e, fs, "db verify", "[--db FILE] [--db-key KEY]", args); help || err != nil {
		return err
	}
	if fs.NArg() == 1 && f.path == "" {
		f.path = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usageErr("db verify takes at most one FILE")
	}
	f.skipVerify = false
	db, err := f.open(func(string) {})
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) && errors.Is(err, vulndb.ErrUntrusted) {
			ee.code = ExitPolicy
		}
		return err
	}
	defer db.Close()
	s := db.Signer()
	fmt.Fprintf(e.stdout, "verified: %s\n  digest  %s\n  signer  %s (%s)\n  built   %s\n", func() string { p, _ := f.dbPath(); return displayPath(p) }(),
		db.Digest(), s.ID, s.Source, db.Meta().Built.Format(time.RFC3339))
	return nil
}

func runDBInfo(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("db info", flag.ContinueOnError)
	var f dbFlags
	f.register(fs)
	format := fs.String("format", "table", "table or json")
	if help, err := parseFlags(e, fs, "db info", "[--db FILE] [--format table|json]", args); help || err != nil {
		return err
	}
	if fs.NArg() == 1 && f.path == "" {
		f.path = fs.Arg(0)
	}
	if *format != "table" && *format != "json" {
		return usageErr("unknown format %q (want table or json)", *format)
	}
	var warnings []string
	db, err := f.open(func(s string) { warnings = append(warnings, s) })
	if err != nil {
		return err
	}
	defer db.Close()
	m := db.Meta()
	if *format == "json" {
		out := struct {
			Path     string      `json:"path"`
			Digest   string      `json:"digest"`
			Size     int64       `json:"size"`
			Signer   string      `json:"signer,omitempty"`
			Verified bool        `json:"verified"`
			Meta     vulndb.Meta `json:"meta"`
			Warnings []string    `json:"warnings,omitempty"`
		}{Digest: db.Digest(), Size: db.Size(), Verified: db.Signer() != nil, Meta: m, Warnings: warnings}
		out.Path, _ = f.dbPath()
		if db.Signer() != nil {
			out.Signer = db.Signer().ID
		}
		out.Meta.Tables = vulndb.Meta{}.Tables // block indexes are not for people
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	p, _ := f.dbPath()
	signer := "NOT VERIFIED"
	if s := db.Signer(); s != nil {
		signer = s.ID + " (" + s.Source + ")"
	}
	fmt.Fprintf(e.stdout, "database  %s\nschema    %s\nbuilt     %s (%s ago) by %s\ndigest    %s\nsize      %d bytes\nsigner    %s\n",
		displayPath(p), m.Schema, m.Built.Format(time.RFC3339), roundAge(db.Age(time.Now())), m.Tool, db.Digest(), db.Size(), signer)
	fmt.Fprintf(e.stdout, "contents  %d advisories for %d packages (%d withdrawn left out); %d CVEs with enrichment: %d scored, %d in KEV, %d with EPSS\n\n",
		m.Counts.Advisories, m.Counts.Packages, m.Counts.Withdrawn, m.Counts.CVEs, m.Counts.Scores, m.Counts.KEV, m.Counts.EPSS)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FEED\tFILES\tADVISORIES\tSCORES\tKEV\tEPSS\tNEWEST\tERRORS\tDIGEST\tLOCATION")
	for _, s := range m.Sources {
		newest := "-"
		if !s.Newest.IsZero() {
			newest = s.Newest.Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%s\t%s\n", s.Name, s.Files, s.Counts.Advisories, s.Counts.Scores, s.Counts.KEV, s.Counts.EPSS,
			newest, s.ErrorCount, shortDigest(s.Digest), s.Location)
	}
	tw.Flush()
	for _, w := range warnings {
		fmt.Fprintf(e.stderr, "pave: warning: %s\n", w)
	}
	return nil
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

// DefaultDBURL is where pave db update fetches the prebuilt database.
const DefaultDBURL = "https://github.com/pavesec/pave-db/releases/latest/download/pave.db"

func runDBUpdate(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("db update", flag.ContinueOnError)
	var f dbFlags
	f.register(fs)
	url := fs.String("url", DefaultDBURL, "download the prebuilt database from `URL`")
	offline := fs.Bool("offline", false, "forbid network access (update then only rebuilds from local sources)")
	rebuild := fs.Bool("rebuild", false, "rebuild from the feeds given as FEED=LOCATION arguments (or every feed's default URLs) instead of downloading")
	keyFile := fs.String("key", "", "with --rebuild: the signing key `FILE`")
	if help, err := parseFlags(e, fs, "db update", "[flags] [FEED=LOCATION ...]", args); help || err != nil {
		return err
	}
	dest, _ := f.dbPath()
	if *rebuild {
		b := []string{"-o", dest}
		if *keyFile != "" {
			b = append(b, "--key", *keyFile)
		}
		if *offline {
			b = append(b, "--offline")
		}
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return &exitError{code: ExitInput, err: err}
		}
		return runDBBuild(ctx, e, append(b, fs.Args()...))
	}
	if fs.NArg() > 0 {
		return usageErr("FEED=LOCATION arguments need --rebuild")
	}
	if *offline {
		return usageErr("db update downloads %s; with --offline, use --rebuild with local sources", *url)
	}
	keys, err := f.trusted()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	o, err := createOutput(dest, e.stdout)
	if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	defer o.Abort()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return usageErr("--url: %v", err)
	}
	req.Header.Set("User-Agent", "pave/"+Version())
	resp, err := (&http.Client{Timeout: 30 * time.Minute}).Do(req)
	if err != nil {
		return &exitError{code: ExitInput, err: fmt.Errorf("download %s: %w", *url, err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &exitError{code: ExitInput, err: fmt.Errorf("download %s: HTTP %s", *url, resp.Status)}
	}
	n, err := io.Copy(o.w, io.LimitReader(resp.Body, vulndb.MaxSize+1))
	if err != nil {
		return &exitError{code: ExitInput, err: fmt.Errorf("download %s: %w", *url, err)}
	}
	if n > vulndb.MaxSize {
		return &exitError{code: ExitInput, err: fmt.Errorf("download %s: over %d bytes", *url, int64(vulndb.MaxSize))}
	}
	// Verify the download before it replaces anything.
	if err := o.tmp.Sync(); err != nil {
		return err
	}
	db, err := vulndb.Open(o.tmp.Name(), vulndb.OpenOptions{Keys: keys})
	if err != nil {
		code := ExitInput
		if errors.Is(err, vulndb.ErrUntrusted) {
			code = ExitPolicy
		}
		return &exitError{code: code, err: fmt.Errorf("downloaded database refused, %s left unchanged: %w", displayPath(dest), err)}
	}
	meta, digest, signer := db.Meta(), db.Digest(), db.Signer().ID
	db.Close()
	if err := o.Commit(); err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	fmt.Fprintf(e.stderr, "pave: updated %s: built %s, %d advisories, %s, signed by %s\n", displayPath(dest), meta.Built.Format(time.RFC3339), meta.Counts.Advisories, digest, signer[:16])
	return nil
}

func runDBKeygen(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("db keygen", flag.ContinueOnError)
	prefix := fs.String("o", "pave-db", "write `PREFIX`.key (private, mode 0600) and PREFIX.pub")
	if help, err := parseFlags(e, fs, "db keygen", "[-o PREFIX]", args); help || err != nil {
		return err
	}
	priv, pub, id, err := vulndb.GenerateKey()
	if err != nil {
		return err
	}
	for _, p := range []string{*prefix + ".key", *prefix + ".pub"} {
		if _, err := os.Stat(p); err == nil {
			return usageErr("%s exists; refusing to overwrite a key", p)
		}
	}
	if err := os.WriteFile(*prefix+".key", priv, 0o600); err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	if err := os.WriteFile(*prefix+".pub", pub, 0o644); err != nil {
		os.Remove(*prefix + ".key")
		return &exitError{code: ExitInput, err: err}
	}
	fmt.Fprintf(e.stdout, "key %s\nprivate %s.key (keep it secret)\npublic  %s.pub (give to --db-key, or copy to %s/)\n", id, *prefix, *prefix, displayPath(keysDir()))
	return nil
}

func runDBFeeds(_ context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] != "-h" {
		return usageErr("db feeds takes no arguments")
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FEED\tFORMATS\tDESCRIPTION")
	for _, f := range feedall.Feeds() {
		var names []string
		for _, p := range f.Parsers {
			names = append(names, p.Name())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, strings.Join(names, ","), f.Description)
	}
	tw.Flush()
	fmt.Fprintln(e.stdout, "\nDefault URLs (used by 'pave db build' with no FEED=LOCATION arguments):")
	for _, f := range feedall.Feeds() {
		for _, u := range f.URLs {
			fmt.Fprintf(e.stdout, "  %-16s %s\n", f.Name, u)
		}
	}
	return nil
}
