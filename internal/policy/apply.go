package policy

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
)

// Suppression kinds Apply sets.
const (
	KindException = "exception"
	KindVEX       = "vex"
	KindUnfixed   = "unfixed"
)

// SourceIgnoreUnfixed is the Source of an "unfixed" suppression.
const SourceIgnoreUnfixed = "ignoreUnfixed"

// ExpiringSoon is how far ahead Apply warns that an exception will expire.
const ExpiringSoon = 14 * 24 * time.Hour

// Policy is what Apply enforces. The zero Policy suppresses nothing.
type Policy struct {
	// Exceptions in file order; the first that matches a finding is the
	// one recorded.
	Exceptions []Exception
	// VEX documents in the order given; when two statements about the
	// same vulnerability and package have the same time, the later wins.
	VEX []*VEXDocument
	// IgnoreUnfixed suppresses vulnerabilities with no fix (status
	// "unfixed" or "wont-fix").
	IgnoreUnfixed bool
	// Packages is the scanned inventory. A VEX statement about a
	// subcomponent of a package product (a Go module inside a binary)
	// applies only where that product package is found at every path of
	// the finding's package; without Packages such statements apply
	// nowhere.
	Packages []inventory.Package
}

// New builds the policy a configuration describes, reading its VEX
// documents relative to the configuration file's directory. A nil cfg
// gives the empty policy.
func New(cfg *Config) (*Policy, error) {
	p := &Policy{}
	if cfg == nil {
		return p, nil
	}
	p.Exceptions = slices.Clone(cfg.Exceptions)
	p.IgnoreUnfixed = cfg.IgnoreUnfixed
	for _, v := range cfg.VEX {
		name := filepath.FromSlash(v)
		if !filepath.IsAbs(name) {
			name = filepath.Join(filepath.Dir(cfg.File), name)
		}
		doc, err := ReadVEX(name)
		if err != nil {
			return nil, fmt.Errorf("policy: %s: %w", cfg.File, err)
		}
		p.VEX = append(p.VEX, doc)
	}
	return p, nil
}

// Result says what Apply did.
type Result struct {
	// Suppressed counts the findings Apply suppressed, by kind.
	Suppressed map[string]int `json:"suppressed"`
	// Exceptions has one entry per exception, in order.
	Exceptions []ExceptionUse `json:"exceptions"`
	// VEX has one entry per VEX document, in order.
	VEX []VEXUse `json:"vex"`
	// Warnings are for the user, not errors: stale exceptions,
	// exceptions about to expire, VEX statements pave could not use.
	Warnings []Warning `json:"warnings"`
}

// ExceptionUse reports how an exception fared.
type ExceptionUse struct {
	Source  string `json:"source"` // "file:line"
	What    string `json:"what"`   // Exception.Describe
	Expires string `json:"expires"`
	// Matched counts the findings the exception matches, including those
	// an earlier exception already suppressed; an expired exception
	// matches but suppresses nothing.
	Matched int  `json:"matched"`
	Expired bool `json:"expired,omitempty"`
	// Outside names a place of a finding that the exception's path did
	// not cover, when that alone kept it from matching: the clue to a
	// "stale" exception whose finding is also somewhere else.
	Outside string `json:"outside,omitempty"`
}

// VEXUse reports how a VEX document fared.
type VEXUse struct {
	Source string `json:"source"` // VEXDocument.Name
	// Suppressed counts findings whose deciding statement came from this
	// document and suppressed them; Kept those it kept in the gate
	// (affected, under_investigation).
	Suppressed int `json:"suppressed"`
	Kept       int `json:"kept"`
}

// Warning is a problem worth telling the user that does not fail the run.
type Warning struct {
	Source  string `json:"source"` // "file:line", a VEX file
	Message string `json:"message"`
}

func (w Warning) String() string { return w.Source + ": " + w.Message }

