package cvss

import (
	"math"
	"math/big"
)

// CVSS v2.0, from "A Complete Guide to the Common Vulnerability Scoring
// System Version 2.0" (FIRST, 2007), sections 2 and 3.

// Metric indexes of v20Def, in the guide's order (section 2.4, Table 13).
const (
	v2AV = iota
	v2AC
	v2Au
	v2C
	v2I
	v2A
	v2E
	v2RL
	v2RC
	v2CDP
	v2TD
	v2CR
	v2IR
	v2AR

	v2TemporalFirst = v2E
	v2EnvFirst      = v2CDP
)

var v20Def = newVersionDef(V20, "", "ND", false, []metricDef{
	{"AV", []string{"L", "A", "N"}, true},
	{"AC", []string{"H", "M", "L"}, true},
	{"Au", []string{"M", "S", "N"}, true},
	{"C", []string{"N", "P", "C"}, true},
	{"I", []string{"N", "P", "C"}, true},
	{"A", []string{"N", "P", "C"}, true},
	{"E", []string{"ND", "U", "POC", "F", "H"}, false},
	{"RL", []string{"ND", "OF", "TF", "W", "U"}, false},
	{"RC", []string{"ND", "UC", "UR", "C"}, false},
	{"CDP", []string{"ND", "N", "L", "LM", "MH", "H"}, false},
	{"TD", []string{"ND", "N", "L", "M", "H"}, false},
	{"CR", []string{"ND", "L", "M", "H"}, false},
	{"IR", []string{"ND", "L", "M", "H"}, false},
	{"AR", []string{"ND", "L", "M", "H"}, false},
})

// v2Weights are the constants of the guide's section 3.2, in thousandths,
// aligned with the values of v20Def.metrics.
var v2Weights = [...][]int64{
	v2AV:  {395, 646, 1000},
	v2AC:  {350, 610, 710},
	v2Au:  {450, 560, 704},
	v2C:   {0, 275, 660},
	v2I:   {0, 275, 660},
	v2A:   {0, 275, 660},
	v2E:   {1000, 850, 900, 950, 1000},
	v2RL:  {1000, 870, 900, 950, 1000},
	v2RC:  {1000, 900, 950, 1000},
	v2CDP: {0, 0, 100, 300, 400, 500},
	v2TD:  {1000, 0, 250, 750, 1000},
	v2CR:  {1000, 500, 1000, 1510},
	v2IR:  {1000, 500, 1000, 1510},
	v2AR:  {1000, 500, 1000, 1510},
}

// v2Weight returns the constant of metric i's value, in thousandths; an
// absent optional metric is Not Defined, the first of its values.
func (v *Vector) v2Weight(i int) int64 {
	k := v.vals[i]
	if k != 0 {
		k--
	}
	return v2Weights[i][k]
}

// v2Scores computes the equations of the guide's section 3.2 as the guide
// writes them, in decimal arithmetic, rounding half up. Binary floating
// point lands just below some ties: 9.0 × 0.95 is 8.549999999999999 in
// float64, which would round to 8.5 where the guide's arithmetic gives 8.6.
// So the equations run in float64 first, and again in exact rational
// arithmetic when any rounding meets a value within 1e-6 of a tie (a few
// vectors in a thousand). Base scores come out the same either way; some
// temporal and environmental scores do not.
func (v *Vector) v2Scores() scores {
	if s, ok := v.v2ScoresFloat(); ok {
		return s
	}
	return v.v2ScoresExact()
}

