// Package ahocorasick finds every occurrence of a fixed set of keywords in
// a byte slice in one pass, ASCII case-insensitively. It is the literal
// prefilter shared by the secret and PII scanners: each of them looks up
// the keywords of its rules here and runs a rule's regular expression only
// near a hit.
//
// The automaton is compiled to a dense DFA over byte classes, so a scan is
// one table lookup per byte and costs the same however many keywords there
// are. Bytes are folded to classes: every byte that appears in no keyword is
// one class, and 'A'-'Z' share the class of their lower-case letter, so
// matching is case-insensitive without copying the input.
package ahocorasick

// Matcher is a compiled keyword set. It is immutable once built and safe
// for concurrent use.
type Matcher struct {
	class    [256]uint8
	nclass   int
	outStart []int32 // outputs of state s are outs[outStart[s]:outStart[s+1]]
	outs     []int32 // keyword indexes
	kwLen    []int   // length of each keyword
	delta    []int32 // premultiplied DFA: state*nclass + class -> next*nclass
	hasOut   []bool  // by premultiplied state: the state has outputs
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// New builds the automaton. Keywords must be non-empty; they are matched
// ASCII case-insensitively and may repeat (each index reports its own hits).
func New(keywords []string) *Matcher {
	m := &Matcher{}
	// Byte classes: class 0 is "in no keyword".
	var used [256]bool
	for _, k := range keywords {
		for i := 0; i < len(k); i++ {
			used[lower(k[i])] = true
		}
	}
	n := 1
	for b := 0; b < 256; b++ {
		if used[b] {
			m.class[b] = uint8(n)
			n++
		}
	}
	for b := 'A'; b <= 'Z'; b++ {
		m.class[b] = m.class[b+'a'-'A']
	}
	m.nclass = n

	// Trie with goto edges; -1 means no edge.
	type node struct{ out []int32 }
	gotoT := []int32{}
	nodes := []node{{}}
	for c := 0; c < n; c++ {
		gotoT = append(gotoT, -1)
	}
	m.kwLen = make([]int, len(keywords))
	for ki, k := range keywords {
		m.kwLen[ki] = len(k)
		s := int32(0)
		for i := 0; i < len(k); i++ {
			c := int32(m.class[lower(k[i])])
			if gotoT[int(s)*n+int(c)] < 0 {
				gotoT[int(s)*n+int(c)] = int32(len(nodes))
				nodes = append(nodes, node{})
				for j := 0; j < n; j++ {
					gotoT = append(gotoT, -1)
				}
			}
			s = gotoT[int(s)*n+int(c)]
		}
		nodes[s].out = append(nodes[s].out, int32(ki))
	}
	// Breadth-first: failure links, and fill the DFA.
	fail := make([]int32, len(nodes))
	next := make([]int32, len(nodes)*n)
	queue := []int32{}
	for c := 0; c < n; c++ {
		t := gotoT[c]
		if t < 0 {
			next[c] = 0
			continue
		}
		next[c] = t
		fail[t] = 0
		queue = append(queue, t)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		nodes[s].out = append(nodes[s].out, nodes[fail[s]].out...)
		for c := 0; c < n; c++ {
			t := gotoT[int(s)*n+c]
			if t < 0 {
				next[int(s)*n+c] = next[int(fail[s])*n+c]
				continue
			}
			next[int(s)*n+c] = t
			fail[t] = next[int(fail[s])*n+c]
			queue = append(queue, t)
		}
	}
	m.outStart = make([]int32, len(nodes)+1)
	for i, nd := range nodes {
		m.outStart[i] = int32(len(m.outs))
		m.outs = append(m.outs, nd.out...)
	}
	m.outStart[len(nodes)] = int32(len(m.outs))
	// Premultiply the states so a scan step is one add and one load.
	m.delta = make([]int32, len(next))
	m.hasOut = make([]bool, len(next))
	for i, t := range next {
		m.delta[i] = t * int32(n)
	}
	for st := range nodes {
		m.hasOut[st*n] = m.outStart[st] != m.outStart[st+1]
	}
	return m
}

// KeywordLen is the length in bytes of keyword kw (an index into the
// slice given to New), so a hit's start is end - KeywordLen(kw).
func (m *Matcher) KeywordLen(kw int) int { return m.kwLen[kw] }

// Scan calls hit(kw, end) for every occurrence of every keyword in b, kw
// being the keyword's index in the slice given to New and end the offset
// just past the occurrence. Hits come in order of end.
func (m *Matcher) Scan(b []byte, hit func(kw int, end int)) {
	// The table holds premultiplied states (state*nclass), so a step is
	// one add and one load; hasOut marks, by premultiplied state, the
	// states with outputs.
	s := int32(0)
	n := int32(m.nclass)
	delta, hasOut, class := m.delta, m.hasOut, &m.class
	for i := 0; i < len(b); i++ {
		s = delta[s+int32(class[b[i]])]
		if hasOut[s] {
			st := s / n
			for _, k := range m.outs[m.outStart[st]:m.outStart[st+1]] {
				hit(int(k), i+1)
			}
		}
	}
}
