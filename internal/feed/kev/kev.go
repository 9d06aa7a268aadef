// Package kev reads CISA's Known Exploited Vulnerabilities catalog
// (https://www.cisa.gov/known-exploited-vulnerabilities-catalog) in its
// two published forms, JSON and CSV, and reports one feed.KEV per entry.
//
// Each entry is checked against the catalog's published JSON schema
// (known_exploited_vulnerabilities_schema.json): the eight required
// fields present, cveID matching ^CVE-[0-9]{4}-[0-9]{4,19}$, dateAdded and
// dueDate dates, cwes matching ^CWE-[0-9]+$; and, beyond the schema,
// knownRansomwareCampaignUse "Known" or "Unknown", no CVE listed twice,
// and the JSON "count" equal to the entries read. An entry without a
// valid cveID or dateAdded is skipped; any other violation is reported in
// the returned error but the entry is kept, since "known exploited" is
// what matters and a malformed note should not hide it.
//
// feed.KEV keeps cveID, dateAdded, dueDate, vendorProject, product and
// knownRansomwareCampaignUse; vulnerabilityName, shortDescription,
// requiredAction, notes and cwes are not kept.
package kev

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/feed"
)

// JSONURL and CSVURL are where CISA publishes the catalog.
const (
	JSONURL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	CSVURL  = "https://www.cisa.gov/sites/default/files/csv/known_exploited_vulnerabilities.csv"
)

// DefaultURLs returns the JSON catalog only: the CSV holds the same
// entries, and reading both would report each twice.
func DefaultURLs() []string { return []string{JSONURL} }

// Bounds: the real catalog is about 1.3 MB with some 1,500 entries.
const (
	maxBytes   = 64 << 20
	maxEntries = 1_000_000
)

// Parser reads the KEV catalog.
type Parser struct{}

var _ feed.Parser = (*Parser)(nil)

// New returns the KEV parser.
func New() *Parser { return &Parser{} }

// Name implements feed.Parser.
func (*Parser) Name() string { return "cisa-kev" }

// Match implements feed.Parser: known_exploited_vulnerabilities.json or
// .csv, as CISA names them.
func (*Parser) Match(p string) bool {
	switch path.Base(feed.TrimCompression(p)) {
	case "known_exploited_vulnerabilities.json", "known_exploited_vulnerabilities.csv":
		return true
	}
	return false
}

// Parse implements feed.Parser. The form is told by the content: a JSON
// object, else CSV.
func (*Parser) Parse(ctx context.Context, name string, r io.Reader, out feed.Sink) error {
	br := bufio.NewReaderSize(feed.LimitReader(r, maxBytes), 64<<10)
	first, err := peekNonSpace(br)
	if err != nil && err != io.EOF {
		return fmt.Errorf("kev: read %s: %w", name, err)
	}
	c := &catalog{name: name, out: out, seen: map[string]bool{}, prob: &feed.Problems{Prefix: "kev: " + name + ": "}}
	if first == '{' {
		err = c.parseJSON(ctx, br)
	} else {
		err = c.parseCSV(ctx, br)
	}
	if err != nil {
		return errors.Join(err, c.prob.Err())
	}
	return c.prob.Err()
}

// catalog is the state of one file being read.
type catalog struct {
	name string
	out  feed.Sink
	seen map[string]bool
	n    int
	prob *feed.Problems
}

// entry is one vulnerability as published; nil fields were absent.
type entry struct {
	CVEID                      *string  `json:"cveID"`
	VendorProject              *string  `json:"vendorProject"`
	Product                    *string  `json:"product"`
	VulnerabilityName          *string  `json:"vulnerabilityName"`
	DateAdded                  *string  `json:"dateAdded"`
	ShortDescription           *string  `json:"shortDescription"`
	RequiredAction             *string  `json:"requiredAction"`
	DueDate                    *string  `json:"dueDate"`
	KnownRansomwareCampaignUse *string  `json:"knownRansomwareCampaignUse"`
	Notes                      *string  `json:"notes"`
	CWEs                       []string `json:"cwes"`
}

