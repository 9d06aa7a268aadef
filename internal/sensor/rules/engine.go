// Package rules is the sensor's runtime rule engine. Rules are data, in
// the Falco rules file format (lists, macros and rules; append and
// override; exceptions), so that existing Falco users bring their rules.
// A built-in set (builtin.yaml, embedded) covers the common container
// attacks and carries pave's rule ids, NIST SP 800-190 controls and an
// enforcement marker as Falco-compatible tags.
//
// Conditions are parsed once and compiled into a tree of closures over
// event.Event; rules are indexed by the event types their condition can
// match, so an event is tested only against the rules that may fire on it.
// A rule the engine cannot evaluate faithfully (a field the sensor does not
// provide, an event type it does not observe, an undefined macro) is
// disabled with its reason in the LoadReport, never run with a wrong
// answer. See docs/sensor-rules.md.
package rules

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/sensor/event"
)

// Options says which rules to load.
type Options struct {
	// Files are Falco-format rules files, loaded in order after the
	// built-in set: they may append to or override its lists, macros and
	// rules, and later files override earlier ones.
	Files []string
	// NoBuiltin leaves out the built-in rules.
	NoBuiltin bool
}

// Engine evaluates the loaded rules against events. Analyze must be called
// from one goroutine (event.Analyzer's contract): it reuses per-event state.
type Engine struct {
	rules   []*compiledRule // enabled, in load order
	byType  [len(typeOrder)][]*compiledRule
	enforce map[string]bool // rule ids with the pave.enforce tag
	names   []string        // EnforcedExecNames
	cx      evctx
	num     uint64
	exec    execMemo
	procs   procTable
}

// execMemo remembers the rules the last exec fired. The sensor follows an
// exec from a memfd with a MemfdExec twin of the same exec; Falco rules
// see one execve, so the twin only reports rules the exec itself did not
// (those that need proc.is_exe_from_memfd).
type execMemo struct {
	pid   uint32
	time  time.Time
	valid bool
	fired []bool // by compiledRule.idx
	idx   []int  // the set entries of fired, for a cheap reset
}

func (m *execMemo) reset(ev *event.Event) {
	for _, i := range m.idx {
		m.fired[i] = false
	}
	m.idx = m.idx[:0]
	m.pid, m.time, m.valid = ev.Proc.PID, ev.Time, ev.Type == event.Exec
}

func (m *execMemo) twinOf(ev *event.Event) bool {
	return ev.Type == event.MemfdExec && m.valid && m.pid == ev.Proc.PID && m.time.Equal(ev.Time)
}

var _ event.Analyzer = (*Engine)(nil)

type compiledRule struct {
	def     *ruleDef
	meta    finding.Rule
	enforce bool
	p       pred
	types   typeSet
	out     []outPart
	idx     int // position in Engine.rules
	// procNames are the proc.name literals the condition tests
	// positively: candidates for the kernel's exec kill-list.
	procNames []string
}

// Tag names pave reads from a rule's tags.
const (
	// EnforceTag marks a rule whose matching process pave may kill.
	EnforceTag = "pave.enforce"
	// nistTagPrefix prefixes a NIST SP 800-190 countermeasure id, after
	// Falco's own NIST_800-53_XX tags.
	nistTagPrefix = "NIST_800-190_"
	// remediationMarker starts the remediation in a built-in rule's desc.
	remediationMarker = "Remediation:"
)

var pavePattern = regexp.MustCompile(`^PAVE-RT-[0-9]{3}$`)

// Load reads the built-in rules (unless opts.NoBuiltin) and opts.Files,
// and compiles every enabled rule. It fails on a file that cannot be read
// or is not a well-formed rules file; a rule that cannot run is disabled
// and listed in the report instead.
func Load(ctx context.Context, opts Options) (*Engine, *LoadReport, error) {
	s := newRuleSet()
	if !opts.NoBuiltin {
		if err := s.load("builtin", builtinYAML); err != nil {
			return nil, nil, fmt.Errorf("rules: load builtin: %w", err)
		}
	}
	for _, f := range opts.Files {
		if err := s.loadFile(ctx, f); err != nil {
			return nil, nil, err
		}
	}
	e, rep := compileSet(s)
	return e, rep, nil
}

