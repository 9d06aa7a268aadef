package rules

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// pred is a compiled condition.
type pred func(c *evctx) bool

// compiled is a compiled sub-condition with the event types it can match.
type compiled struct {
	p     pred
	types typeSet
	// pure is set when the condition only tests evt.type, so that its
	// negation can be turned into the complement of its types.
	pure bool
}

// compiler compiles the conditions of one rule set. Its per-rule state is
// reset by begin.
type compiler struct {
	lists  map[string][]value
	macros map[string]*macroDef

	stack     []string // macros being expanded, for cycle detection
	reasons   []string // why the rule cannot run: errors in the rules
	unsup     []string // why the rule cannot run: comparisons the engine cannot answer
	notes     []string // comparisons taken as false inside exceptions
	noTypes   map[string]bool
	procNames []string // literals compared positively with proc.name
	budget    int      // nodes and list values left for this rule
}

// ruleBudget bounds the size of one rule's expanded condition: macros and
// lists used many times over can otherwise grow it exponentially.
const ruleBudget = 20000 // Falco's largest rule (Write below etc) uses under 800

type macroDef struct {
	cond  string
	ast   node
	err   error
	parse bool
}

func (c *compiler) begin() {
	c.stack, c.reasons, c.unsup, c.notes, c.noTypes, c.procNames = c.stack[:0], nil, nil, nil, map[string]bool{}, nil
	c.budget = ruleBudget
}

// spend takes n from the rule's budget and reports whether it lasted.
func (c *compiler) spend(n int) bool {
	c.budget -= n
	if c.budget < 0 {
		c.fail("condition too large once macros and lists are expanded (over %d nodes)", ruleBudget)
		return false
	}
	return true
}

func (c *compiler) fail(format string, args ...any) {
	r := fmt.Sprintf(format, args...)
	if !slices.Contains(c.reasons, r) {
		c.reasons = append(c.reasons, r)
	}
}

func (c *compiler) note(format string, args ...any) {
	r := fmt.Sprintf(format, args...)
	if !slices.Contains(c.notes, r) {
		c.notes = append(c.notes, r)
	}
}

var (
	alwaysFalse = compiled{p: func(*evctx) bool { return false }, types: allTypes}
	alwaysTrue  = compiled{p: func(*evctx) bool { return true }, types: allTypes}
)

// Where a sub-condition sits decides what an unanswerable comparison in
// it does. A rule reads "what to catch and not exclusion and not
// exclusion...": a not that is a conjunct of the rule's top-level and-chain
// is an exclusion, and a comparison inside it that the engine cannot answer
// is taken as false (the exclusion does not apply: the rule may alert more,
// never less). Anywhere else such a comparison disables the rule.
type place uint8

const (
	inChain     place = iota // the rule's top-level and-chain
	inExclusion              // under a not of the chain (and no further not)
	elsewhere
)

// compile compiles n at place at.
func (c *compiler) compile(n node, at place) compiled {
	if !c.spend(1) {
		return alwaysFalse
	}
	switch n := n.(type) {
	case andNode:
		ps := make([]pred, len(n.kids))
		out := compiled{types: allTypes, pure: true}
		unsup, notes := len(c.unsup), len(c.notes)
		for i, k := range n.kids {
			ck := c.compile(k, at)
			ps[i] = ck.p
			out.types &= ck.types
			out.pure = out.pure && ck.pure
		}
		if out.types == 0 {
			// Only unobserved event types get here (sendto in Falco's
			// outbound macro): what it cannot answer does not matter.
			c.unsup, c.notes = c.unsup[:unsup], c.notes[:notes]
			return compiled{p: alwaysFalse.p, pure: out.pure}
		}
		out.p = andPred(ps)
		return out
	case orNode:
		if at == inChain {
			at = elsewhere
		}
		ps := make([]pred, len(n.kids))
		out := compiled{pure: true}
		for i, k := range n.kids {
			ck := c.compile(k, at)
			ps[i] = ck.p
			out.types |= ck.types
			out.pure = out.pure && ck.pure
		}
		out.p = orPred(ps)
		return out
	case notNode:
		kidAt := elsewhere
		if at == inChain {
			kidAt = inExclusion
		}
		ck := c.compile(n.kid, kidAt)
		p := ck.p
		out := compiled{p: func(e *evctx) bool { return !p(e) }, types: allTypes, pure: ck.pure}
		if ck.pure {
			out.types = allTypes &^ ck.types
		}
		return out
	case macroRef:
		return c.macro(n.name, at)
	case cmpNode:
		return c.cmp(n, at)
	}
	c.fail("internal: unknown node %T", n)
	return alwaysFalse
}

