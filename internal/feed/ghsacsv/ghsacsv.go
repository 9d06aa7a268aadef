// Package ghsacsv reads the CSV files OpenRewrite derives from GitHub's
// reviewed security advisories (advisories-maven.csv, advisories-nuget.csv,
// advisories-npm.csv) and converts them to OSV records.
//
// Each row, without a header, is one affected range of one advisory:
//
//	cve_or_ghsa,published,summary,package,introduced,fixed,severity,cwes
//
// OpenRewrite's generator (ParseAdvisories.java) writes, for every
// affected entry of a GHSA OSV record that has ranges, the record's first
// alias (its CVE) or else its GHSA id, the first range's introduced and
// fixed events, GHSA's severity word and the CWE ids joined by ";". The
// parser groups the rows of a file by id into one record per id, one
// affected entry per row, as GHSA's own OSV has them. See
// docs/feeds-language.md for what the CSV has lost.
package ghsacsv

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/osv"
)

// DefaultURLs are the files as OpenRewrite publishes them.
var DefaultURLs = []string{
	"https://raw.githubusercontent.com/openrewrite/rewrite-java-dependencies/main/src/main/resources/advisories-maven.csv",
	"https://raw.githubusercontent.com/openrewrite/rewrite-java-dependencies/main/src/main/resources/advisories-nuget.csv",
	"https://raw.githubusercontent.com/openrewrite/rewrite-nodejs/main/src/main/resources/advisories-npm.csv",
}

// Limits against hostile input.
const (
	// MaxFileSize bounds one CSV file.
	MaxFileSize = 256 << 20
	// MaxRows bounds the rows of one file (all are held to group them).
	MaxRows = 1_000_000
	// maxErrors is how many bad rows one file error lists.
	maxErrors = 5
)

// ecosystems maps the file name's suffix to the OSV ecosystem.
var ecosystems = map[string]string{"maven": "Maven", "nuget": "NuGet", "npm": "npm"}

var (
	cveRE  = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)
	ghsaRE = regexp.MustCompile(`^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$`)
	cweRE  = regexp.MustCompile(`^CWE-[0-9]+$`)
)

// Parser reads OpenRewrite's GHSA CSV files.
type Parser struct{}

var _ feed.Parser = Parser{}

// New returns the parser.
func New() feed.Parser { return Parser{} }

// Name implements feed.Parser.
func (Parser) Name() string { return "ghsa-csv" }

// ecosystem returns the OSV ecosystem a file's name stands for.
func ecosystem(p string) (string, bool) {
	base := path.Base(p)
	if !strings.HasPrefix(base, "advisories-") || !strings.HasSuffix(base, ".csv") {
		return "", false
	}
	e, ok := ecosystems[strings.TrimSuffix(strings.TrimPrefix(base, "advisories-"), ".csv")]
	return e, ok
}

// Match implements feed.Parser: advisories-{maven,nuget,npm}.csv.
func (Parser) Match(p string) bool {
	_, ok := ecosystem(p)
	return ok
}

// group is one advisory being assembled from its rows.
type group struct {
	rec      osv.Record
	severity string
	cwes     []string
}

// Parse implements feed.Parser. Good rows are reported even when others
// are bad; the error names the bad rows by line.
func (Parser) Parse(ctx context.Context, p string, r io.Reader, out feed.Sink) error {
	eco, ok := ecosystem(p)
	if !ok {
		return fmt.Errorf("ghsa-csv: %s: the file name names no ecosystem (want advisories-{maven,nuget,npm}.csv)", p)
	}
	lr := &io.LimitedReader{R: r, N: MaxFileSize + 1}
	cr := csv.NewReader(lr)
	cr.FieldsPerRecord = 8
	cr.ReuseRecord = true
	groups := map[string]*group{}
	var errs []string
	bad := 0
	fail := func(line int, err error) {
		bad++
		if len(errs) < maxErrors {
			errs = append(errs, fmt.Sprintf("line %d: %v", line, err))
		}
	}
	var final error
	for rows := 0; final == nil; rows++ {
		if rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		switch {
		case lr.N <= 0:
			final = fmt.Errorf("larger than %d bytes", MaxFileSize)
		case err != nil:
			var perr *csv.ParseError
			if errors.As(err, &perr) && errors.Is(perr.Err, csv.ErrFieldCount) {
				fail(perr.StartLine, fmt.Errorf("%d fields, want 8", len(row)))
				continue
			}
			final = err
		case rows >= MaxRows:
			final = fmt.Errorf("more than %d rows", MaxRows)
		default:
			line, _ := cr.FieldPos(0)
			if err := addRow(groups, eco, row); err != nil {
				fail(line, err)
			}
		}
	}
	ids := make([]string, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		g := groups[id]
		ds := map[string]any{"severity": g.severity}
		if len(g.cwes) > 0 {
			ds["cwe_ids"] = g.cwes
		}
		g.rec.DatabaseSpecific, _ = json.Marshal(ds)
		if err := out.Advisory(&g.rec); err != nil {
			return fmt.Errorf("ghsa-csv: %s: %w", p, err)
		}
	}
	return joinBad(p, errs, bad, final)
}