// compileSet compiles every rule of s.
func compileSet(s *ruleSet) (*Engine, *LoadReport) {
	e := &Engine{enforce: map[string]bool{}, procs: procTable{}}
	e.cx.procs = e.procs
	rep := &LoadReport{Warnings: s.warnings}
	c := &compiler{lists: s.lists, macros: s.macros}
	for _, d := range s.rules {
		cr, st := compileRule(c, d)
		rep.Rules = append(rep.Rules, st)
		if cr == nil {
			continue
		}
		cr.idx = len(e.rules)
		e.rules = append(e.rules, cr)
		for i := range typeOrder {
			if cr.types&(1<<i) != 0 {
				e.byType[i] = append(e.byType[i], cr)
			}
		}
		if cr.enforce {
			e.enforce[cr.meta.ID] = true
		}
	}
	e.names = enforcedNames(e.rules)
	e.exec.fired = make([]bool, len(e.rules))
	return e, rep
}

func compileRule(c *compiler, d *ruleDef) (*compiledRule, RuleStatus) {
	meta := ruleMeta(d)
	st := RuleStatus{Name: d.name, ID: meta.ID, Source: d.source, Enforce: slices.Contains(d.tags, EnforceTag)}
	c.begin()
	reasons := slices.Clone(d.problems)
	var cr *compiledRule
	if len(reasons) == 0 {
		cr = compileCondition(c, d, &reasons)
	}
	if !d.enabled {
		reasons = append([]string{"disabled in its rules file (enabled: false)"}, reasons...)
	}
	st.Notes = slices.Clone(c.notes)
	if len(reasons) > 0 {
		st.Disabled = reasons
		return nil, st
	}
	cr.def, cr.meta, cr.enforce = d, meta, st.Enforce
	st.Enabled = true
	st.Types = cr.types.names()
	return cr, st
}

func compileCondition(c *compiler, d *ruleDef, reasons *[]string) *compiledRule {
	ast, err := parseCondition(d.cond)
	if err != nil {
		*reasons = append(*reasons, "condition: "+err.Error())
		return nil
	}
	ex, err := exceptionNode(d.exceptions)
	if err != nil {
		*reasons = append(*reasons, err.Error())
		return nil
	}
	if ex != nil {
		ast = andNode{[]node{ast, notNode{ex}}}
	}
	cc := c.compile(ast, inChain)
	*reasons = append(append(*reasons, c.reasons...), c.unsup...)
	if cc.types == 0 && len(c.reasons)+len(c.unsup) == 0 {
		if len(c.noTypes) > 0 {
			*reasons = append(*reasons, "event types not observed by the sensor: "+strings.Join(sortedKeys(c.noTypes), ", "))
		} else {
			*reasons = append(*reasons, "the condition matches no event type")
		}
	}
	if cc.types != 0 && len(c.noTypes) > 0 {
		c.note("event types not observed by the sensor, never matched: %s", strings.Join(sortedKeys(c.noTypes), ", "))
	}
	out, err := parseOutput(d.output)
	if err != nil {
		*reasons = append(*reasons, "output: "+err.Error())
	}
	if len(*reasons) > 0 {
		return nil
	}
	return &compiledRule{p: cc.p, types: cc.types, out: out, procNames: slices.Clone(c.procNames)}
}

// ruleMeta is the finding.Rule of a rule definition.
func ruleMeta(d *ruleDef) finding.Rule {
	sev, _ := parsePriority(d.priority)
	r := finding.Rule{ID: "falco:" + d.name, Kind: finding.Runtime, Title: d.name, Severity: sev}
	desc := strings.Join(strings.Fields(d.desc), " ")
	if d.source == "builtin" {
		for _, t := range d.tags {
			if pavePattern.MatchString(t) {
				r.ID = t
			}
		}
		if i := strings.Index(desc, remediationMarker); i >= 0 {
			r.Remediation = strings.TrimSpace(desc[i+len(remediationMarker):])
		}
	}
	for _, t := range d.tags {
		if id, ok := strings.CutPrefix(t, nistTagPrefix); ok && id != "" {
			r.Controls = append(r.Controls, finding.Control{Framework: check.NIST800190, ID: id})
		}
	}
	return r
}