// ExpiredError is returned by Apply when exceptions have expired. The
// run must fail: an expired exception is a decision someone promised to
// revisit. Expired exceptions suppress nothing.
type ExpiredError struct {
	Today   string // YYYY-MM-DD
	Expired []ExceptionUse
}

func (e *ExpiredError) Error() string {
	var b strings.Builder
	noun := "exception has"
	if len(e.Expired) != 1 {
		noun = "exceptions have"
	}
	fmt.Fprintf(&b, "policy: %d %s expired (today is %s); renew each with a new date and reason, or remove it:", len(e.Expired), noun, e.Today)
	for _, x := range e.Expired {
		fmt.Fprintf(&b, "\n\t%s: %s expired on %s", x.Source, x.What, x.Expires)
	}
	return b.String()
}

// Apply decides, for each finding, whether it is suppressed, and sets
// Suppressed in place. Suppressions of the kinds Apply owns (exception,
// vex, unfixed) are recomputed; any other kind is left alone.
//
// Precedence: a matching exception wins over VEX, and VEX over
// IgnoreUnfixed (docs/policy.md). Expiry is judged on today's calendar
// date in today's location; the expiry date itself is still valid.
//
// The error is an *ExpiredError when exceptions have expired, after every
// finding has been decided; other errors (an exception built in code that
// is invalid) come before any finding is touched.
func (p *Policy) Apply(findings []finding.Finding, today time.Time) (Result, error) {
	ix, err := p.compile(today)
	if err != nil {
		return Result{}, err
	}
	res := Result{Suppressed: map[string]int{}}
	for i := range findings {
		ix.apply(&findings[i], &res)
	}
	res.Exceptions = make([]ExceptionUse, len(ix.exceptions))
	var expired []ExceptionUse
	for i, m := range ix.exceptions {
		u := ExceptionUse{Source: m.source(), What: m.ex.Describe(), Expires: m.ex.Expires, Matched: ix.matched[i], Expired: m.isExpired, Outside: ix.outside[i]}
		res.Exceptions[i] = u
		switch {
		case u.Expired:
			expired = append(expired, u)
		case u.Matched == 0 && u.Outside != "":
			res.Warnings = append(res.Warnings, Warning{u.Source, fmt.Sprintf("exception %s matched no finding: a finding it names is also at %s, outside its path", u.What, u.Outside)})
		case u.Matched == 0:
			res.Warnings = append(res.Warnings, Warning{u.Source, fmt.Sprintf("exception %s matched no finding; remove it if it is no longer needed", u.What)})
		}
		if !u.Expired {
			if left := m.expires.Sub(ix.today); left < ExpiringSoon {
				when := "today is its last day"
				if days := int(left / (24 * time.Hour)); days == 1 {
					when = "tomorrow is its last day"
				} else if days > 1 {
					when = fmt.Sprintf("its last day is in %d days", days)
				}
				res.Warnings = append(res.Warnings, Warning{u.Source, fmt.Sprintf("exception %s expires after %s (%s)", u.What, u.Expires, when)})
			}
		}
	}
	for i, d := range p.VEX {
		if d == nil {
			continue
		}
		res.VEX = append(res.VEX, VEXUse{Source: d.Name(), Suppressed: ix.vexUse[i][0], Kept: ix.vexUse[i][1]})
		for _, w := range d.Warnings {
			res.Warnings = append(res.Warnings, Warning{d.File, w})
		}
	}
	if len(expired) > 0 {
		return res, &ExpiredError{Today: ix.today.Format(dateLayout), Expired: expired}
	}
	return res, nil
}

// index is a Policy prepared for one Apply.
type index struct {
	today      time.Time // midnight UTC of today's date
	exceptions []*exceptionMatcher
	byID       map[string][]*exceptionMatcher
	noID       []*exceptionMatcher
	matched    []int
	outside    []string
	ignore     bool

	vex    map[string][]*vexEntry
	vexUse [][2]int

	purls   map[string]*purl
	targets map[finding.Target]*target
	// where maps a package key, with and without "@version", to the paths
	// the package was found at (from Policy.Packages).
	where map[string][]string
}

