package table

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
)

// maxReason caps a suppression reason in the STATUS column.
const maxReason = 48

// writeFindings writes the vulnerabilities, then the other findings, then
// one summary line per kind. It writes nothing when there are none.
func writeFindings(out *bytes.Buffer, scan *report.Scan, opts Options) {
	var vulns, others []*finding.Finding
	for i := range scan.Findings {
		f := &scan.Findings[i]
		if f.Rule.Kind == finding.Vulnerability {
			vulns = append(vulns, f)
		} else {
			others = append(others, f)
		}
	}
	if len(vulns) > 0 {
		writeVulns(out, vulns, opts)
	}
	if len(others) > 0 {
		if len(vulns) > 0 {
			out.WriteByte('\n')
		}
		writeOthers(out, others, opts)
	}
	if len(scan.Findings) > 0 {
		out.WriteByte('\n')
		writeCounts(out, vulns, others)
	}
}

// compareVulns orders vulnerabilities for people: the most severe first,
// in use at run time before the rest, known-exploited before the rest, then
// by exploit probability, package and id.
func compareVulns(a, b *finding.Finding) int {
	return cmp.Or(
		cmp.Compare(b.Severity, a.Severity),
		boolFirst(isTrue(a.Signals.InUse), isTrue(b.Signals.InUse)),
		boolFirst(a.Signals.KEV, b.Signals.KEV),
		cmp.Compare(b.Signals.EPSS, a.Signals.EPSS),
		strings.Compare(pkgName(a), pkgName(b)),
		strings.Compare(a.Rule.ID, b.Rule.ID),
		strings.Compare(pkgField(a, func(p *inventory.Package) string { return p.Version }), pkgField(b, func(p *inventory.Package) string { return p.Version })),
		strings.Compare(pkgField(a, func(p *inventory.Package) string { return p.PURL }), pkgField(b, func(p *inventory.Package) string { return p.PURL })),
		strings.Compare(a.Fingerprint, b.Fingerprint),
	)
}

// compareOthers orders other findings: the most severe first, then by
// kind, rule, file and line.
func compareOthers(a, b *finding.Finding) int {
	return cmp.Or(
		cmp.Compare(b.Severity, a.Severity),
		strings.Compare(string(a.Rule.Kind), string(b.Rule.Kind)),
		strings.Compare(a.Rule.ID, b.Rule.ID),
		strings.Compare(a.Location.Path, b.Location.Path),
		cmp.Compare(a.Location.StartLine, b.Location.StartLine),
		cmp.Compare(a.Location.Column, b.Location.Column),
		strings.Compare(a.Fingerprint, b.Fingerprint),
	)
}

func isTrue(b *bool) bool { return b != nil && *b }

// inUse is the IN USE column: "yes", "no", or empty when no runtime
// evidence spoke about the finding.
func inUse(f *finding.Finding) string {
	switch {
	case f.Signals.InUse == nil:
		return ""
	case *f.Signals.InUse:
		return "yes"
	}
	return "no"
}

func boolFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

func pkgName(f *finding.Finding) string {
	return pkgField(f, func(p *inventory.Package) string { return p.Name })
}

func pkgField(f *finding.Finding, get func(*inventory.Package) string) string {
	if f.Package == nil {
		return ""
	}
	return get(f.Package)
}

