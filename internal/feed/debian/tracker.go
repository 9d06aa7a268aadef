package debian

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/osv"
)

// TrackerURL is where Debian publishes the tracker's JSON export.
const TrackerURL = "https://security-tracker.debian.org/tracker/data/json"

// DefaultURLs returns the public URLs of the feeds this package reads:
// the tracker's JSON export and the DSA, DLA and DTSA lists of the
// security-tracker repository on salsa.debian.org.
func DefaultURLs() []string {
	return []string{
		TrackerURL,
		ListURLBase + "DSA/list",
		ListURLBase + "DLA/list",
		ListURLBase + "DTSA/list",
	}
}

// Bounds on one tracker export. The real one is about 70 MB with some
// 150,000 entries.
const (
	maxTrackerBytes   = 1 << 30
	maxTrackerRecords = 5_000_000
)

// Tracker reads the security tracker's JSON export.
type Tracker struct{}

var _ feed.Parser = (*Tracker)(nil)

// NewTracker returns the parser of the tracker's JSON export.
func NewTracker() *Tracker { return &Tracker{} }

// Name implements feed.Parser.
func (*Tracker) Name() string { return "debian-tracker" }

// Match implements feed.Parser: the export as fetched from its URL
// (".../tracker/data/json", or a file named "json"), or saved as
// "debian.json" or "debian-security-tracker.json".
func (*Tracker) Match(p string) bool {
	p = feed.TrimCompression(p)
	switch path.Base(p) {
	case "json", "debian.json", "debian-security-tracker.json":
		return true
	}
	return false
}

// trackerIssue is one entry of the export: data[package][issue].
type trackerIssue struct {
	Description string          `json:"description"`
	Scope       string          `json:"scope"`
	DebianBug   int64           `json:"debianbug"`
	Releases    trackerReleases `json:"releases"`
}

// trackerReleases is an entry's per-release status by codename. The
// export writes an entry without releases as [] in places.
type trackerReleases map[string]trackerRelease

func (t *trackerReleases) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var a []json.RawMessage
		if err := json.Unmarshal(b, &a); err != nil {
			return err
		}
		if len(a) > 0 {
			return errReleasesArray
		}
		*t = nil
		return nil
	}
	return json.Unmarshal(b, (*map[string]trackerRelease)(t))
}

type trackerRelease struct {
	Status          string `json:"status"`
	FixedVersion    string `json:"fixed_version"`
	Urgency         string `json:"urgency"`
	NoDSA           string `json:"nodsa"`
	NoDSAReason     string `json:"nodsa_reason"`
	NextPointUpdate bool   `json:"next_point_update"`
}

// errReleasesArray: "releases" is an array with elements.
var errReleasesArray = errors.New("releases is a non-empty array, want an object")

// reIssue is a tracker issue name: a CVE, or the tracker's TEMP-nnnnnnn-xxxxxx
// for an issue without one.
var reIssue = regexp.MustCompile(`^(CVE-[0-9]{4}-[0-9]{4,}|TEMP-[0-9]{7}-[0-9A-F]{6})$`)