// vexEntry is one (vulnerability id, product) pair of a statement.
type vexEntry struct {
	doc      int
	order    int
	st       *VEXStatement
	source   string
	when     time.Time
	pkg      *purl         // nil: the statement covers the whole image
	versions []string      // normalised; nil: any
	img      *imageMatcher // nil: any target
	inside   *purl         // the package product a subcomponent belongs to
}

func (p *Policy) compile(today time.Time) (*index, error) {
	y, mo, d := today.Date()
	ix := &index{
		today:   time.Date(y, mo, d, 0, 0, 0, 0, time.UTC),
		byID:    map[string][]*exceptionMatcher{},
		ignore:  p.IgnoreUnfixed,
		vex:     map[string][]*vexEntry{},
		vexUse:  make([][2]int, len(p.VEX)),
		purls:   map[string]*purl{},
		targets: map[finding.Target]*target{},
		where:   map[string][]string{},
	}
	for i := range p.Packages {
		pk := &p.Packages[i]
		u, err := parsePURL(pk.PURL)
		if err != nil {
			continue
		}
		for _, l := range pk.Locations {
			for _, k := range []string{u.key(), u.key() + "@" + u.version} {
				if path := cleanRel(l.Path); !slices.Contains(ix.where[k], path) {
					ix.where[k] = append(ix.where[k], path)
				}
			}
		}
	}
	for i := range p.Exceptions {
		m, err := compileException(&p.Exceptions[i])
		if err != nil {
			return nil, fmt.Errorf("policy: exception %d (%s): %w", i, p.Exceptions[i].Source, err)
		}
		m.index = i
		m.isExpired = m.expired(today)
		ix.exceptions = append(ix.exceptions, m)
		if m.id != "" {
			ix.byID[m.id] = append(ix.byID[m.id], m)
		} else {
			ix.noID = append(ix.noID, m)
		}
	}
	ix.matched = make([]int, len(ix.exceptions))
	ix.outside = make([]string, len(ix.exceptions))
	order := 0
	for di, doc := range p.VEX {
		if doc == nil {
			continue
		}
		for si := range doc.Statements {
			st := &doc.Statements[si]
			order++
			ids := []string{strings.ToLower(st.Vulnerability)}
			for _, a := range st.Aliases {
				if !strings.Contains(a, "://") { // a URL is never a finding's id
					ids = append(ids, strings.ToLower(a))
				}
			}
			for _, prod := range st.Products {
				for _, e := range vexEntries(prod) {
					e.doc, e.order, e.st, e.source, e.when = di, order, st, doc.Name(), st.Timestamp
					key := ""
					if e.pkg != nil {
						key = e.pkg.key()
					}
					for _, id := range ids {
						ix.vex[id+"\x00"+key] = append(ix.vex[id+"\x00"+key], e)
					}
				}
			}
		}
	}
	return ix, nil
}

// vexEntries turns a product into matchable entries: the package itself,
// the whole image, or the subcomponents inside it.
func vexEntries(prod VEXProduct) []*vexEntry {
	var img *imageMatcher
	var pkg *purl
	if m, ok := newImageMatcher(prod); ok {
		img = &m
	} else if prod.PURL != "" {
		u, err := parsePURL(prod.PURL)
		if err != nil {
			return nil
		}
		pkg = &u
	}
	versions := make([]string, 0, len(prod.Versions))
	for _, v := range prod.Versions {
		if pkg != nil {
			v = normalizeVersion(pkg.typ, v, "")
		}
		versions = append(versions, v)
	}
	if len(prod.Subcomponents) == 0 {
		if img == nil && pkg == nil {
			return nil
		}
		e := &vexEntry{pkg: pkg, img: img}
		if len(versions) > 0 {
			e.versions = versions
		}
		return []*vexEntry{e}
	}
	var out []*vexEntry
	for _, sub := range prod.Subcomponents {
		if sub.PURL == "" {
			continue
		}
		u, err := parsePURL(sub.PURL)
		if err != nil || u.typ == "oci" {
			continue
		}
		e := &vexEntry{pkg: &u, img: img}
		if img == nil {
			if pkg == nil {
				continue
			}
			e.inside = pkg
		}
		out = append(out, e)
	}
	return out
}

