// Package baseline learns what the containers of each image normally do —
// the files they execute, the peers they connect to, the ports they listen
// on and the paths they write — and reports drift from it as runtime
// findings (PAVE-RT-DRIFT-EXEC, -NET, -WRITE).
//
// One baseline per image, keyed by the image's repository digest (or, when
// the runtime knows none, its image id), is kept as a readable JSON file
// in a directory, one file per image, to be reviewed, edited and committed.
// Events of containers whose image is unknown, and host events, are not
// analysed. The file format and rules are in docs/sensor-baseline.md.
package baseline

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/sensor/event"
)

// Mode says what happens to an image with no baseline file.
type Mode string

// The modes.
const (
	// Learn learns a baseline for every image that has none, writes it
	// when the window closes, and from then on reports drift. Images with
	// a file are checked from the start.
	Learn Mode = "learn"
	// Detect only checks images that have a baseline file; nothing is
	// learned.
	Detect Mode = "detect"
)

// Defaults for Options.
const (
	DefaultLearn        = 10 * time.Minute
	DefaultDirThreshold = 8
	DefaultPeerVariety  = 4
	maxDriftPerImage    = 1 << 14 // distinct (container, item) pairs remembered
	maxImages           = 1 << 12 // cached event image names
)

// Options configure an Analyzer.
type Options struct {
	// Dir holds one baseline file per image; New loads them and learned
	// baselines are written there. Empty means nothing is loaded or
	// written (learned baselines live in memory only).
	Dir  string
	Mode Mode // default Learn
	// Learn is the learning window, from an image's first event; default
	// DefaultLearn. MinEvents, when set, keeps learning until that many
	// events were seen, however long it takes.
	Learn     time.Duration
	MinEvents uint64
	// DirThreshold: more than this many distinct entries written under one
	// directory become dir/* or dir/**; default DefaultDirThreshold,
	// negative to keep every path.
	DirThreshold int
	// PeerVariety: more than this many addresses seen on the same port
	// and protocol become "*:port/proto"; default DefaultPeerVariety,
	// negative to keep every address. PeerPorts generalises every peer.
	PeerVariety int
	PeerPorts   bool
	// Now is the clock for events without a time; default time.Now.
	Now func() time.Time
}

// Analyzer learns baselines and reports drift. It implements
// event.Analyzer; Analyze is called from one goroutine, and Flush or
// Baselines may be called from another.
type Analyzer struct {
	opts Options
	mu   sync.Mutex
	// byKey maps an image digest or id to its state (an image may be
	// reachable by both).
	byKey map[string]*image
	// byRaw caches the lookup by the event's (digest, id) strings, so the
	// hot path does no digest validation.
	byRaw map[[2]string]*image
	errs  []error
}

var _ event.Analyzer = (*Analyzer)(nil)

// image is one image's state: learning, or checking against a baseline.
type image struct {
	base     *Baseline
	learning bool
	written  bool
	// learning state
	exec, write map[string]bool
	connect     map[observed]bool
	listen      map[string]bool
	counts      Learned
	// checking state
	execP, writeP     patterns
	connectP, listenP []peer
	reported          map[string]bool // container + "\x00" + item
}

// New loads the baselines in opts.Dir and returns an Analyzer.
func New(opts Options) (*Analyzer, error) {
	if opts.Mode == "" {
		opts.Mode = Learn
	}
	if opts.Mode != Learn && opts.Mode != Detect {
		return nil, fmt.Errorf("baseline: mode %q is not learn or detect", opts.Mode)
	}
	if opts.Learn <= 0 {
		opts.Learn = DefaultLearn
	}
	if opts.DirThreshold == 0 {
		opts.DirThreshold = DefaultDirThreshold
	}
	if opts.PeerVariety == 0 {
		opts.PeerVariety = DefaultPeerVariety
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &Analyzer{opts: opts, byKey: map[string]*image{}, byRaw: map[[2]string]*image{}}
	if opts.Dir != "" {
		bs, err := LoadDir(opts.Dir)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			a.add(b)
		}
	}
	return a, nil
}

