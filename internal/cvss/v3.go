package cvss

import "math"

// CVSS v3.0 and v3.1, from the specification documents of each (FIRST,
// 2015 and 2019), section 8 (3.0) and section 7 (3.1). The equations are
// evaluated in the order of FIRST's own calculators (cvsscalc30.js,
// cvsscalc31.js) so that floating point gives the same results.

// Metric indexes of v30Def and v31Def, in the order of Table 15 (3.1).
const (
	v3AV = iota
	v3AC
	v3PR
	v3UI
	v3S
	v3C
	v3I
	v3A
	v3E
	v3RL
	v3RC
	v3CR
	v3IR
	v3AR
	v3MAV
	v3MAC
	v3MPR
	v3MUI
	v3MS
	v3MC
	v3MI
	v3MA
)

var v3Metrics = []metricDef{
	{"AV", []string{"N", "A", "L", "P"}, true},
	{"AC", []string{"L", "H"}, true},
	{"PR", []string{"N", "L", "H"}, true},
	{"UI", []string{"N", "R"}, true},
	{"S", []string{"U", "C"}, true},
	{"C", []string{"H", "L", "N"}, true},
	{"I", []string{"H", "L", "N"}, true},
	{"A", []string{"H", "L", "N"}, true},
	{"E", []string{"X", "H", "F", "P", "U"}, false},
	{"RL", []string{"X", "U", "W", "T", "O"}, false},
	{"RC", []string{"X", "C", "R", "U"}, false},
	{"CR", []string{"X", "H", "M", "L"}, false},
	{"IR", []string{"X", "H", "M", "L"}, false},
	{"AR", []string{"X", "H", "M", "L"}, false},
	{"MAV", []string{"X", "N", "A", "L", "P"}, false},
	{"MAC", []string{"X", "L", "H"}, false},
	{"MPR", []string{"X", "N", "L", "H"}, false},
	{"MUI", []string{"X", "N", "R"}, false},
	{"MS", []string{"X", "U", "C"}, false},
	{"MC", []string{"X", "N", "L", "H"}, false},
	{"MI", []string{"X", "N", "L", "H"}, false},
	{"MA", []string{"X", "N", "L", "H"}, false},
}

var (
	v30Def = newVersionDef(V30, "CVSS:3.0/", "X", false, v3Metrics)
	v31Def = newVersionDef(V31, "CVSS:3.1/", "X", false, v3Metrics)
)

// v3Weight returns the constant of Table 16 (3.1) for a value of a Base,
// Temporal or requirement metric. Privileges Required depends on whether
// the (modified) scope is changed.
func v3Weight(metric int, val string, changed bool) float64 {
	switch metric {
	case v3AV:
		switch val {
		case "N":
			return 0.85
		case "A":
			return 0.62
		case "L":
			return 0.55
		}
		return 0.2
	case v3AC:
		if val == "L" {
			return 0.77
		}
		return 0.44
	case v3PR:
		switch {
		case val == "N":
			return 0.85
		case val == "L" && changed:
			return 0.68
		case val == "L":
			return 0.62
		case changed:
			return 0.5
		}
		return 0.27
	case v3UI:
		if val == "N" {
			return 0.85
		}
		return 0.62
	case v3C, v3I, v3A:
		switch val {
		case "H":
			return 0.56
		case "L":
			return 0.22
		}
		return 0
	case v3E:
		switch val {
		case "F":
			return 0.97
		case "P":
			return 0.94
		case "U":
			return 0.91
		}
		return 1 // X, H
	case v3RL:
		switch val {
		case "W":
			return 0.97
		case "T":
			return 0.96
		case "O":
			return 0.95
		}
		return 1 // X, U
	case v3RC:
		switch val {
		case "R":
			return 0.96
		case "U":
			return 0.92
		}
		return 1 // X, C
	default: // CR, IR, AR
		switch val {
		case "H":
			return 1.5
		case "L":
			return 0.5
		}
		return 1 // X, M
	}
}

// modified returns the value of a modified Base metric, falling back to the
// Base metric when it is Not Defined.
func (v *Vector) modified(mod, base int) string {
	if v.defined(mod) {
		return v.get(mod)
	}
	return v.get(base)
}

// v3Scores computes the Base, Temporal and Environmental equations. v3.0 and
// v3.1 differ in Roundup and in the ModifiedImpact of a changed scope. Every
// product that meets a sum is converted to float64 first: Go may otherwise
// fuse the two into one multiply-add (it does on arm64, and on amd64 v3),
// whose single rounding differs from JavaScript's two.
func (v *Vector) v3Scores() scores {
	is31 := v.def.version == V31
	roundup := roundup30
	if is31 {
		roundup = roundup31
	}

	changed := v.get(v3S) == "C"
	w := func(i int) float64 { return v3Weight(i, v.get(i), changed) }

	iss := 1 - float64(float64((1-w(v3C))*(1-w(v3I)))*(1-w(v3A)))
	var impact float64
	if changed {
		impact = float64(7.52*(iss-0.029)) - float64(3.25*math.Pow(iss-0.02, 15))
	} else {
		impact = float64(6.42 * iss)
	}
	exploitability := float64(8.22 * w(v3AV) * w(v3AC) * w(v3PR) * w(v3UI))
	var base float64
	switch {
	case impact <= 0:
		base = 0
	case changed:
		base = roundup(math.Min(1.08*(exploitability+impact), 10))
	default:
		base = roundup(math.Min(exploitability+impact, 10))
	}

	temporal := roundup(base * w(v3E) * w(v3RL) * w(v3RC))

	mChanged := v.modified(v3MS, v3S) == "C"
	mw := func(mod, base int) float64 { return v3Weight(base, v.modified(mod, base), mChanged) }
	miss := math.Min(1-float64(float64(
		(1-float64(mw(v3MC, v3C)*w(v3CR)))*
			(1-float64(mw(v3MI, v3I)*w(v3IR))))*
		(1-float64(mw(v3MA, v3A)*w(v3AR)))), 0.915)
	var mImpact float64
	switch {
	case !mChanged:
		mImpact = float64(6.42 * miss)
	case is31:
		mImpact = float64(7.52*(miss-0.029)) - float64(3.25*math.Pow(float64(miss*0.9731)-0.02, 13))
	default:
		mImpact = float64(7.52*(miss-0.029)) - float64(3.25*math.Pow(miss-0.02, 15))
	}
	mExploitability := float64(8.22 * mw(v3MAV, v3AV) * mw(v3MAC, v3AC) * mw(v3MPR, v3PR) * mw(v3MUI, v3UI))
	var env float64
	switch {
	case mImpact <= 0:
		env = 0
	case mChanged:
		env = roundup(roundup(math.Min(1.08*(mImpact+mExploitability), 10)) * w(v3E) * w(v3RL) * w(v3RC))
	default:
		env = roundup(roundup(math.Min(mImpact+mExploitability, 10)) * w(v3E) * w(v3RL) * w(v3RC))
	}
	return scores{base, temporal, env}
}

// roundup31 is Roundup as CVSS v3.1 Appendix A defines it: round to 5
// decimal places first, then round up in integer arithmetic, so that
// floating point noise (4.000000000000001) does not push a score up by 0.1.
func roundup31(x float64) float64 {
	i := int64(math.Round(float64(x * 100000)))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}

// roundup30 is Roundup as CVSS v3.0 defines it and FIRST's v3.0 calculator
// implements it: the smallest one-decimal number not below x, with no
// guard against floating point noise. Published v3.0 scores were computed
// this way.
func roundup30(x float64) float64 {
	return math.Ceil(float64(x*10)) / 10
}