func writeVulns(out *bytes.Buffer, vulns []*finding.Finding, opts Options) {
	slices.SortStableFunc(vulns, compareVulns)
	var hasLayer, hasRisk, hasInUse bool
	for _, f := range vulns {
		hasLayer = hasLayer || findingLayer(f) != nil
		hasRisk = hasRisk || risk(f) != ""
		hasInUse = hasInUse || f.Signals.InUse != nil
	}
	header := []string{"SEVERITY", "ID", "PACKAGE", "INSTALLED", "FIXED", "STATUS"}
	if hasInUse {
		header = append(header, "IN USE")
	}
	if hasLayer {
		header = append(header, "LAYER")
	}
	if hasRisk {
		header = append(header, "RISK")
	}
	t := newTable(out, opts.Terminal, header...)
	for _, f := range vulns {
		name, version := "", ""
		if p := f.Package; p != nil {
			name, version = p.Name, p.Version
			if p.OwnedBy != "" {
				name += " (" + p.OwnedBy + ")"
			}
		}
		status := ""
		if f.Vuln != nil {
			status = f.Vuln.Status
		}
		row := []string{f.Severity.String(), f.Rule.ID, name, version, strings.Join(f.Signals.FixedIn, ", "), cmpOr(suppressed(f), status)}
		if hasInUse {
			row = append(row, inUse(f))
		}
		if hasLayer {
			row = append(row, layerIndex(findingLayer(f)))
		}
		if hasRisk {
			row = append(row, risk(f))
		}
		t.styledRow(style(f, opts.Terminal), row...)
	}
	t.flush()
}

func writeOthers(out *bytes.Buffer, others []*finding.Finding, opts Options) {
	slices.SortStableFunc(others, compareOthers)
	hasLayer := false
	for _, f := range others {
		hasLayer = hasLayer || f.Location.Layer != nil
	}
	header := []string{"SEVERITY", "RULE", "KIND", "LOCATION"}
	if hasLayer {
		header = append(header, "LAYER")
	}
	header = append(header, "TITLE", "STATUS")
	t := newTable(out, opts.Terminal, header...)
	for _, f := range others {
		row := []string{f.Severity.String(), f.Rule.ID, string(f.Rule.Kind), findingLocation(f)}
		if hasLayer {
			row = append(row, layerIndex(f.Location.Layer))
		}
		row = append(row, cmpOr(f.Rule.Title, f.Message), suppressed(f))
		t.styledRow(style(f, opts.Terminal), row...)
	}
	t.flush()
}

// findingLocation is "path:line:column", as far as known; "(target)" for
// findings about the target as a whole (an image's configuration).
func findingLocation(f *finding.Finding) string {
	l := f.Location
	switch {
	case l.Path == "" && l.Container != "":
		return "container " + l.Container
	case l.Path == "":
		return "(target)"
	}
	s := l.Path
	if l.StartLine > 0 {
		s += ":" + strconv.Itoa(l.StartLine)
		if l.Column > 0 {
			s += ":" + strconv.Itoa(l.Column)
		}
	}
	return s
}

// findingLayer is the layer of the finding's location, else of its
// package's first location.
func findingLayer(f *finding.Finding) *inventory.Layer {
	if f.Location.Layer != nil {
		return f.Location.Layer
	}
	if f.Package != nil {
		for _, l := range f.Package.Locations {
			if l.Layer != nil {
				return l.Layer
			}
		}
	}
	return nil
}

func layerIndex(l *inventory.Layer) string {
	if l == nil {
		return ""
	}
	return "#" + strconv.Itoa(l.Index)
}

// suppressed is "suppressed: <reason>" for a suppressed finding.
func suppressed(f *finding.Finding) string {
	s := f.Suppressed
	if s == nil {
		return ""
	}
	if s.Reason == "" {
		return "suppressed (" + cmpOr(s.Kind, "unknown") + ")"
	}
	r := []rune(strings.Join(strings.Fields(s.Reason), " "))
	if len(r) > maxReason {
		r = append(r[:maxReason-1], '…')
	}
	return "suppressed: " + string(r)
}

// risk marks known-exploited vulnerabilities and gives the EPSS
// probability of exploitation: "KEV EPSS 94%".
func risk(f *finding.Finding) string {
	var parts []string
	if f.Signals.KEV {
		parts = append(parts, "KEV")
	}
	if e := f.Signals.EPSS; e > 0 {
		parts = append(parts, "EPSS "+percent(e))
	}
	return strings.Join(parts, " ")
}

// percent writes a probability with two significant digits: "94%",
// "1.2%", "0.04%".
func percent(p float64) string {
	v := p * 100
	switch {
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 0, 64) + "%"
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(v, 'g', 2, 64) + "%"
}

