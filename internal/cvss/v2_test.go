package cvss

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestV2FloatMatchesExact checks the float64 path of the v2.0 equations
// against exact rational arithmetic on every 7th Base × Temporal
// combination (7 is prime to the 100 temporal combinations, so each meets
// many Base vectors) and on random vectors with environmental metrics: the
// float path must either agree or hand over to the exact one.
func TestV2FloatMatchesExact(t *testing.T) {
	var vecs []*Vector
	var rec func(i int, v Vector)
	n := 0
	rec = func(i int, v Vector) {
		if i == v2CDP {
			if n++; n%7 == 0 {
				vecs = append(vecs, &v)
			}
			return
		}
		for k := range v20Def.metrics[i].values {
			v.vals[i] = uint8(k + 1)
			rec(i+1, v)
		}
	}
	rec(0, Vector{def: &v20Def})
	r := rand.New(rand.NewPCG(2, 0))
	for range 10000 {
		v := Vector{def: &v20Def}
		for i, m := range v20Def.metrics {
			if m.required || r.IntN(2) == 0 {
				v.vals[i] = uint8(r.IntN(len(m.values)) + 1)
			}
		}
		vecs = append(vecs, &v)
	}
	exact := 0
	for _, v := range vecs {
		got, ok := v.v2ScoresFloat()
		want := v.v2ScoresExact()
		if !ok {
			exact++
			continue
		}
		if got != want {
			t.Fatalf("%s: float64 %v, exact %v", v, got, want)
		}
	}
	t.Logf("%d vectors, %d near a tie computed exactly", len(vecs), exact)
	if exact == 0 || exact > len(vecs)/10 {
		t.Errorf("%d of %d vectors took the exact path", exact, len(vecs))
	}
	if !strings.HasPrefix(vecs[0].String(), "AV:L/AC:H/Au:M/C:N/I:N/A:N/") {
		t.Errorf("enumeration starts at %s", vecs[0])
	}
}