func (v *Vector) v2ScoresFloat() (scores, bool) {
	w := func(i int) float64 { return float64(v.v2Weight(i)) / 1000 }
	ok := true
	round := func(x float64) float64 {
		t := math.Abs(float64(x * 10))
		if f := t - math.Floor(t); math.Abs(f-0.5) < 1e-6 {
			ok = false
		}
		return math.Copysign(math.Floor(t+0.5), x) / 10
	}
	base := func(impact, exploitability float64) float64 {
		if impact == 0 {
			return 0
		}
		return round(float64(float64(float64(0.6*impact)+float64(0.4*exploitability))-1.5) * 1.176)
	}
	c, i, a := w(v2C), w(v2I), w(v2A)
	e, rl, rc := w(v2E), w(v2RL), w(v2RC)
	exploitability := float64(20 * w(v2AV) * w(v2AC) * w(v2Au))
	impact := float64(10.41 * (1 - float64(float64((1-c)*(1-i))*(1-a))))
	b := base(impact, exploitability)
	temporal := round(b * e * rl * rc)

	cr, ir, ar := w(v2CR), w(v2IR), w(v2AR)
	adjImpact := math.Min(10, 10.41*(1-float64(float64((1-float64(c*cr))*(1-float64(i*ir)))*(1-float64(a*ar)))))
	adjTemporal := round(base(adjImpact, exploitability) * e * rl * rc)
	env := round(float64(adjTemporal+float64((10-adjTemporal)*w(v2CDP))) * w(v2TD))
	return scores{b, temporal, math.Max(env, 0)}, ok
}

// v2ScoresExact is v2ScoresFloat in exact rational arithmetic.
func (v *Vector) v2ScoresExact() scores {
	w := func(i int) *big.Rat { return milli(v.v2Weight(i)) }
	one := big.NewRat(1, 1)
	c, i, a := w(v2C), w(v2I), w(v2A)
	e, rl, rc := w(v2E), w(v2RL), w(v2RC)

	exploitability := mul(big.NewRat(20, 1), w(v2AV), w(v2AC), w(v2Au))
	impact := mul(milli(10410), sub(one, mul(sub(one, c), sub(one, i), sub(one, a))))
	base := v2BaseExact(impact, exploitability)
	temporal := round1Exact(mul(base, e, rl, rc))

	cr, ir, ar := w(v2CR), w(v2IR), w(v2AR)
	adjImpact := mul(milli(10410), sub(one, mul(sub(one, mul(c, cr)), sub(one, mul(i, ir)), sub(one, mul(a, ar)))))
	if ten := big.NewRat(10, 1); adjImpact.Cmp(ten) > 0 {
		adjImpact = ten
	}
	adjTemporal := round1Exact(mul(v2BaseExact(adjImpact, exploitability), e, rl, rc))
	env := round1Exact(mul(new(big.Rat).Add(adjTemporal, mul(sub(big.NewRat(10, 1), adjTemporal), w(v2CDP))), w(v2TD)))
	if env.Sign() < 0 { // a score is never below 0
		env = new(big.Rat)
	}
	return scores{ratFloat(base), ratFloat(temporal), ratFloat(env)}
}

// v2BaseExact is the BaseScore equation, f(Impact) folded in:
// round_to_1_decimal(((0.6*Impact)+(0.4*Exploitability)-1.5)*f(Impact)).
func v2BaseExact(impact, exploitability *big.Rat) *big.Rat {
	if impact.Sign() == 0 {
		return new(big.Rat)
	}
	sum := new(big.Rat).Add(mul(milli(600), impact), mul(milli(400), exploitability))
	return round1Exact(mul(sub(sum, milli(1500)), milli(1176)))
}

// round1Exact is the guide's round_to_1_decimal: to one decimal place, ties
// away from zero. Only the adjusted temporal score inside the environmental
// equation can be negative (a Low requirement on the only impact); the
// environmental score itself is then clamped at 0.
func round1Exact(x *big.Rat) *big.Rat {
	t := mul(new(big.Rat).Abs(x), big.NewRat(10, 1))
	t.Add(t, big.NewRat(1, 2))
	n := new(big.Int).Quo(t.Num(), t.Denom()) // floor, as t > 0
	if x.Sign() < 0 {
		n.Neg(n)
	}
	return new(big.Rat).SetFrac(n, big.NewInt(10))
}

func milli(n int64) *big.Rat { return big.NewRat(n, 1000) }

func sub(a, b *big.Rat) *big.Rat { return new(big.Rat).Sub(a, b) }

func mul(xs ...*big.Rat) *big.Rat {
	r := big.NewRat(1, 1)
	for _, x := range xs {
		r.Mul(r, x)
	}
	return r
}

func ratFloat(r *big.Rat) float64 {
	f, _ := r.Float64()
	return f
}