// add starts checking against b.
func (a *Analyzer) add(b *Baseline) *image {
	im := &image{base: b, written: true}
	im.compile()
	for _, k := range []string{b.Image.Digest, b.Image.ID} {
		if k != "" {
			a.byKey[k] = im
		}
	}
	return im
}

func (im *image) compile() {
	b := im.base
	im.execP, im.writeP = newPatterns(b.Exec), newPatterns(b.Write)
	im.connectP, im.listenP = nil, nil
	for _, s := range b.Connect {
		if p, err := parsePeer(s, false); err == nil {
			im.connectP = append(im.connectP, p)
		}
	}
	for _, s := range b.Listen {
		if p, err := parsePeer(s, true); err == nil {
			im.listenP = append(im.listenP, p)
		}
	}
	im.reported = map[string]bool{}
}

// Analyze implements event.Analyzer: while an image is learning it
// records ev; once it has a baseline, it returns a finding for each drift
// item ev shows, once per container.
func (a *Analyzer) Analyze(ev *event.Event) []finding.Finding {
	if ev.Host || ev.Container == nil {
		return nil
	}
	it, ok := itemOf(ev)
	if !ok {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c := ev.Container
	im := a.lookupLocked(c)
	if im == nil {
		return nil
	}
	t := ev.Time
	if t.IsZero() {
		t = a.opts.Now()
	}
	if im.learning {
		if im.counts.Start.IsZero() || t.Before(im.counts.Start.Add(a.opts.Learn)) || im.counts.Events < a.opts.MinEvents {
			im.learn(it, t)
			return nil
		}
		a.finishLocked(im)
	}
	return im.check(ev, it, t)
}

// lookupLocked finds c's image, starting to learn it in Learn mode.
func (a *Analyzer) lookupLocked(c *event.Container) *image {
	raw := [2]string{c.ImageDigest, c.ImageID}
	if im, ok := a.byRaw[raw]; ok {
		return im
	}
	im := a.findLocked(c)
	if len(a.byRaw) < maxImages {
		a.byRaw[raw] = im // nil too: an image not analysed stays so
	}
	return im
}

func (a *Analyzer) findLocked(c *event.Container) *image {
	digest, id := bare(c.ImageDigest), bare(c.ImageID)
	if !digestRE.MatchString(digest) {
		digest = ""
	}
	if !digestRE.MatchString(id) {
		id = ""
	}
	for _, k := range []string{digest, id} {
		if im := a.byKey[k]; k != "" && im != nil {
			return im
		}
	}
	if a.opts.Mode != Learn || (digest == "" && id == "") {
		return nil
	}
	b := &Baseline{Schema: Schema, Image: Image{Ref: c.Image, Digest: digest, ID: id}}
	im := &image{base: b, learning: true, exec: map[string]bool{}, write: map[string]bool{},
		connect: map[observed]bool{}, listen: map[string]bool{}}
	for _, k := range []string{digest, id} {
		if k != "" {
			a.byKey[k] = im
		}
	}
	return im
}

// item is what an event contributes to a baseline.
type item struct {
	kind   string // "exec", "connect", "listen", "write"
	path   string
	peer   observed
	listen bool
}

// itemOf reads the baseline item of ev: an exec's program, a write's
// path, a connect's peer, a bind's or accept's port.
func itemOf(ev *event.Event) (item, bool) {
	switch ev.Type {
	case event.Exec:
		p := ev.Proc.Exe
		// A multi-call binary re-executing itself: its path is the
		// parent's program.
		if strings.HasPrefix(p, "/proc/") && len(ev.Proc.Ancestors) > 0 {
			p = ev.Proc.Ancestors[0].Exe
		}
		if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "/proc/") || ev.Ret < 0 {
			return item{}, false
		}
		return item{kind: "exec", path: path.Clean(p)}, true
	case event.Open:
		if ev.File == nil || !ev.File.Write || !strings.HasPrefix(ev.File.Path, "/") || ev.Ret < 0 {
			return item{}, false
		}
		return item{kind: "write", path: path.Clean(ev.File.Path)}, true
	case event.Connect, event.Bind, event.Accept:
		o, listen, ok := netOf(ev)
		if !ok {
			return item{}, false
		}
		if listen {
			return item{kind: "listen", peer: o, listen: true}, true
		}
		return item{kind: "connect", peer: o}, true
	}
	return item{}, false
}