// enforcedNames finds, for every enforcing rule, the program names whose
// exec the rule alerts on by name alone: each proc.name literal of the
// rule is tried on plain execs in a container in several contexts (parent
// a shell, the runtime, none; pid 1 or not; root or not; a terminal or
// not), and kept only when the rule fires in all of them, since the
// kernel's kill-list looks at nothing but the name.
func enforcedNames(rules []*compiledRule) []string {
	seen := map[string]bool{}
	var cx evctx
	for _, r := range rules {
		if !r.enforce {
			continue
		}
		for _, n := range r.procNames {
			if seen[n] || n == "" || strings.ContainsAny(n, "/ ") {
				continue
			}
			all := true
			for _, ev := range probeExecs(n) {
				cx.reset(ev, 1)
				if r.types&cx.bit == 0 || !r.p(&cx) {
					all = false
					break
				}
			}
			seen[n] = all
		}
	}
	var out []string
	for n, ok := range seen {
		if ok {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// probeExecs are execs of name in a container, in varied contexts.
func probeExecs(name string) []*event.Event {
	const id = "0000000000000000000000000000000000000000000000000000000000000000"
	base := event.Process{PID: 2, TID: 2, PPID: 1, VPID: 2, Comm: name, Exe: "/usr/bin/" + name, Args: []string{name}}
	variants := []func(p *event.Process){
		func(p *event.Process) { p.Ancestors = []event.Ancestor{{PID: 1, Comm: "sh", Exe: "/bin/sh"}} },
		func(p *event.Process) {
			p.VPID = 1
			p.Ancestors = []event.Ancestor{{PID: 1, Comm: "containerd-shim", Exe: "/usr/bin/containerd-shim-runc-v2"}}
		},
		func(p *event.Process) { p.TTY = true },
		func(p *event.Process) {
			p.UID, p.EUID, p.GID = 1000, 1000, 1000
			p.Ancestors = []event.Ancestor{{PID: 1, Comm: "pave-probe", Exe: "/pave-probe"}}
		},
	}
	out := make([]*event.Event, len(variants))
	for i, v := range variants {
		p := base
		v(&p)
		out[i] = &event.Event{Type: event.Exec, ContainerID: id, Container: &event.Container{ID: id}, Proc: p}
	}
	return out
}

// EnforcedExecNames lists the program names (as the kernel's comm, at
// most 15 bytes) whose exec in a container an enforcing rule alerts on by
// name alone: the kill-list the sensor may hand to the kernel.
func (e *Engine) EnforcedExecNames() []string { return slices.Clone(e.names) }

// Enforces reports whether the rule with this id carries the enforce tag,
// so that the pipeline may kill the process of its findings.
func (e *Engine) Enforces(ruleID string) bool { return e.enforce[ruleID] }

// Rules returns the metadata of the enabled rules, in load order.
func (e *Engine) Rules() []finding.Rule {
	out := make([]finding.Rule, len(e.rules))
	for i, r := range e.rules {
		out[i] = r.meta
	}
	return out
}

// Analyze evaluates the rules indexed under the event's type and returns
// one finding per rule that matched.
func (e *Engine) Analyze(ev *event.Event) []finding.Finding {
	e.num++
	e.cx.reset(ev, e.num)
	switch ev.Type {
	case event.Exec, event.MemfdExec:
		e.procs.remember(ev)
	case event.Exit:
		defer delete(e.procs, ev.Proc.PID)
		e.procs.fill(&e.cx)
	default:
		e.procs.fill(&e.cx)
	}
	bit := e.cx.bit
	if bit == 0 {
		return nil
	}
	twin := e.exec.twinOf(ev)
	if bit == typeBit(event.Exec) && !twin {
		e.exec.reset(ev)
	}
	var out []finding.Finding
	for _, r := range e.byType[bitIndex(bit)] {
		if twin && e.exec.fired[r.idx] {
			continue
		}
		if r.p(&e.cx) {
			out = append(out, e.finding(r))
			if ev.Type == event.Exec {
				e.exec.fired[r.idx] = true
				e.exec.idx = append(e.exec.idx, r.idx)
			}
		}
	}
	if twin {
		e.exec.valid = false
	}
	return out
}

func bitIndex(b typeSet) int {
	for i := range typeOrder {
		if b == 1<<i {
			return i
		}
	}
	return 0
}

func (e *Engine) finding(r *compiledRule) finding.Finding {
	ev := e.cx.ev
	rendered := renderOutput(r.out, &e.cx)
	msg, _, _ := strings.Cut(rendered, " | ")
	f := finding.Finding{
		Rule:     r.meta,
		Severity: r.meta.Severity,
		Target:   target(ev),
		Location: finding.Location{
			Container: containerID(ev),
			Process:   strconv.FormatUint(uint64(ev.Proc.PID), 10) + " " + procName(e.cx.proc),
		},
		Evidence: rendered,
		Message:  strings.TrimSpace(msg),
	}
	if fl := fileOf(&e.cx); fl != nil {
		f.Location.Path = fl.Path
	}
	f.Fingerprint = f.ComputeFingerprint()
	return f
}

func target(ev *event.Event) finding.Target {
	id := containerID(ev)
	if id == "" {
		return finding.Target{Kind: "host", Name: "host"}
	}
	t := finding.Target{Kind: "container", Name: id}
	if c := ev.Container; c != nil {
		switch {
		case c.Image != "":
			t.Name = c.Image
		case c.Name != "":
			t.Name = c.Name
		}
		t.Digest = c.ImageDigest
	}
	return t
}

// outPart is a piece of an output template: literal text or a field.
type outPart struct {
	lit   string
	field *fieldDef // nil for literal text or a field the engine lacks
	name  string
	// mask is set for fields that may carry secrets (command lines,
	// arguments): their values are masked before they reach the output.
	mask bool
}

// maskedFields are the fields whose values may hold secrets typed on a
// command line.
var maskedFields = map[string]bool{
	"proc.cmdline": true, "proc.args": true, "proc.exe": true, "evt.args": true,
	"evt.arg.args": true, "proc.pcmdline": true, "evt.arg[2]": true,
}

// parseOutput splits an output template into text and %field references.
func parseOutput(s string) ([]outPart, error) {
	s = strings.Join(strings.Fields(s), " ")
	var parts []outPart
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			lit.WriteByte(s[i])
			continue
		}
		j := i + 1
		if j < len(s) && s[j] == '%' {
			lit.WriteByte('%')
			i = j
			continue
		}
		for j < len(s) && (isIdent(s[j]) || s[j] == '.') {
			j++
		}
		name := strings.TrimRight(s[i+1:j], ".")
		j = i + 1 + len(name)
		arg, hasArg := "", false
		if j < len(s) && s[j] == '[' {
			if k := strings.IndexByte(s[j:], ']'); k > 0 {
				arg, hasArg = s[j+1:j+k], true
				j += k + 1
			}
		}
		if !strings.Contains(name, ".") {
			lit.WriteByte('%')
			continue
		}
		if lit.Len() > 0 {
			parts = append(parts, outPart{lit: lit.String()})
			lit.Reset()
		}
		full := s[i+1 : j]
		p := outPart{name: full, mask: maskedFields[full]}
		if f, err := lookupField(name, arg, hasArg); err == nil {
			p.field = &f
		}
		parts = append(parts, p)
		i = j - 1
	}
	if lit.Len() > 0 {
		parts = append(parts, outPart{lit: lit.String()})
	}
	return parts, nil
}

func renderOutput(parts []outPart, c *evctx) string {
	var b strings.Builder
	for _, p := range parts {
		switch {
		case p.name == "":
			b.WriteString(p.lit)
		case p.field == nil:
			b.WriteString("<NA>")
		default:
			v, ok := p.field.render(c)
			switch {
			case !ok:
				v = "<NA>"
			case p.mask:
				v = maskEvidence(v)
			}
			b.WriteString(v)
		}
	}
	return b.String()
}

// LoadReport says which rules were loaded and which are disabled, and why.
type LoadReport struct {
	Rules    []RuleStatus `json:"rules"`
	Warnings []string     `json:"warnings,omitempty"`
}

// RuleStatus is one rule's fate.
type RuleStatus struct {
	Name    string `json:"name"`
	ID      string `json:"id"`
	Source  string `json:"source"`
	Enabled bool   `json:"enabled"`
	Enforce bool   `json:"enforce,omitempty"`
	// Types are the event types the rule is evaluated on.
	Types []string `json:"types,omitempty"`
	// Disabled gives the reasons a rule does not run.
	Disabled []string `json:"disabled,omitempty"`
	// Notes are comparisons inside exclusions that the engine cannot
	// answer and takes as false: the rule may alert where Falco would not.
	Notes []string `json:"notes,omitempty"`
}

// Counts returns how many rules are enabled and disabled.
func (r *LoadReport) Counts() (enabled, disabled int) {
	for _, s := range r.Rules {
		if s.Enabled {
			enabled++
		} else {
			disabled++
		}
	}
	return enabled, disabled
}

// String is a readable summary: the counts, then each disabled rule with
// its reasons, then warnings.
func (r *LoadReport) String() string {
	var b strings.Builder
	en, dis := r.Counts()
	fmt.Fprintf(&b, "%d rules loaded: %d enabled, %d disabled\n", en+dis, en, dis)
	for _, s := range r.Rules {
		if !s.Enabled {
			fmt.Fprintf(&b, "  disabled %q (%s): %s\n", s.Name, s.Source, strings.Join(s.Disabled, "; "))
		}
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "  warning: %s\n", w)
	}
	return b.String()
}