func (ix *index) findingPURL(f *finding.Finding) *purl {
	if f.Package == nil || f.Package.PURL == "" {
		return nil
	}
	if u, ok := ix.purls[f.Package.PURL]; ok {
		return u
	}
	var up *purl
	if u, err := parsePURL(f.Package.PURL); err == nil {
		up = &u
	}
	ix.purls[f.Package.PURL] = up
	return up
}

func (ix *index) target(f *finding.Finding) *target {
	if t, ok := ix.targets[f.Target]; ok {
		return t
	}
	t := &target{image: f.Target.Kind == "image" || f.Target.Kind == "container", digest: strings.ToLower(f.Target.Digest)}
	if t.image {
		t.ref, _ = parseImageRef(f.Target.Name)
	}
	ix.targets[f.Target] = t
	return t
}

// ids returns a finding's ids, lower case and without repeats.
func findingIDs(f *finding.Finding) []string {
	ids := make([]string, 0, 4)
	add := func(s string) {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" && !slices.Contains(ids, s) {
			ids = append(ids, s)
		}
	}
	add(f.Rule.ID)
	if f.Vuln != nil {
		add(f.Vuln.ID)
		for _, a := range f.Vuln.Aliases {
			add(a)
		}
	}
	return ids
}

// findingPaths returns every path a finding is at: its location and, for
// a package, each place the package was found.
func findingPaths(f *finding.Finding) []string {
	var paths []string
	add := func(s string) {
		if s = cleanRel(s); s != "" && !slices.Contains(paths, s) {
			paths = append(paths, s)
		}
	}
	add(f.Location.Path)
	if f.Package != nil {
		for _, l := range f.Package.Locations {
			add(l.Path)
		}
	}
	return paths
}

func (ix *index) apply(f *finding.Finding, res *Result) {
	if f.Suppressed != nil {
		switch f.Suppressed.Kind {
		case KindException, KindVEX, KindUnfixed:
			f.Suppressed = nil
		}
	}
	ids := findingIDs(f)
	fp := ix.findingPURL(f)

	// Exceptions: every match is counted (for stale detection); the
	// first unexpired one in file order is recorded.
	var win *exceptionMatcher
	var paths []string
	check := func(m *exceptionMatcher) {
		if m.path != nil && paths == nil {
			paths = findingPaths(f)
		}
		ok, outside := m.matches(f, fp, paths)
		if !ok {
			if outside != "" && ix.outside[m.index] == "" {
				ix.outside[m.index] = outside
			}
			return
		}
		ix.matched[m.index]++
		if !m.isExpired && (win == nil || m.index < win.index) {
			win = m
		}
	}
	for _, id := range ids {
		for _, m := range ix.byID[id] {
			check(m)
		}
	}
	for _, m := range ix.noID {
		check(m)
	}

	vex := ix.decideVEX(f, ids, fp)

	if f.Suppressed != nil {
		return
	}
	switch {
	case win != nil:
		f.Suppressed = &finding.Suppression{Kind: KindException, Reason: win.ex.Reason, Source: win.source(), Expires: win.ex.Expires}
	case vex != nil && vex.st.Status.Suppresses():
		f.Suppressed = &finding.Suppression{Kind: KindVEX, Reason: vex.st.Reason(), Source: vex.source}
		ix.vexUse[vex.doc][0]++
	case ix.ignore && f.Vuln != nil && (f.Vuln.Status == "unfixed" || f.Vuln.Status == "wont-fix"):
		f.Suppressed = &finding.Suppression{Kind: KindUnfixed, Reason: "no fixed version is available (status " + f.Vuln.Status + ")", Source: SourceIgnoreUnfixed}
	}
	if vex != nil && !vex.st.Status.Suppresses() {
		ix.vexUse[vex.doc][1]++
	}
	if f.Suppressed != nil {
		res.Suppressed[f.Suppressed.Kind]++
	}
}