func andPred(ps []pred) pred {
	switch len(ps) {
	case 1:
		return ps[0]
	case 2:
		a, b := ps[0], ps[1]
		return func(e *evctx) bool { return a(e) && b(e) }
	}
	return func(e *evctx) bool {
		for _, p := range ps {
			if !p(e) {
				return false
			}
		}
		return true
	}
}

func orPred(ps []pred) pred {
	switch len(ps) {
	case 1:
		return ps[0]
	case 2:
		a, b := ps[0], ps[1]
		return func(e *evctx) bool { return a(e) || b(e) }
	}
	return func(e *evctx) bool {
		for _, p := range ps {
			if p(e) {
				return true
			}
		}
		return false
	}
}

func (c *compiler) macro(name string, at place) compiled {
	m, ok := c.macros[name]
	if !ok {
		c.fail("undefined macro %s", name)
		return alwaysFalse
	}
	if slices.Contains(c.stack, name) {
		c.fail("macro %s refers to itself (%s -> %s)", name, strings.Join(c.stack, " -> "), name)
		return alwaysFalse
	}
	if len(c.stack) >= maxDepth {
		c.fail("macros nested deeper than %d", maxDepth)
		return alwaysFalse
	}
	if !m.parse {
		m.ast, m.err = parseCondition(m.cond)
		m.parse = true
	}
	if m.err != nil {
		c.fail("macro %s: %v", name, m.err)
		return alwaysFalse
	}
	c.stack = append(c.stack, name)
	out := c.compile(m.ast, at)
	c.stack = c.stack[:len(c.stack)-1]
	return out
}

// expand resolves list references among values: a bare value naming a list
// becomes that list's items, recursively.
func (c *compiler) expand(vs []value, depth int, seen map[string]bool) []value {
	var out []value
	for _, v := range vs {
		items, ok := c.lists[v.text]
		if v.quoted || !ok {
			out = append(out, v)
			continue
		}
		if seen[v.text] || depth > maxDepth {
			c.fail("list %s refers to itself", v.text)
			continue
		}
		if !c.spend(len(items)) {
			return out
		}
		seen[v.text] = true
		out = append(out, c.expand(items, depth+1, seen)...)
		delete(seen, v.text)
	}
	return out
}

// cmp compiles one comparison.
func (c *compiler) cmp(n cmpNode, at place) compiled {
	name := n.field
	if n.hasArg {
		name += "[" + n.arg + "]"
	}
	f, err := lookupField(n.field, n.arg, n.hasArg)
	if err != nil {
		var ue *unsupportedError
		if errors.As(err, &ue) {
			return c.unsupported(ue.Error(), at)
		}
		c.fail("%s: %v", name, err)
		return alwaysFalse
	}
	vals := n.values
	if listOps[n.op] {
		vals = c.expand(vals, 0, map[string]bool{})
	}
	lits := make([]string, len(vals))
	for i, v := range vals {
		lits[i] = v.text
		if f.literal != nil {
			if why := f.literal(v.text); why != "" {
				return c.unsupported(name+": "+why, at)
			}
		}
	}
	if n.field == "evt.type" && !n.hasArg {
		if out, ok := c.evtType(n.op, lits); ok {
			return out
		}
	}
	if n.field == "proc.name" && at != inExclusion && (n.op == "=" || n.op == "==" || n.op == "in") {
		c.procNames = append(c.procNames, lits...)
	}
	p, err := buildPred(f, n.op, lits)
	if err != nil {
		c.fail("%s %s: %v", name, n.op, err)
		return alwaysFalse
	}
	return compiled{p: p, types: allTypes}
}

// unsupported handles a comparison the engine cannot answer: taken as
// false inside an exclusion, else the rule is disabled (see place).
func (c *compiler) unsupported(why string, at place) compiled {
	if at == inExclusion {
		c.note("%s (taken as false in an exclusion)", why)
		return alwaysFalse
	}
	if !slices.Contains(c.unsup, why) {
		c.unsup = append(c.unsup, why)
	}
	return alwaysFalse
}

// evtType compiles evt.type tests into event type masks.
func (c *compiler) evtType(op string, lits []string) (compiled, bool) {
	var set typeSet
	for _, l := range lits {
		t, ok := typeAliases[l]
		if !ok {
			c.noTypes[l] = true
			continue
		}
		set |= typeBit(t)
	}
	switch op {
	case "=", "==", "in":
		s := set
		return compiled{p: func(e *evctx) bool { return e.bit&s != 0 }, types: s, pure: true}, true
	case "!=":
		s := allTypes &^ set
		return compiled{p: func(e *evctx) bool { return e.bit&s != 0 }, types: s, pure: true}, true
	}
	return compiled{}, false
}