// Parse implements feed.Parser. It decodes the export one entry at a
// time: memory stays bounded by the largest single entry.
func (*Tracker) Parse(ctx context.Context, name string, r io.Reader, out feed.Sink) error {
	dec := json.NewDecoder(bufio.NewReaderSize(feed.LimitReader(r, maxTrackerBytes), 64<<10))
	prob := &feed.Problems{Prefix: "debian-tracker: " + name + ": "}
	fail := func(format string, args ...any) error {
		err := fmt.Errorf("debian-tracker: parse %s at byte %d: %s", name, dec.InputOffset(), fmt.Sprintf(format, args...))
		return errors.Join(err, prob.Err())
	}
	if err := feed.ExpectDelim(dec, '{'); err != nil {
		return fail("%v", err)
	}
	records := 0
	for dec.More() {
		if err := ctx.Err(); err != nil {
			return err
		}
		pkg, err := feed.StringToken(dec)
		if err != nil {
			return fail("%v", err)
		}
		tok, err := dec.Token()
		if err != nil {
			return fail("package %q: %v", pkg, err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			prob.Add("package %q: not an object", pkg)
			if err := skipValue(dec, tok); err != nil {
				return fail("package %q: %v", pkg, err)
			}
			continue
		}
		if !validPackage(pkg) {
			prob.Add("package %q: not a Debian source package name", pkg)
			if err := skipValue(dec, tok); err != nil {
				return fail("package %q: %v", pkg, err)
			}
			continue
		}
		for dec.More() {
			if err := ctx.Err(); err != nil {
				return err
			}
			id, err := feed.StringToken(dec)
			if err != nil {
				return fail("package %q: %v", pkg, err)
			}
			var is trackerIssue
			if err := dec.Decode(&is); err != nil {
				// A value of the wrong type was read whole: skip the
				// entry. Anything else leaves the stream unusable.
				var te *json.UnmarshalTypeError
				if errors.As(err, &te) || errors.Is(err, errReleasesArray) {
					prob.Add("package %q issue %q: %v", pkg, id, err)
					continue
				}
				return fail("package %q issue %q: %v", pkg, id, err)
			}
			rec := trackerRecord(pkg, id, &is, prob)
			if rec == nil {
				continue
			}
			if records++; records > maxTrackerRecords {
				return fail("more than %d records", maxTrackerRecords)
			}
			if err := out.Advisory(rec); err != nil {
				return err
			}
		}
		if err := feed.ExpectDelim(dec, '}'); err != nil {
			return fail("package %q: %v", pkg, err)
		}
	}
	if err := feed.ExpectDelim(dec, '}'); err != nil {
		return fail("%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail("data after the top-level object")
	}
	return prob.Err()
}

// trackerRecord converts one (package, issue) entry; nil when no release
// is affected or the entry is unusable (then prob says why).
func trackerRecord(pkg, id string, is *trackerIssue, prob *feed.Problems) *osv.Record {
	if !reIssue.MatchString(id) {
		prob.Add("package %q: issue %q is neither a CVE nor a TEMP- id", pkg, id)
		return nil
	}
	type ordered struct {
		order int
		aff   osv.Affected
	}
	codenames := make([]string, 0, len(is.Releases))
	for c := range is.Releases {
		codenames = append(codenames, c)
	}
	sort.Strings(codenames) // problems in a stable order
	var affs []ordered
	for _, codename := range codenames {
		rel := is.Releases[codename]
		where := func() string { return fmt.Sprintf("package %q issue %s release %q", pkg, id, codename) }
		version, order, ok := release(codename)
		if !ok {
			prob.Add("%s: unknown release", where())
			continue
		}
		spec := Specific{
			Severity:        severity(rel.Urgency),
			NoDSA:           rel.NoDSA,
			NoDSAReason:     rel.NoDSAReason,
			NextPointUpdate: rel.NextPointUpdate,
		}
		events := []osv.Event{{Introduced: "0"}}
		switch rel.Status {
		case "resolved":
			switch {
			case rel.FixedVersion == "0":
				continue // never affected
			case rel.FixedVersion == "":
				// Resolved without a version: the tracker holds the
				// release not vulnerable; there is nothing to match.
				continue
			case !validVersion(rel.FixedVersion):
				prob.Add("%s: fixed_version %q is not a Debian version", where(), rel.FixedVersion)
				continue
			}
			events = append(events, osv.Event{Fixed: rel.FixedVersion})
		case "open":
			spec.setStatus(openStatus(rel))
		case "undetermined":
			spec.setStatus(StatusUndetermined)
		default:
			prob.Add("%s: unknown status %q", where(), rel.Status)
			continue
		}
		affs = append(affs, ordered{order, osv.Affected{
			Package:           osv.Package{Ecosystem: "Debian:" + version, Name: pkg},
			Ranges:            []osv.Range{{Type: osv.RangeEcosystem, Events: events}},
			EcosystemSpecific: spec.raw(),
		}})
	}
	if len(affs) == 0 {
		return nil
	}
	sort.Slice(affs, func(i, j int) bool { return affs[i].order < affs[j].order })
	rec := &osv.Record{
		ID:      "DEBIAN-" + id,
		Details: strings.TrimSpace(is.Description),
		References: []osv.Reference{
			{Type: "ADVISORY", URL: "https://security-tracker.debian.org/tracker/" + id},
		},
	}
	if strings.HasPrefix(id, "CVE-") {
		rec.Upstream = []string{id}
	}
	if is.DebianBug > 0 {
		rec.References = append(rec.References, osv.Reference{Type: "REPORT", URL: "https://bugs.debian.org/" + strconv.FormatInt(is.DebianBug, 10)})
	}
	if is.Scope == "local" || is.Scope == "remote" {
		rec.DatabaseSpecific = json.RawMessage(`{"scope":"` + is.Scope + `"}`)
	}
	for _, a := range affs {
		rec.Affected = append(rec.Affected, a.aff)
	}
	return rec
}

// openStatus says why an open release has no fix: the tracker's
// nodsa_reason ("ignored", "postponed"), "no-dsa" for a bare no-dsa
// comment, "end-of-life" for that urgency, else "" (a fix is expected).
func openStatus(rel trackerRelease) string {
	switch {
	case rel.NoDSAReason == StatusIgnored || rel.NoDSAReason == StatusPostponed:
		return rel.NoDSAReason
	case rel.NoDSA != "" || rel.NoDSAReason != "":
		return StatusNoDSA
	case strings.TrimSpace(rel.Urgency) == StatusEndOfLife:
		return StatusEndOfLife
	}
	return ""
}

// skipValue skips the rest of a value whose first token was tok.
func skipValue(dec *json.Decoder, tok json.Token) error {
	d, ok := tok.(json.Delim)
	if !ok || d == '}' || d == ']' {
		return nil
	}
	for depth := 1; depth > 0; {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}