// decideVEX returns the statement that decides a finding: of all the
// statements about one of its ids and its package (or its whole image),
// the latest; on equal times, the one given last.
func (ix *index) decideVEX(f *finding.Finding, ids []string, fp *purl) *vexEntry {
	if len(ix.vex) == 0 {
		return nil
	}
	var best *vexEntry
	consider := func(e *vexEntry) {
		if best == nil || cmp.Or(e.when.Compare(best.when), cmp.Compare(e.order, best.order)) > 0 {
			best = e
		}
	}
	var t *target
	imageOK := func(e *vexEntry) bool {
		if e.img == nil {
			return true
		}
		if t == nil {
			t = ix.target(f)
		}
		return e.img.matches(t)
	}
	for _, id := range ids {
		if fp != nil {
			for _, e := range ix.vex[id+"\x00"+fp.key()] {
				if e.pkg.matches(*fp) && (e.versions == nil || slices.Contains(e.versions, fp.version)) && imageOK(e) && ix.insideOK(e, f) {
					consider(e)
				}
			}
		}
		for _, e := range ix.vex[id+"\x00"] {
			if imageOK(e) {
				consider(e)
			}
		}
	}
	return best
}

// insideOK checks a subcomponent statement about a package product: the
// product must be found at every path of the finding's package, so that a
// statement about one binary's copy of a module never hides another's.
func (ix *index) insideOK(e *vexEntry, f *finding.Finding) bool {
	if e.inside == nil {
		return true
	}
	k := e.inside.key()
	if e.inside.version != "" {
		k += "@" + e.inside.version
	}
	have := ix.where[k]
	if len(have) == 0 || f.Package == nil || len(f.Package.Locations) == 0 {
		return false
	}
	for _, l := range f.Package.Locations {
		if !slices.Contains(have, cleanRel(l.Path)) {
			return false
		}
	}
	return true
}

func (m *exceptionMatcher) source() string {
	if m.ex.Source != "" {
		return m.ex.Source
	}
	return fmt.Sprintf("exceptions[%d]", m.index)
}

// matches reports whether a finding meets every field the exception sets.
// A path pattern must match every path of the finding, so an exception for
// one copy of a package never hides another copy elsewhere; when only that
// rule failed, outside is the first path not covered.
func (m *exceptionMatcher) matches(f *finding.Finding, fp *purl, paths []string) (ok bool, outside string) {
	if m.pkgURL != nil && (fp == nil || !m.pkgURL.matches(*fp)) {
		return false, ""
	}
	if m.pkgName != "" {
		if f.Package == nil {
			return false, ""
		}
		src := f.Package.Source != nil && strings.EqualFold(f.Package.Source.Name, m.pkgName)
		if !strings.EqualFold(f.Package.Name, m.pkgName) && !src {
			return false, ""
		}
	}
	if m.path != nil {
		if len(paths) == 0 {
			return false, ""
		}
		if m.pathSeen == nil {
			m.pathSeen = map[string]bool{}
		}
		some := false
		for _, p := range paths {
			hit, seen := m.pathSeen[p]
			if !seen {
				// Findings share paths (every OS package is at the
				// package database): match each path once.
				hit = m.path.match(p)
				m.pathSeen[p] = hit
			}
			if hit {
				some = true
			} else if outside == "" {
				outside = p
			}
		}
		if outside != "" {
			if !some {
				outside = ""
			}
			return false, outside
		}
	}
	return true, ""
}