// buildPred builds the comparison of a field with literals.
func buildPred(f fieldDef, op string, lits []string) (pred, error) {
	if op == "==" {
		op = "="
	}
	if op == "exists" {
		return existsPred(f), nil
	}
	switch f.kind {
	case kNum:
		return numPred(f, op, lits)
	case kAddr:
		return addrPred(f, op, lits)
	case kMulti:
		if op == "!=" {
			m, err := strMatcher("=", lits)
			if err != nil {
				return nil, err
			}
			return func(e *evctx) bool {
				vs, ok := f.multi(e)
				return ok && !slices.ContainsFunc(vs, m)
			}, nil
		}
		m, err := strMatcher(op, lits)
		if err != nil {
			return nil, err
		}
		return func(e *evctx) bool {
			vs, ok := f.multi(e)
			return ok && slices.ContainsFunc(vs, m)
		}, nil
	}
	if op == "!=" {
		lit := lits[0]
		return func(e *evctx) bool {
			s, ok := f.str(e)
			return ok && s != lit
		}, nil
	}
	m, err := strMatcher(op, lits)
	if err != nil {
		return nil, err
	}
	get := f.str
	return func(e *evctx) bool {
		s, ok := get(e)
		return ok && m(s)
	}, nil
}

func existsPred(f fieldDef) pred {
	switch f.kind {
	case kNum:
		return func(e *evctx) bool { _, ok := f.num(e); return ok }
	case kMulti:
		return func(e *evctx) bool { _, ok := f.multi(e); return ok }
	case kAddr:
		return func(e *evctx) bool { _, ok := f.addrs(e); return ok }
	}
	return func(e *evctx) bool { _, ok := f.str(e); return ok }
}

// strMatcher returns a test of one string value against the literals.
func strMatcher(op string, lits []string) (func(string) bool, error) {
	if len(lits) == 0 {
		if listOps[op] {
			return func(string) bool { return false }, nil
		}
		return nil, errors.New("missing value")
	}
	lit := lits[0]
	switch op {
	case "=":
		return func(s string) bool { return s == lit }, nil
	case "contains":
		return func(s string) bool { return strings.Contains(s, lit) }, nil
	case "icontains":
		l := strings.ToLower(lit)
		return func(s string) bool { return containsFold(s, l) }, nil
	case "startswith":
		return func(s string) bool { return strings.HasPrefix(s, lit) }, nil
	case "endswith":
		return func(s string) bool { return strings.HasSuffix(s, lit) }, nil
	case "bcontains", "bstartswith":
		b, err := hex.DecodeString(strings.ReplaceAll(lit, " ", ""))
		if err != nil {
			return nil, fmt.Errorf("%q is not hex bytes", lit)
		}
		if op == "bcontains" {
			return func(s string) bool { return bytes.Contains([]byte(s), b) }, nil
		}
		return func(s string) bool { return strings.HasPrefix(s, string(b)) }, nil
	case "glob":
		if m := simpleGlob(lit); m != nil {
			return m, nil
		}
		return func(s string) bool { return glob(lit, s) }, nil
	case "iglob":
		l := strings.ToLower(lit)
		return func(s string) bool { return glob(l, strings.ToLower(s)) }, nil
	case "regex":
		re, err := regexp.Compile(lit)
		if err != nil {
			return nil, fmt.Errorf("bad regex: %w", err)
		}
		return re.MatchString, nil
	case "in", "intersects":
		if len(lits) <= 6 {
			ls := slices.Clone(lits)
			return func(s string) bool { return slices.Contains(ls, s) }, nil
		}
		set := make(map[string]struct{}, len(lits))
		for _, l := range lits {
			set[l] = struct{}{}
		}
		return func(s string) bool { _, ok := set[s]; return ok }, nil
	case "pmatch":
		prefixes := make([]string, len(lits))
		for i, l := range lits {
			prefixes[i] = strings.TrimSuffix(l, "/")
		}
		return func(s string) bool {
			for _, p := range prefixes {
				if s == p || strings.HasPrefix(s, p+"/") || p == "" && strings.HasPrefix(s, "/") {
					return true
				}
			}
			return false
		}, nil
	case "<", "<=", ">", ">=":
		return nil, errors.New("ordering operators need a numeric field")
	}
	return nil, fmt.Errorf("operator not supported for this field")
}