func (im *image) learn(it item, t time.Time) {
	c := &im.counts
	if c.Start.IsZero() {
		c.Start = t
	}
	if t.After(c.End) {
		c.End = t
	}
	c.Events++
	switch it.kind {
	case "exec":
		c.Exec++
		if len(im.exec) < maxEntries {
			im.exec[it.path] = true
		}
	case "write":
		c.Write++
		if len(im.write) < maxEntries {
			im.write[it.path] = true
		}
	case "connect":
		c.Connect++
		if len(im.connect) < maxEntries {
			im.connect[it.peer] = true
		}
	case "listen":
		c.Listen++
		o := it.peer
		o.addr = netip.Addr{}
		if len(im.listen) < maxEntries {
			im.listen[o.String()] = true
		}
	}
}

// finishLocked turns what im learned into its baseline, writes it, and
// starts checking.
func (a *Analyzer) finishLocked(im *image) {
	b := im.base
	b.Learn = im.counts
	b.Learn.Window = a.opts.Learn.String()
	b.Exec = keys(im.exec)
	b.Write = generalizePaths(keys(im.write), a.opts.DirThreshold)
	b.Listen = keys(im.listen)
	variety := map[string]int{}
	for o := range im.connect {
		variety[o.general()]++
	}
	set := map[string]bool{}
	for o := range im.connect {
		g := o.general()
		if a.opts.PeerPorts || (a.opts.PeerVariety > 0 && variety[g] > a.opts.PeerVariety) {
			set[g] = true
		} else {
			set[o.String()] = true
		}
	}
	b.Connect = keys(set)
	im.learning = false
	im.exec, im.write, im.connect, im.listen = nil, nil, nil, nil
	im.compile()
	a.writeLocked(im)
}

func (a *Analyzer) writeLocked(im *image) {
	if a.opts.Dir == "" || im.written {
		return
	}
	if err := im.base.WriteFile(filepath.Join(a.opts.Dir, im.base.Image.FileName())); err != nil {
		a.errs = append(a.errs, err)
		return
	}
	im.written = true
}

// Flush finishes the learning of every image whose window has passed at
// now (for images that went quiet), writes every finished baseline not yet
// written, and returns the write errors since the last Flush.
func (a *Analyzer) Flush(now time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, im := range a.images() {
		if im.learning && !now.Before(im.counts.Start.Add(a.opts.Learn)) && im.counts.Events >= a.opts.MinEvents {
			a.finishLocked(im)
		}
		if !im.learning {
			a.writeLocked(im)
		}
	}
	err := errors.Join(a.errs...)
	a.errs = nil
	return err
}

// Baselines returns copies of the finished baselines, sorted by image key.
func (a *Analyzer) Baselines() []Baseline {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Baseline
	for _, im := range a.images() {
		if !im.learning {
			out = append(out, *im.base)
		}
	}
	return out
}

// images lists each image once, sorted by key.
func (a *Analyzer) images() []*image {
	seen := map[*image]bool{}
	var out []*image
	for _, im := range a.byKey {
		if !seen[im] {
			seen[im] = true
			out = append(out, im)
		}
	}
	sortImages(out)
	return out
}

