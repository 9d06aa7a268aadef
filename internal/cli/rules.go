package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	checkall "github.com/pavesec/pave/internal/check/all"
)

func runRules(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("rules", flag.ContinueOnError)
	format := fs.String("format", "table", "table, json or markdown")
	family := fs.String("family", "", "only rules of `FAMILY` (dockerfile, image, kubernetes, github-actions, gitlab-ci, secret, runtime)")
	if help, err := parseFlags(e, fs, "rules", "[--format table|json|markdown] [--family F] [ID ...]", args); help || err != nil {
		return err
	}
	rules, err := checkall.Catalogue(ctx)
	if err != nil {
		return err
	}
	if *family != "" && !slices.ContainsFunc(rules, func(r checkall.Rule) bool { return r.Family == *family }) {
		var fams []string
		for _, r := range rules {
			if !slices.Contains(fams, r.Family) {
				fams = append(fams, r.Family)
			}
		}
		slices.Sort(fams)
		return usageErr("unknown family %q (want one of %s)", *family, strings.Join(fams, ", "))
	}
	want := map[string]bool{}
	for _, id := range fs.Args() {
		want[strings.ToUpper(id)] = true
	}
	var out []checkall.Rule
	for _, r := range rules {
		if (*family == "" || r.Family == *family) && (len(want) == 0 || want[r.ID]) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return usageErr("no rule matches (run 'pave rules' for the catalogue)")
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "markdown":
		_, err := fmt.Fprint(e.stdout, checkall.Markdown(out))
		return err
	case "table":
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSEVERITY\tFAMILY\tTITLE\tCONTROLS")
		for _, r := range out {
			var cs []string
			for _, c := range r.Controls {
				cs = append(cs, c.Framework+" "+c.ID)
			}
			title := r.Title
			if r.Enforce {
				title += " [enforce]"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Family, title, strings.Join(cs, "; "))
		}
		return tw.Flush()
	}
	return usageErr("unknown format %q (want table, json or markdown)", *format)
}