var (
	reCVE = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,19}$`)
	reCWE = regexp.MustCompile(`^CWE-[0-9]+$`)
)

// add validates one entry (where names it in messages) and reports it.
func (c *catalog) add(e *entry, where string) error {
	c.n++
	if c.n > maxEntries {
		return fmt.Errorf("kev: parse %s: more than %d entries", c.name, maxEntries)
	}
	if e.CVEID == nil || !reCVE.MatchString(*e.CVEID) {
		c.prob.Add("%s: cveID %s is not a CVE id; entry skipped", where, show(e.CVEID))
		return nil
	}
	id := *e.CVEID
	where += " (" + id + ")"
	if e.DateAdded == nil || !isDate(*e.DateAdded) {
		c.prob.Add("%s: dateAdded %s is not a date (YYYY-MM-DD); entry skipped", where, show(e.DateAdded))
		return nil
	}
	if c.seen[id] {
		c.prob.Add("%s: listed twice; entry skipped", where)
		return nil
	}
	c.seen[id] = true
	for _, f := range []struct {
		name string
		v    *string
	}{
		{"vendorProject", e.VendorProject}, {"product", e.Product}, {"vulnerabilityName", e.VulnerabilityName},
		{"shortDescription", e.ShortDescription}, {"requiredAction", e.RequiredAction}, {"dueDate", e.DueDate},
	} {
		if f.v == nil {
			c.prob.Add("%s: required field %s is missing", where, f.name)
		}
	}
	k := feed.KEV{CVE: id, DateAdded: *e.DateAdded, Vendor: deref(e.VendorProject), Product: deref(e.Product)}
	if e.DueDate != nil {
		if isDate(*e.DueDate) {
			k.DueDate = *e.DueDate
		} else {
			c.prob.Add("%s: dueDate %s is not a date (YYYY-MM-DD)", where, show(e.DueDate))
		}
	}
	if e.KnownRansomwareCampaignUse != nil {
		switch *e.KnownRansomwareCampaignUse {
		case "Known":
			k.Ransomware = true
		case "Unknown":
		default:
			c.prob.Add("%s: knownRansomwareCampaignUse %s is neither Known nor Unknown", where, show(e.KnownRansomwareCampaignUse))
		}
	}
	for _, w := range e.CWEs {
		if !reCWE.MatchString(w) {
			c.prob.Add("%s: cwe %q does not match CWE-n", where, feed.Clip(w))
		}
	}
	return c.out.KEV(&k)
}

// parseJSON reads the catalog object, decoding one vulnerability at a
// time.
func (c *catalog) parseJSON(ctx context.Context, r io.Reader) error {
	dec := json.NewDecoder(r)
	fail := func(format string, args ...any) error {
		return fmt.Errorf("kev: parse %s at byte %d: %s", c.name, dec.InputOffset(), fmt.Sprintf(format, args...))
	}
	if err := feed.ExpectDelim(dec, '{'); err != nil {
		return fail("%v", err)
	}
	var (
		version, released *string
		count             *int64
		sawList           bool
	)
	for dec.More() {
		key, err := feed.StringToken(dec)
		if err != nil {
			return fail("%v", err)
		}
		switch key {
		case "catalogVersion", "dateReleased":
			var s string
			if err := dec.Decode(&s); err != nil {
				return fail("%s: %v", key, err)
			}
			if key == "catalogVersion" {
				version = &s
			} else {
				released = &s
			}
		case "count":
			var n int64
			if err := dec.Decode(&n); err != nil {
				return fail("count: %v", err)
			}
			count = &n
		case "vulnerabilities":
			sawList = true
			if err := feed.ExpectDelim(dec, '['); err != nil {
				return fail("vulnerabilities: %v", err)
			}
			for i := 1; dec.More(); i++ {
				if err := ctx.Err(); err != nil {
					return err
				}
				var e entry
				if err := dec.Decode(&e); err != nil {
					var te *json.UnmarshalTypeError
					if errors.As(err, &te) {
						c.n++
						c.prob.Add("vulnerability %d: %v; entry skipped", i, err)
						continue
					}
					return fail("vulnerability %d: %v", i, err)
				}
				if err := c.add(&e, fmt.Sprintf("vulnerability %d", i)); err != nil {
					return err
				}
			}
			if err := feed.ExpectDelim(dec, ']'); err != nil {
				return fail("vulnerabilities: %v", err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail("%s: %v", key, err)
			}
		}
	}
	if err := feed.ExpectDelim(dec, '}'); err != nil {
		return fail("%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail("data after the catalog object")
	}
	if !sawList {
		return fail("no \"vulnerabilities\": not a KEV catalog")
	}
	if version == nil {
		c.prob.Add("required field catalogVersion is missing")
	}
	if released == nil {
		c.prob.Add("required field dateReleased is missing")
	} else if _, err := time.Parse(time.RFC3339Nano, *released); err != nil {
		c.prob.Add("dateReleased %q is not a date-time", feed.Clip(*released))
	}
	if count == nil {
		c.prob.Add("required field count is missing")
	} else if *count != int64(c.n) {
		c.prob.Add("count says %d entries, the catalog has %d", *count, c.n)
	}
	return nil
}

// parseCSV reads the CSV form: a header naming the columns (in any
// order; older copies lack the last ones), then one entry per record.
func (c *catalog) parseCSV(ctx context.Context, r io.Reader) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return fmt.Errorf("kev: parse %s: empty file", c.name)
	}
	if err != nil {
		return fmt.Errorf("kev: parse %s: header: %w", c.name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	if _, ok := col["cveID"]; !ok {
		return fmt.Errorf("kev: parse %s: header %q has no cveID column: not a KEV catalog", c.name, feed.Clip(strings.Join(header, ",")))
	}
	for _, name := range [...]string{"cveID", "vendorProject", "product", "vulnerabilityName",
		"dateAdded", "shortDescription", "requiredAction", "dueDate"} {
		if _, ok := col[name]; !ok {
			c.prob.Add("header: required column %s is missing", name)
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(err, csv.ErrFieldCount) {
				c.n++
				c.prob.Add("line %d: %v; entry skipped", pe.StartLine, pe.Err)
				continue
			}
			return fmt.Errorf("kev: parse %s: %w", c.name, err)
		}
		line, _ := cr.FieldPos(0)
		field := func(name string) *string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return nil
			}
			s := rec[i]
			return &s
		}
		e := entry{
			CVEID: field("cveID"), VendorProject: field("vendorProject"), Product: field("product"),
			VulnerabilityName: field("vulnerabilityName"), DateAdded: field("dateAdded"),
			ShortDescription: field("shortDescription"), RequiredAction: field("requiredAction"),
			DueDate: field("dueDate"), KnownRansomwareCampaignUse: field("knownRansomwareCampaignUse"),
			Notes: field("notes"),
		}
		if cw := field("cwes"); cw != nil && *cw != "" {
			for _, w := range strings.Split(*cw, ",") {
				e.CWEs = append(e.CWEs, strings.TrimSpace(w))
			}
		}
		if err := c.add(&e, fmt.Sprintf("line %d", line)); err != nil {
			return err
		}
	}
}

// isDate reports whether s is a date YYYY-MM-DD.
func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// show quotes a field for a message, "missing" when absent.
func show(s *string) string {
	if s == nil {
		return "missing"
	}
	return fmt.Sprintf("%q", feed.Clip(*s))
}

// peekNonSpace returns the first byte that is not white space or a
// byte-order mark, leaving it unread.
func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.Peek(1)
		if err != nil {
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.Discard(1)
			continue
		case 0xef:
			if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
				br.Discard(3)
				continue
			}
		}
		return b[0], nil
	}
}