// check returns the finding for it when the baseline does not cover it
// and it was not yet reported for this container.
func (im *image) check(ev *event.Event, it item, t time.Time) []finding.Finding {
	var covered bool
	var entry string
	switch it.kind {
	case "exec":
		covered, entry = im.execP.match(it.path), it.path
	case "write":
		covered, entry = im.writeP.match(it.path), it.path
	case "connect":
		entry = it.peer.String()
		for _, p := range im.connectP {
			covered = covered || p.matches(it.peer)
		}
	case "listen":
		it.peer.addr = netip.Addr{}
		entry = it.peer.String()
		for _, p := range im.listenP {
			covered = covered || p.matches(it.peer)
		}
	}
	if covered {
		return nil
	}
	c := ev.Container
	key := c.ID + "\x00" + it.kind + "\x00" + entry
	if im.reported[key] || len(im.reported) >= maxDriftPerImage {
		return nil
	}
	im.reported[key] = true
	return []finding.Finding{im.finding(ev, it.kind, entry, t)}
}

// The drift rules.
var (
	RuleExec = finding.Rule{ID: "PAVE-RT-DRIFT-EXEC", Kind: finding.Runtime, Severity: finding.High,
		Title:       "Program executed that the image's baseline does not list",
		Remediation: "If the program is expected, add it to the baseline file (exec) and commit it; otherwise investigate the container: a new program at run time is how most intrusions proceed.",
		Controls:    []finding.Control{{Framework: check.NIST800190, ID: "4.4.4"}}}
	RuleNet = finding.Rule{ID: "PAVE-RT-DRIFT-NET", Kind: finding.Runtime, Severity: finding.Medium,
		Title:       "Network peer or listening port that the image's baseline does not list",
		Remediation: "If the connection is expected, add the peer (connect) or port (listen) to the baseline file; otherwise restrict the container's egress and investigate.",
		Controls:    []finding.Control{{Framework: check.NIST800190, ID: "4.4.2"}}}
	RuleWrite = finding.Rule{ID: "PAVE-RT-DRIFT-WRITE", Kind: finding.Runtime, Severity: finding.Medium,
		Title:       "Path written that the image's baseline does not list",
		Remediation: "If the write is expected, add the path or a glob (write) to the baseline file; consider a read-only root filesystem with explicit writable volumes.",
		Controls:    []finding.Control{{Framework: check.NIST800190, ID: "4.4.4"}}}
)

func (im *image) finding(ev *event.Event, kind, entry string, t time.Time) finding.Finding {
	rule, what := RuleWrite, "write "+entry
	switch kind {
	case "exec":
		rule, what = RuleExec, "exec "+entry
	case "connect":
		rule, what = RuleNet, "connect "+entry
	case "listen":
		rule, what = RuleNet, "listen "+entry
	}
	c := ev.Container
	img := im.base.Image
	f := finding.Finding{
		Rule:     rule,
		Severity: rule.Severity,
		Target:   finding.Target{Kind: "container", Name: cmp.Or(img.Ref, c.Image, img.Key()), Digest: img.Key()},
		Location: finding.Location{Container: c.ID, Process: fmt.Sprintf("%s (pid %d)", cmp.Or(ev.Proc.Exe, ev.Proc.Comm), ev.Proc.PID)},
		Evidence: what,
		Message: fmt.Sprintf("%s in container %s of %s at %s: not in the baseline", what, cmp.Or(c.Name, c.ID),
			cmp.Or(img.Ref, c.Image, img.Key()), t.UTC().Format(time.RFC3339)),
	}
	f.Fingerprint = f.ComputeFingerprint()
	return f
}

func bare(d string) string {
	if i := strings.LastIndex(d, "@"); i >= 0 {
		return d[i+1:]
	}
	return d
}

func keys(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }

func sortImages(ims []*image) {
	slices.SortFunc(ims, func(a, b *image) int { return strings.Compare(a.base.Image.Key(), b.base.Image.Key()) })
}
