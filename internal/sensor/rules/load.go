package rules

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/pavesec/pave/internal/finding"
)

// MaxFileSize bounds a rules file.
const MaxFileSize = 16 << 20

// ruleDef is one rule as defined by the files, before compiling.
type ruleDef struct {
	name       string
	source     string // "builtin" or the file's path
	line       int
	desc       string
	cond       string
	output     string
	priority   string
	tags       []string
	enabled    bool
	exceptions []exception
	problems   []string // definition problems that disable the rule
}

type exception struct {
	name   string
	fields []string
	single bool // fields was one field, not a list
	comps  []string
	values []*yval
}

// ruleSet accumulates the definitions of every file, in order.
type ruleSet struct {
	lists    map[string][]value
	macros   map[string]*macroDef
	rules    []*ruleDef
	byName   map[string]*ruleDef
	warnings []string
}

func newRuleSet() *ruleSet {
	return &ruleSet{lists: map[string][]value{}, macros: map[string]*macroDef{}, byName: map[string]*ruleDef{}}
}

// loadFile reads one rules file into the set.
func (s *ruleSet) loadFile(ctx context.Context, path string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("rules: load %s: %w", path, err)
	}
	if fi.Size() > MaxFileSize {
		return fmt.Errorf("rules: load %s: file larger than %d bytes", path, MaxFileSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("rules: load %s: %w", path, err)
	}
	if err := s.load(path, data); err != nil {
		return fmt.Errorf("rules: load %s: %w", path, err)
	}
	return nil
}