// containsFold reports whether s contains lower (already lower-case),
// ignoring ASCII case, without allocating.
func containsFold(s, lower string) bool {
	n := len(lower)
	if n == 0 {
		return true
	}
outer:
	for i := 0; i+n <= len(s); i++ {
		for j := 0; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				continue outer
			}
		}
		return true
	}
	return false
}

func numPred(f fieldDef, op string, lits []string) (pred, error) {
	ns := make([]int64, 0, len(lits))
	for _, l := range lits {
		n, err := strconv.ParseInt(l, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", l)
		}
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		if listOps[op] {
			return func(*evctx) bool { return false }, nil
		}
		return nil, errors.New("missing value")
	}
	get, lit := f.num, ns[0]
	var cmp func(int64) bool
	switch op {
	case "=":
		cmp = func(v int64) bool { return v == lit }
	case "!=":
		cmp = func(v int64) bool { return v != lit }
	case "<":
		cmp = func(v int64) bool { return v < lit }
	case "<=":
		cmp = func(v int64) bool { return v <= lit }
	case ">":
		cmp = func(v int64) bool { return v > lit }
	case ">=":
		cmp = func(v int64) bool { return v >= lit }
	case "in", "intersects":
		cmp = func(v int64) bool { return slices.Contains(ns, v) }
	default:
		return nil, errors.New("operator not supported for a numeric field")
	}
	return func(e *evctx) bool {
		v, ok := get(e)
		return ok && cmp(v)
	}, nil
}

func addrPred(f fieldDef, op string, lits []string) (pred, error) {
	var nets []netip.Prefix
	for _, l := range lits {
		p, err := netip.ParsePrefix(l)
		if err != nil {
			a, aerr := netip.ParseAddr(l)
			if aerr != nil {
				return nil, fmt.Errorf("%q is neither an address nor a network", l)
			}
			a = a.Unmap()
			p = netip.PrefixFrom(a, a.BitLen())
		}
		nets = append(nets, p.Masked())
	}
	in := func(as []netip.Addr) bool {
		for _, a := range as {
			for _, n := range nets {
				if n.Contains(a) {
					return true
				}
			}
		}
		return false
	}
	switch op {
	case "=", "in", "intersects":
		return func(e *evctx) bool { as, ok := f.addrs(e); return ok && in(as) }, nil
	case "!=":
		return func(e *evctx) bool { as, ok := f.addrs(e); return ok && !in(as) }, nil
	}
	return nil, errors.New("operator not supported for a network field")
}

// simpleGlob turns a pattern whose only metacharacters are a leading or
// trailing * into a plain string test; nil for other patterns.
func simpleGlob(p string) func(string) bool {
	core := strings.TrimSuffix(strings.TrimPrefix(p, "*"), "*")
	if strings.ContainsAny(core, "*?[\\") {
		return nil
	}
	lead, trail := strings.HasPrefix(p, "*"), len(p) > 1 && strings.HasSuffix(p, "*")
	switch {
	case lead && trail:
		return func(s string) bool { return strings.Contains(s, core) }
	case lead:
		return func(s string) bool { return strings.HasSuffix(s, core) }
	case trail:
		return func(s string) bool { return strings.HasPrefix(s, core) }
	}
	return func(s string) bool { return s == core }
}

// glob matches s against pattern with *, ? and [...] classes; * also
// matches /, as in Falco.
func glob(pattern, s string) bool {
	px, sx := 0, 0
	nextP, nextS := -1, -1
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				nextP, nextS = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			case '[':
				if sx < len(s) {
					if ok, width := classMatch(pattern[px:], s[sx]); width > 0 {
						if ok {
							px += width
							sx++
							continue
						}
						break
					}
				}
				if sx < len(s) && s[sx] == '[' {
					px++
					sx++
					continue
				}
			case '\\':
				if px+1 < len(pattern) && sx < len(s) && pattern[px+1] == s[sx] {
					px += 2
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextS > 0 && nextS <= len(s) {
			px, sx = nextP, nextS
			continue
		}
		return false
	}
	return true
}

// classMatch matches c against the [...] class at the start of p and
// returns the class's width, 0 when p holds no closed class.
func classMatch(p string, c byte) (bool, int) {
	i := 1
	negate := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	matched := false
	first := true
	for i < len(p) {
		if p[i] == ']' && !first {
			return matched != negate, i + 1
		}
		first = false
		lo := p[i]
		hi := lo
		if i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']' {
			hi = p[i+2]
			i += 2
		}
		if lo <= c && c <= hi {
			matched = true
		}
		i++
	}
	return false, 0
}

// sortedKeys returns a map's keys, sorted.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
