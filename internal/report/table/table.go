// Package table writes a scan as plain-text tables for people: the package
// listing of `pave sbom --format table` (mode Packages), the findings
// (mode Findings: vulnerabilities most severe and most exploited first,
// then the other kinds, then a count per kind) and what `pave scan`
// prints (mode Summary: the findings, when there are any, then the
// overview). Columns are aligned with text/tabwriter; on a terminal the
// headers are bold, severities coloured and suppressed findings dimmed,
// and nowhere else.
package table

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
)

// Mode selects what is printed.
type Mode int

// The modes.
const (
	// Summary is the scan overview: target, distro, layers, package and
	// finding counts, file errors.
	Summary Mode = iota
	// Packages lists every package, one per line.
	Packages
	// Findings lists the findings and counts them.
	Findings
)

// DefaultMaxErrors is how many file errors Summary lists by default.
const DefaultMaxErrors = 20

// Options tune the output.
type Options struct {
	Mode Mode
	// Terminal says the writer is a terminal: header lines are bold,
	// severities coloured, suppressed findings dimmed.
	Terminal bool
	// MaxErrors caps the file errors Summary lists (0: DefaultMaxErrors);
	// the rest are counted.
	MaxErrors int
}

// Sink writes the table when the scan ends.
type Sink struct {
	report.Collector
	w    io.Writer
	opts Options
}

var _ report.Sink = (*Sink)(nil)

// New returns a sink writing to w.
func New(w io.Writer, opts Options) *Sink { return &Sink{w: w, opts: opts} }

// End implements report.Sink.
func (s *Sink) End(ctx context.Context, sum *report.Summary) error {
	if err := s.Collector.End(ctx, sum); err != nil {
		return err
	}
	return Write(s.w, &s.Collector.Scan, s.opts)
}

// Write writes scan in the chosen mode.
func Write(w io.Writer, scan *report.Scan, opts Options) error {
	var buf bytes.Buffer
	switch opts.Mode {
	case Packages:
		writePackages(&buf, scan, opts)
	case Findings:
		if len(scan.Findings) == 0 {
			buf.WriteString("No findings.\n")
		}
		writeFindings(&buf, scan, opts)
	case Summary:
		if len(scan.Findings) > 0 {
			writeFindings(&buf, scan, opts)
			buf.WriteByte('\n')
		}
		writeSummary(&buf, scan, opts)
	default:
		return fmt.Errorf("table: unknown mode %d", opts.Mode)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("table: write: %w", err)
	}
	return nil
}

// table is a tabwriter whose first row is the header.
type table struct {
	out  *bytes.Buffer
	buf  bytes.Buffer
	tw   *tabwriter.Writer
	bold bool // bold the first line
	// styles[i], when not nil, decorates aligned line i.
	styles []func(string) string
}

// newTable starts a table; with no header it has none.
func newTable(out *bytes.Buffer, terminal bool, header ...string) *table {
	t := &table{out: out, bold: terminal && len(header) > 0}
	t.tw = tabwriter.NewWriter(&t.buf, 0, 0, 2, ' ', 0)
	if len(header) > 0 {
		t.row(header...)
	}
	return t
}

func (t *table) row(cells ...string) { t.styledRow(nil, cells...) }

// styledRow adds a row that style decorates once aligned.
func (t *table) styledRow(style func(string) string, cells ...string) {
	t.styles = append(t.styles, style)
	for i, c := range cells {
		if i > 0 {
			t.tw.Write([]byte{'\t'})
		}
		t.tw.Write([]byte(clean(c)))
	}
	t.tw.Write([]byte{'\n'})
}

// flush aligns the rows and copies them out, bolding the header line on a
// terminal. The escape codes go around the aligned line so they do not
// count toward column widths.
func (t *table) flush() {
	t.tw.Flush()
	sc := bufio.NewScanner(&t.buf)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<30)
	for i := 0; sc.Scan(); i++ {
		line := strings.TrimRight(sc.Text(), " ")
		if i == 0 && t.bold {
			line = bold(line)
		}
		if i < len(t.styles) && t.styles[i] != nil {
			line = t.styles[i](line)
		}
		t.out.WriteString(line)
		t.out.WriteByte('\n')
	}
}

func bold(s string) string { return "\x1b[1m" + s + "\x1b[0m" }