// load reads the items of one rules file.
func (s *ruleSet) load(source string, data []byte) error {
	docs, err := parseYAML(data)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if d.kind == yNull {
			continue
		}
		if d.kind != ySeq {
			return fmt.Errorf("line %d: a rules file is a YAML list of items", d.line)
		}
		for _, it := range d.seq {
			if err := s.item(source, it); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *ruleSet) item(source string, it *yval) error {
	if it.kind != yMap || len(it.keys) == 0 {
		return fmt.Errorf("line %d: an item must be a mapping with a list, macro or rule key", it.line)
	}
	switch {
	case it.get("list") != nil:
		return s.list(it)
	case it.get("macro") != nil:
		return s.macro(it)
	case it.get("rule") != nil:
		return s.rule(source, it)
	case it.get("required_engine_version") != nil, it.get("required_plugin_versions") != nil:
		return nil // versions of Falco's engine and plugins do not apply
	}
	s.warnings = append(s.warnings, fmt.Sprintf("%s:%d: unknown item %q ignored", source, it.line, it.keys[0]))
	return nil
}

func str(v *yval, what string) (string, error) {
	if v == nil || v.kind == yNull {
		return "", nil
	}
	if v.kind != yScalar {
		return "", fmt.Errorf("line %d: %s must be a string", v.line, what)
	}
	return v.s, nil
}

func boolVal(v *yval, what string) (bool, error) {
	if v == nil || v.kind == yNull {
		return false, nil
	}
	if v.kind == yScalar && !v.quoted {
		switch v.s {
		case "true", "True", "TRUE":
			return true, nil
		case "false", "False", "FALSE":
			return false, nil
		}
	}
	return false, fmt.Errorf("line %d: %s must be true or false", v.line, what)
}

func strList(v *yval, what string) ([]string, error) {
	if v == nil || v.kind == yNull {
		return nil, nil
	}
	if v.kind != ySeq {
		return nil, fmt.Errorf("line %d: %s must be a list", v.line, what)
	}
	out := make([]string, 0, len(v.seq))
	for _, e := range v.seq {
		if e.kind != yScalar {
			return nil, fmt.Errorf("line %d: %s items must be strings", e.line, what)
		}
		out = append(out, e.s)
	}
	return out, nil
}

// overrides reads the override key: which keys append and which replace.
func overrides(it *yval) (map[string]string, error) {
	o := it.get("override")
	if o == nil {
		return nil, nil
	}
	if o.kind != yMap {
		return nil, fmt.Errorf("line %d: override must be a mapping", o.line)
	}
	out := map[string]string{}
	for i, k := range o.keys {
		v, err := str(o.vals[i], "override."+k)
		if err != nil {
			return nil, err
		}
		if v != "append" && v != "replace" {
			return nil, fmt.Errorf("line %d: override.%s must be append or replace", o.vals[i].line, k)
		}
		out[k] = v
	}
	return out, nil
}

func (s *ruleSet) list(it *yval) error {
	name, err := str(it.get("list"), "list")
	if err != nil || name == "" {
		return fmt.Errorf("line %d: list needs a name", it.line)
	}
	items, err := strList(it.get("items"), "items")
	if err != nil {
		return err
	}
	vs := make([]value, len(items))
	for i, x := range items {
		vs[i] = listItem(x)
	}
	app, err := boolVal(it.get("append"), "append")
	if err != nil {
		return err
	}
	ov, err := overrides(it)
	if err != nil {
		return err
	}
	if app || ov["items"] == "append" {
		old, ok := s.lists[name]
		if !ok {
			return fmt.Errorf("line %d: list %s appends to a list not defined before", it.line, name)
		}
		s.lists[name] = append(slices.Clip(old), vs...)
		return nil
	}
	s.lists[name] = vs
	return nil
}

func (s *ruleSet) macro(it *yval) error {
	name, err := str(it.get("macro"), "macro")
	if err != nil || name == "" {
		return fmt.Errorf("line %d: macro needs a name", it.line)
	}
	cond, err := str(it.get("condition"), "condition")
	if err != nil {
		return err
	}
	app, err := boolVal(it.get("append"), "append")
	if err != nil {
		return err
	}
	ov, err := overrides(it)
	if err != nil {
		return err
	}
	if app || ov["condition"] == "append" {
		old, ok := s.macros[name]
		if !ok {
			return fmt.Errorf("line %d: macro %s appends to a macro not defined before", it.line, name)
		}
		cond = old.cond + " " + cond
	}
	s.macros[name] = &macroDef{cond: cond}
	return nil
}

func (s *ruleSet) rule(source string, it *yval) error {
	name, err := str(it.get("rule"), "rule")
	if err != nil || name == "" {
		return fmt.Errorf("line %d: rule needs a name", it.line)
	}
	d := &ruleDef{name: name, source: source, line: it.line, enabled: true}
	if d.desc, err = str(it.get("desc"), "desc"); err != nil {
		return err
	}
	if d.cond, err = str(it.get("condition"), "condition"); err != nil {
		return err
	}
	if d.output, err = str(it.get("output"), "output"); err != nil {
		return err
	}
	if d.priority, err = str(it.get("priority"), "priority"); err != nil {
		return err
	}
	if d.priority != "" {
		if _, err := parsePriority(d.priority); err != nil {
			return fmt.Errorf("line %d: rule %s: %w", it.line, name, err)
		}
	}
	if d.tags, err = strList(it.get("tags"), "tags"); err != nil {
		return err
	}
	if e := it.get("enabled"); e != nil {
		if d.enabled, err = boolVal(e, "enabled"); err != nil {
			return err
		}
	}
	if d.exceptions, err = exceptions(it.get("exceptions")); err != nil {
		return err
	}
	src, err := str(it.get("source"), "source")
	if err != nil {
		return err
	}
	if src != "" && src != "syscall" {
		d.problems = append(d.problems, fmt.Sprintf("source %s: only the syscall source is evaluated", src))
	}
	app, err := boolVal(it.get("append"), "append")
	if err != nil {
		return err
	}
	ov, err := overrides(it)
	if err != nil {
		return err
	}
	old := s.byName[name]
	switch {
	case app || len(ov) > 0:
		if old == nil {
			return fmt.Errorf("line %d: rule %s appends to or overrides a rule not defined before", it.line, name)
		}
		s.modify(old, d, it, app, ov)
		return nil
	case old != nil && it.get("condition") == nil && it.get("enabled") != nil && len(it.keys) == 2:
		// The legacy form that only switches a rule on or off.
		old.enabled = d.enabled
		return nil
	}
	if d.cond == "" && len(d.problems) == 0 {
		d.problems = append(d.problems, "no condition")
	}
	if d.priority == "" {
		d.problems = append(d.problems, "no priority")
	}
	if old != nil {
		*old = *d
		return nil
	}
	s.rules = append(s.rules, d)
	s.byName[name] = d
	return nil
}

// modify applies an append: true or override: item to an existing rule.
func (s *ruleSet) modify(old, d *ruleDef, it *yval, app bool, ov map[string]string) {
	mode := func(key string) string {
		if app {
			return "append"
		}
		return ov[key]
	}
	switch mode("condition") {
	case "append":
		if d.cond != "" {
			old.cond += " " + d.cond
		}
	case "replace":
		old.cond = d.cond
	}
	switch mode("output") {
	case "append":
		old.output += " " + d.output
	case "replace":
		old.output = d.output
	}
	switch mode("desc") {
	case "append":
		old.desc += " " + d.desc
	case "replace":
		old.desc = d.desc
	}
	if ov["priority"] == "replace" {
		old.priority = d.priority
	}
	switch mode("tags") {
	case "append":
		old.tags = append(old.tags, d.tags...)
	case "replace":
		old.tags = d.tags
	}
	if ov["enabled"] == "replace" || (app && it.get("enabled") != nil) {
		old.enabled = d.enabled
	}
	switch mode("exceptions") {
	case "append":
		for _, e := range d.exceptions {
			i := slices.IndexFunc(old.exceptions, func(x exception) bool { return x.name == e.name })
			if i >= 0 && len(e.fields) == 0 {
				old.exceptions[i].values = append(old.exceptions[i].values, e.values...)
				continue
			}
			old.exceptions = append(old.exceptions, e)
		}
	case "replace":
		old.exceptions = d.exceptions
	}
}

func exceptions(v *yval) ([]exception, error) {
	if v == nil || v.kind == yNull {
		return nil, nil
	}
	if v.kind != ySeq {
		return nil, fmt.Errorf("line %d: exceptions must be a list", v.line)
	}
	var out []exception
	for _, e := range v.seq {
		if e.kind != yMap {
			return nil, fmt.Errorf("line %d: an exception must be a mapping", e.line)
		}
		var x exception
		var err error
		if x.name, err = str(e.get("name"), "exception name"); err != nil {
			return nil, err
		}
		if f := e.get("fields"); f != nil && f.kind == yScalar {
			x.fields, x.single = []string{f.s}, true
		} else if x.fields, err = strList(f, "exception fields"); err != nil {
			return nil, err
		}
		if c := e.get("comps"); c != nil && c.kind == yScalar {
			x.comps = []string{c.s}
		} else if x.comps, err = strList(c, "exception comps"); err != nil {
			return nil, err
		}
		if vals := e.get("values"); vals != nil && vals.kind != yNull {
			if vals.kind != ySeq {
				return nil, fmt.Errorf("line %d: exception values must be a list", vals.line)
			}
			x.values = vals.seq
		}
		out = append(out, x)
	}
	return out, nil
}

// exceptionNode builds "ex1 or ex2 ..." for a rule's exceptions, nil when
// none has values.
func exceptionNode(exs []exception) (node, error) {
	var alts []node
	for _, x := range exs {
		if len(x.values) == 0 {
			continue
		}
		if len(x.fields) == 0 {
			return nil, fmt.Errorf("exception %s has values but no fields", x.name)
		}
		if x.single {
			comp := "in"
			if len(x.comps) > 0 {
				comp = x.comps[0]
			}
			var vs []value
			for _, v := range x.values {
				if v.kind != yScalar {
					return nil, fmt.Errorf("exception %s: values of a single field must be plain values", x.name)
				}
				vs = append(vs, listItem(v.s))
			}
			n, err := exceptionCmp(x.fields[0], comp, vs)
			if err != nil {
				return nil, fmt.Errorf("exception %s: %w", x.name, err)
			}
			alts = append(alts, n)
			continue
		}
		for _, tuple := range x.values {
			if tuple.kind != ySeq || len(tuple.seq) != len(x.fields) {
				return nil, fmt.Errorf("exception %s: each value must list one item per field (%d)", x.name, len(x.fields))
			}
			var and []node
			for i, f := range x.fields {
				comp := "="
				if i < len(x.comps) {
					comp = x.comps[i]
				}
				var vs []value
				if it := tuple.seq[i]; it.kind == ySeq {
					for _, e := range it.seq {
						vs = append(vs, listItem(e.s))
					}
				} else {
					vs = []value{listItem(it.s)}
				}
				n, err := exceptionCmp(f, comp, vs)
				if err != nil {
					return nil, fmt.Errorf("exception %s: %w", x.name, err)
				}
				and = append(and, n)
			}
			alts = append(alts, andNode{and})
		}
	}
	switch len(alts) {
	case 0:
		return nil, nil
	case 1:
		return alts[0], nil
	}
	return orNode{alts}, nil
}

func exceptionCmp(field, comp string, vs []value) (node, error) {
	c := cmpNode{field: field, op: comp, values: vs}
	if i := strings.IndexByte(field, '['); i > 0 && strings.HasSuffix(field, "]") {
		c.field, c.arg, c.hasArg = field[:i], field[i+1:len(field)-1], true
	}
	if !slices.Contains(symbolOps, comp) && !slices.Contains(wordOps, comp) {
		return nil, fmt.Errorf("unknown comparison %q", comp)
	}
	if !listOps[comp] && comp != "exists" && len(vs) != 1 {
		return nil, fmt.Errorf("comparison %s takes one value", comp)
	}
	return c, nil
}

// parsePriority maps a Falco priority onto a severity.
func parsePriority(p string) (finding.Severity, error) {
	switch strings.ToUpper(strings.TrimSpace(p)) {
	case "EMERGENCY", "ALERT", "CRITICAL":
		return finding.Critical, nil
	case "ERROR":
		return finding.High, nil
	case "WARNING", "WARN":
		return finding.Medium, nil
	case "NOTICE":
		return finding.Low, nil
	case "INFORMATIONAL", "INFO", "DEBUG":
		return finding.Info, nil
	}
	return finding.Unknown, errors.New("unknown priority " + fmt.Sprintf("%q", p))
}
