// Command acccmp supports scripts/accuracy.sh: it writes OSV record trees
// as osv.dev's per-ecosystem zips, and compares pave's findings with
// osv-scanner's.
//
//	acccmp zips -o DIR SRC...                 write DIR/<ecosystem>/all.zip
//	acccmp feed -o DIR debian-list|ghsa-csv|rubysec FILE|DIR...  add what pave's feed parser makes of them, as OSV
//	acccmp empty -o DIR ECOSYSTEM...            an empty all.zip for each ecosystem without one
//	acccmp inputs -db DIR -o OUT [-listed N]        write manifests pinning every version the records name
//	acccmp compare -pave P.json -osv O.json [-db DIR] [-grouping]
//
// compare prints the totals table, then every disagreement; with -db it
// also prints the ranges of the records involved.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/pavesec/pave/internal/accuracy"
	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/feed/debian"
	"github.com/pavesec/pave/internal/feed/ghsacsv"
	"github.com/pavesec/pave/internal/feed/rubysec"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "acccmp:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: acccmp zips|compare ...")
	}
	switch args[0] {
	case "zips":
		fs := flag.NewFlagSet("zips", flag.ContinueOnError)
		out := fs.String("o", "", "output `DIR`")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *out == "" || fs.NArg() == 0 {
			return fmt.Errorf("usage: acccmp zips -o DIR SRC...")
		}
		st, err := accuracy.BuildZips(ctx, *out, fs.Args())
		if err != nil {
			return err
		}
		ecos := make([]string, 0, len(st.Records))
		for e := range st.Records {
			ecos = append(ecos, e)
		}
		slices.Sort(ecos)
		for _, e := range ecos {
			fmt.Printf("%s\t%d\n", e, st.Records[e])
		}
		fmt.Printf("files\t%d\nduplicates\t%d\nskipped\t%d\n", st.Files, len(st.Duplicates), len(st.Skipped))
		for _, s := range st.Skipped {
			fmt.Fprintln(os.Stderr, "skipped:", s)
		}
		return nil
	case "feed":
		fs := flag.NewFlagSet("feed", flag.ContinueOnError)
		out := fs.String("o", "", "output `DIR`")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *out == "" || fs.NArg() < 2 {
			return fmt.Errorf("usage: acccmp feed -o DIR debian-list|ghsa-csv|rubysec FILE|DIR...")
		}
		var p feed.Parser
		switch fs.Arg(0) {
		case "debian-list":
			p = debian.NewList()
		case "ghsa-csv":
			p = ghsacsv.New()
		case "rubysec":
			p = rubysec.New()
		default:
			return fmt.Errorf("unknown feed %q (debian-list, ghsa-csv, rubysec)", fs.Arg(0))
		}
		added, err := accuracy.ConvertFeed(ctx, *out, p, fs.Args()[1:])
		if err != nil {
			return err
		}
		ecos := make([]string, 0, len(added))
		for e := range added {
			ecos = append(ecos, e)
		}
		slices.Sort(ecos)
		for _, e := range ecos {
			fmt.Printf("%s\t+%d (%s)\n", e, added[e], fs.Arg(0))
		}
		return nil
	case "empty":
		fs := flag.NewFlagSet("empty", flag.ContinueOnError)
		out := fs.String("o", "", "output `DIR`")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		made, err := accuracy.Empty(*out, fs.Args())
		if err != nil {
			return err
		}
		for _, e := range made {
			fmt.Printf("%s\t0 (empty)\n", e)
		}
		return nil
	case "inputs":
		fs := flag.NewFlagSet("inputs", flag.ContinueOnError)
		db := fs.String("db", "", "`DIR` of <ecosystem>/all.zip")
		out := fs.String("o", "", "output `DIR`")
		listed := fs.Int("listed", 20, "pin at most `N` of each record's listed versions")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *db == "" || *out == "" {
			return fmt.Errorf("usage: acccmp inputs -db DIR -o OUT [-listed N]")
		}
		st, err := accuracy.BoundaryInputs(*db, *out, *listed)
		if err != nil {
			return err
		}
		for e, n := range st.Pairs {
			fmt.Printf("%s\t%d pins\t%d files\n", e, n, st.Files[e])
		}
		return nil
	case "compare":
		fs := flag.NewFlagSet("compare", flag.ContinueOnError)
		paveFile := fs.String("pave", "", "pave JSON report(s), comma-separated")
		osvFile := fs.String("osv", "", "osv-scanner JSON report(s), comma-separated")
		db := fs.String("db", "", "`DIR` of <ecosystem>/all.zip, to explain disagreements")
		grouping := fs.Bool("grouping", false, "also list grouping differences")
		inv := fs.String("inventory", "", "write every package either tool listed, with the ids each reports, to `FILE` (TSV)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		var pave, osvs []*accuracy.Side
		for _, p := range strings.Split(*paveFile, ",") {
			s, err := readWith(p, accuracy.ReadPave)
			if err != nil {
				return err
			}
			pave = append(pave, s)
		}
		for _, p := range strings.Split(*osvFile, ",") {
			s, err := readWith(p, accuracy.ReadOSVScanner)
			if err != nil {
				return err
			}
			osvs = append(osvs, s)
		}
		ps, oss := accuracy.Merge(pave...), accuracy.Merge(osvs...)
		if *inv != "" {
			if err := writeInventory(*inv, ps, oss); err != nil {
				return err
			}
		}
		c := accuracy.Compare(ps, oss)
		if err := c.WriteTable(os.Stdout); err != nil {
			return err
		}
		fmt.Println()
		if err := c.WriteDisagreements(os.Stdout, *grouping); err != nil {
			return err
		}
		if *db != "" {
			ids := map[string]bool{}
			for _, it := range c.Items {
				if it.Outcome != accuracy.Both {
					for _, id := range it.IDs() {
						ids[id] = true
					}
				}
			}
			if len(ids) == 0 {
				return nil
			}
			recs, err := accuracy.ReadZipRecords(*db, ids)
			if err != nil {
				return err
			}
			fmt.Println()
			return c.Explain(os.Stdout, recs)
		}
		return nil
	}
	return fmt.Errorf("unknown subcommand %q", args[0])
}

func readWith(path string, read func(io.Reader) (*accuracy.Side, error)) (*accuracy.Side, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return read(f)
}

// writeInventory writes one line per package either tool listed: the
// key, then the ids pave reports for it, then osv-scanner's (sorted,
// comma-separated), for an independent evaluator to check.
func writeInventory(path string, pave, osvs *accuracy.Side) error {
	ids := func(s *accuracy.Side) map[accuracy.Key][]string {
		m := map[accuracy.Key][]string{}
		for _, f := range s.Findings {
			m[f.Key] = append(m[f.Key], f.IDs...)
		}
		return m
	}
	pi, oi := ids(pave), ids(osvs)
	keys := map[accuracy.Key]bool{}
	for k := range pave.Packages {
		keys[k] = true
	}
	for k := range osvs.Packages {
		keys[k] = true
	}
	lines := make([]string, 0, len(keys))
	for k := range keys {
		lines = append(lines, fmt.Sprintf("%s\t%s\t%s", k, join(pi[k]), join(oi[k])))
	}
	slices.Sort(lines)
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

func join(ids []string) string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return strings.Join(slices.Compact(ids), ",")
}