// addRow checks one row and adds it to its advisory's group.
func addRow(groups map[string]*group, eco string, row []string) error {
	id, published, summary, pkg, introduced, fixed, severity, cwes := row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7]
	if !cveRE.MatchString(id) && !ghsaRE.MatchString(id) {
		return fmt.Errorf("cve_or_ghsa: %q is neither a CVE nor a GHSA id", id)
	}
	switch severity {
	case "LOW", "MODERATE", "HIGH", "CRITICAL":
	default:
		return fmt.Errorf("severity: %q is not LOW, MODERATE, HIGH or CRITICAL", severity)
	}
	if pkg == "" {
		return errors.New("package: empty")
	}
	purl, err := packageURL(eco, pkg)
	if err != nil {
		return err
	}
	if introduced == "" {
		return errors.New("introduced: empty")
	}
	var cweIDs []string
	if cwes != "" {
		cweIDs = strings.Split(cwes, ";")
		for _, c := range cweIDs {
			if !cweRE.MatchString(c) {
				return fmt.Errorf("cwes: %q is not a CWE id", c)
			}
		}
	}
	events := []osv.Event{{Introduced: introduced}}
	if fixed != "" {
		events = append(events, osv.Event{Fixed: fixed})
	}
	aff := osv.Affected{
		Package: osv.Package{Ecosystem: eco, Name: pkg, PURL: purl},
		Ranges:  []osv.Range{{Type: osv.RangeEcosystem, Events: events}},
	}
	g := groups[id]
	if g == nil {
		t, err := time.Parse(time.RFC3339, published)
		if err != nil {
			return fmt.Errorf("published: %q is not an RFC 3339 time", published)
		}
		g = &group{
			rec:      osv.Record{ID: id, Modified: t, Published: &t, Summary: summary, Withdrawn: withdrawn(summary, t)},
			severity: severity,
			cwes:     cweIDs,
		}
		groups[id] = g
	}
	for _, a := range g.rec.Affected {
		if a.Package == aff.Package && slices.Equal(a.Ranges[0].Events, events) {
			return nil // a repeated row
		}
	}
	g.rec.Affected = append(g.rec.Affected, aff)
	return nil
}

// withdrawn recognises the advisories GitHub has withdrawn: their titles
// are rewritten to "Withdrawn: …", or "Duplicate Advisory: …" for a
// duplicate of another advisory (which is reported under its own id). The
// CSV has no withdrawal date, so the publication time stands in for it.
func withdrawn(summary string, published time.Time) *time.Time {
	if strings.HasPrefix(summary, "Withdrawn:") || strings.HasPrefix(summary, "Duplicate Advisory:") {
		return &published
	}
	return nil
}

// packageURL returns the package URL of a GHSA package name.
func packageURL(eco, name string) (string, error) {
	switch eco {
	case "Maven":
		group, artifact, ok := strings.Cut(name, ":")
		if !ok || group == "" || artifact == "" || strings.Contains(artifact, ":") {
			return "", fmt.Errorf("package: %q is not group:artifact", name)
		}
		return "pkg:maven/" + url.PathEscape(group) + "/" + url.PathEscape(artifact), nil
	case "npm":
		if scope, rest, ok := strings.Cut(name, "/"); ok {
			if !strings.HasPrefix(scope, "@") || rest == "" || strings.Contains(rest, "/") {
				return "", fmt.Errorf("package: %q is not an npm name", name)
			}
			return "pkg:npm/%40" + url.PathEscape(scope[1:]) + "/" + url.PathEscape(rest), nil
		}
		return "pkg:npm/" + url.PathEscape(name), nil
	}
	return "pkg:nuget/" + url.PathEscape(name), nil
}

// joinBad makes one error out of the bad rows of a file and a final
// error, if any.
func joinBad(p string, errs []string, bad int, final error) error {
	if bad == 0 && final == nil {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ghsa-csv: %s:", p)
	if bad > 0 {
		fmt.Fprintf(&b, " %d bad rows (%s", bad, strings.Join(errs, "; "))
		if bad > len(errs) {
			b.WriteString("; …")
		}
		b.WriteString(")")
	}
	if final != nil {
		if bad > 0 {
			b.WriteString(";")
		}
		return fmt.Errorf("%s %w", b.String(), final)
	}
	return errors.New(b.String())
}