// clean keeps hostile names from breaking the layout or the terminal:
// control characters (tabs, newlines, escapes) become spaces.
func clean(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

func writePackages(out *bytes.Buffer, scan *report.Scan, opts Options) {
	// Columns that would be empty on every row are left out: LAYER for a
	// directory, OWNED-BY when no language package belongs to an OS one.
	var hasLayer, hasOwner bool
	for i := range scan.Packages {
		p := &scan.Packages[i]
		hasOwner = hasOwner || p.OwnedBy != ""
		for _, l := range p.Locations {
			hasLayer = hasLayer || l.Layer != nil
		}
	}
	header := []string{"NAME", "VERSION", "TYPE", "LOCATION"}
	if hasLayer {
		header = append(header, "LAYER")
	}
	if hasOwner {
		header = append(header, "OWNED-BY")
	}
	t := newTable(out, opts.Terminal, header...)
	for i := range scan.Packages {
		p := &scan.Packages[i]
		row := []string{p.Name, p.Version, string(p.Ecosystem), location(p.Locations)}
		if hasLayer {
			row = append(row, layer(p.Locations))
		}
		if hasOwner {
			row = append(row, p.OwnedBy)
		}
		t.row(row...)
	}
	t.flush()
}

// location is the first location, "path!inner", with "(+N)" for more.
func location(locs []inventory.Location) string {
	if len(locs) == 0 {
		return ""
	}
	s := locs[0].Path
	if locs[0].Inner != "" {
		s += "!" + locs[0].Inner
	}
	if len(locs) > 1 {
		s += " (+" + strconv.Itoa(len(locs)-1) + ")"
	}
	return s
}

// layer is the first location's layer as "#2 3f4a5b6c…".
func layer(locs []inventory.Location) string {
	for _, l := range locs {
		if l.Layer != nil {
			return ShortLayer(l.Layer)
		}
	}
	return ""
}

// ShortLayer renders a layer as its index and the first eight hex digits
// of its digest (or diff ID): "#2 3f4a5b6c…".
func ShortLayer(l *inventory.Layer) string {
	s := "#" + strconv.Itoa(l.Index)
	d := l.Digest
	if d == "" {
		d = l.DiffID
	}
	if _, h, ok := strings.Cut(d, ":"); ok {
		d = h
	}
	if len(d) > 8 {
		d = d[:8] + "…"
	}
	if d != "" {
		s += " " + d
	}
	return s
}

func writeSummary(out *bytes.Buffer, scan *report.Scan, opts Options) {
	t := scan.Target
	kv := newTable(out, false)
	kv.row("Target:", cmpOr(t.Name, "(unnamed)")+" ("+cmpOr(t.Kind, "unknown kind")+")")
	if t.Digest != "" {
		kv.row("Digest:", t.Digest)
	}
	if t.ImageID != "" {
		kv.row("Image ID:", t.ImageID)
	}
	if t.Platform != "" {
		kv.row("Platform:", t.Platform)
	}
	if d := scan.Distro; d != nil {
		kv.row("Distro:", distro(d))
	}
	if len(scan.Layers) > 0 {
		kv.row("Layers:", strconv.Itoa(len(scan.Layers)))
	}
	status := cmpOr(scan.Summary.Status, "complete")
	if n := len(scan.Summary.Errors); n > 0 {
		status += fmt.Sprintf(" (%d %s could not be read)", n, plural(n, "file", "files"))
	}
	kv.row("Status:", status)
	if tool := strings.TrimSpace(scan.Tool.Name + " " + scan.Tool.Version); tool != "" {
		kv.row("Tool:", tool)
	}
	if db := scan.Database; db != nil {
		trust := "signed by " + short(db.Signer, 16)
		if !db.Verified {
			trust = "NOT VERIFIED"
		}
		kv.row("Database:", fmt.Sprintf("%s, built %s, %s", short(db.Digest, 19), db.Built.UTC().Format("2006-01-02 15:04 UTC"), trust))
	}
	kv.flush()

	out.WriteByte('\n')
	pt := newTable(out, opts.Terminal, "ECOSYSTEM", "PACKAGES")
	counts := map[inventory.Ecosystem]int{}
	for i := range scan.Packages {
		counts[scan.Packages[i].Ecosystem]++
	}
	ecos := make([]inventory.Ecosystem, 0, len(counts))
	for e := range counts {
		ecos = append(ecos, e)
	}
	slices.Sort(ecos)
	for _, e := range ecos {
		pt.row(string(e), strconv.Itoa(counts[e]))
	}
	pt.row("total", strconv.Itoa(len(scan.Packages)))
	pt.flush()

	out.WriteByte('\n')
	ft := newTable(out, opts.Terminal, "SEVERITY", "FINDINGS")
	var sev [finding.Critical + 1]int
	other := 0
	for i := range scan.Findings {
		s := scan.Findings[i].Severity
		if s < 0 || s > finding.Critical {
			other++
			continue
		}
		sev[s]++
	}
	for s := finding.Critical; s >= finding.Unknown; s-- {
		// The four usual levels always show; info and unknown when present.
		if s >= finding.Low || sev[s] > 0 {
			ft.row(s.String(), strconv.Itoa(sev[s]))
		}
	}
	if other > 0 {
		ft.row("other", strconv.Itoa(other))
	}
	ft.row("total", strconv.Itoa(len(scan.Findings)))
	ft.flush()

	if errs := scan.Summary.Errors; len(errs) > 0 {
		max := opts.MaxErrors
		if max <= 0 {
			max = DefaultMaxErrors
		}
		out.WriteByte('\n')
		et := newTable(out, opts.Terminal, "FILE ERROR", "LAYER", "EXTRACTOR", "ERROR")
		for i, e := range errs {
			if i == max {
				break
			}
			l := ""
			if e.Layer >= 0 {
				l = "#" + strconv.Itoa(e.Layer)
			}
			et.row(e.Path, l, e.Extractor, e.Error)
		}
		et.flush()
		if len(errs) > max {
			fmt.Fprintf(out, "… and %d more (see the JSON report)\n", len(errs)-max)
		}
	}
}

func distro(d *inventory.Distro) string {
	s := cmpOr(d.PrettyName, strings.TrimSpace(d.ID+" "+d.VersionID))
	switch {
	case d.EOL == "":
		s += ", end of life unknown"
	case d.EndOfLife:
		s += ", END OF LIFE since " + d.EOL
	default:
		s += ", supported until " + d.EOL
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// short cuts s to n bytes.
func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