// The ANSI styles used on a terminal.
const (
	reset = "\x1b[0m"
	dim   = "\x1b[2m"
)

var severityColors = map[finding.Severity]string{
	finding.Critical: "\x1b[1;31m", // bold red
	finding.High:     "\x1b[31m",   // red
	finding.Medium:   "\x1b[33m",   // yellow
	finding.Low:      "\x1b[36m",   // cyan
	finding.Info:     dim,
	finding.Unknown:  dim,
}

// style colours a row on a terminal: the severity (the first column) in
// its colour, a suppressed row dimmed. The codes are added after
// alignment, so they do not count toward column widths.
func style(f *finding.Finding, terminal bool) func(string) string {
	if !terminal {
		return nil
	}
	if f.Suppressed != nil {
		return func(line string) string { return dim + line + reset }
	}
	c, ok := severityColors[f.Severity]
	if !ok {
		return nil
	}
	n := len(f.Severity.String())
	return func(line string) string {
		if len(line) < n {
			return line
		}
		return c + line[:n] + reset + line[n:]
	}
}

// kindNames are the plural names of the kinds for the count lines.
var kindNames = map[finding.Kind]string{
	finding.Vulnerability: "Vulnerabilities",
	finding.Misconfig:     "Misconfigurations",
	finding.Secret:        "Secrets",
	finding.Pipeline:      "Pipeline weaknesses",
	finding.Runtime:       "Runtime events",
	finding.Egress:        "Egress events",
	finding.Permission:    "Permissions",
	finding.Integrity:     "Integrity failures",
}

// writeCounts writes one line per kind: the total, per severity, how many
// are suppressed and, for vulnerabilities, how many of the others have a
// fix and how many are known to be exploited.
func writeCounts(out *bytes.Buffer, vulns, others []*finding.Finding) {
	if len(vulns) > 0 {
		countLine(out, finding.Vulnerability, vulns)
	}
	byKind := map[finding.Kind][]*finding.Finding{}
	var kinds []finding.Kind
	for _, f := range others {
		if _, ok := byKind[f.Rule.Kind]; !ok {
			kinds = append(kinds, f.Rule.Kind)
		}
		byKind[f.Rule.Kind] = append(byKind[f.Rule.Kind], f)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		countLine(out, k, byKind[k])
	}
}

func countLine(out *bytes.Buffer, k finding.Kind, fs []*finding.Finding) {
	var sev [finding.Critical + 1]int
	var suppressed, fixable, kev, other, used int
	judged := false
	for _, f := range fs {
		if f.Severity >= finding.Unknown && f.Severity <= finding.Critical {
			sev[f.Severity]++
		} else {
			other++
		}
		switch {
		case f.Suppressed != nil:
			suppressed++
		case len(f.Signals.FixedIn) > 0:
			fixable++
		}
		if f.Signals.KEV {
			kev++
		}
		if f.Signals.InUse != nil {
			judged = true
			if *f.Signals.InUse {
				used++
			}
		}
	}
	var parts []string
	for s := finding.Critical; s >= finding.Unknown; s-- {
		if sev[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, sev[s]))
		}
	}
	if other > 0 {
		parts = append(parts, fmt.Sprintf("other %d", other))
	}
	name := cmpOr(kindNames[k], clean(string(k)))
	fmt.Fprintf(out, "%s: %d (%s)", name, len(fs), strings.Join(parts, ", "))
	var tail []string
	if suppressed > 0 {
		tail = append(tail, fmt.Sprintf("%d suppressed", suppressed))
	}
	if k == finding.Vulnerability {
		tail = append(tail, fmt.Sprintf("%d fixable", fixable))
		if kev > 0 {
			tail = append(tail, fmt.Sprintf("%d known exploited", kev))
		}
		if judged {
			tail = append(tail, fmt.Sprintf("%d in use", used))
		}
	}
	if len(tail) > 0 {
		out.WriteString("; " + strings.Join(tail, ", "))
	}
	out.WriteByte('\n')
}
