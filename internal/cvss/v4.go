package cvss

import "math"

// CVSS v4.0, from the specification document (FIRST, 2023, version 1.2),
// section 8, and FIRST's reference calculator
// (github.com/FIRSTdotorg/cvss-v4-calculator, cvss_score.js, max_composed.js
// and max_severity.js at commit c5b0d409ae9f57c44264c6ce5f27d89298e1d32a;
// BSD-2-Clause). The specification defines the score by that code; this
// file follows it step by step, in the same floating point operations, so
// that every vector scores exactly as the calculator scores it.

// Metric indexes of v40Def, in the order of the specification's Table 23.
const (
	v4AV = iota
	v4AC
	v4AT
	v4PR
	v4UI
	v4VC
	v4VI
	v4VA
	v4SC
	v4SI
	v4SA
	v4E
	v4CR
	v4IR
	v4AR
	v4MAV
	v4MAC
	v4MAT
	v4MPR
	v4MUI
	v4MVC
	v4MVI
	v4MVA
	v4MSC
	v4MSI
	v4MSA
	v4S
	v4AU
	v4R
	v4V
	v4RE
	v4U

	v4EnvFirst          = v4CR
	v4SupplementalFirst = v4S
)

// Section 7: "A vector string must contain metrics in the order shown in
// Table 23, every other ordering is invalid."
var v40Def = newVersionDef(V40, "CVSS:4.0/", "X", true, []metricDef{
	// Base
	{"AV", []string{"N", "A", "L", "P"}, true},
	{"AC", []string{"L", "H"}, true},
	{"AT", []string{"N", "P"}, true},
	{"PR", []string{"N", "L", "H"}, true},
	{"UI", []string{"N", "P", "A"}, true},
	{"VC", []string{"H", "L", "N"}, true},
	{"VI", []string{"H", "L", "N"}, true},
	{"VA", []string{"H", "L", "N"}, true},
	{"SC", []string{"H", "L", "N"}, true},
	{"SI", []string{"H", "L", "N"}, true},
	{"SA", []string{"H", "L", "N"}, true},
	// Threat
	{"E", []string{"X", "A", "P", "U"}, false},
	// Environmental
	{"CR", []string{"X", "H", "M", "L"}, false},
	{"IR", []string{"X", "H", "M", "L"}, false},
	{"AR", []string{"X", "H", "M", "L"}, false},
	{"MAV", []string{"X", "N", "A", "L", "P"}, false},
	{"MAC", []string{"X", "L", "H"}, false},
	{"MAT", []string{"X", "N", "P"}, false},
	{"MPR", []string{"X", "N", "L", "H"}, false},
	{"MUI", []string{"X", "N", "P", "A"}, false},
	{"MVC", []string{"X", "H", "L", "N"}, false},
	{"MVI", []string{"X", "H", "L", "N"}, false},
	{"MVA", []string{"X", "H", "L", "N"}, false},
	{"MSC", []string{"X", "H", "L", "N"}, false},
	{"MSI", []string{"X", "S", "H", "L", "N"}, false},
	{"MSA", []string{"X", "S", "H", "L", "N"}, false},
	// Supplemental: never part of the score.
	{"S", []string{"X", "N", "P"}, false},
	{"AU", []string{"X", "N", "Y"}, false},
	{"R", []string{"X", "A", "U", "I"}, false},
	{"V", []string{"X", "D", "C"}, false},
	{"RE", []string{"X", "L", "M", "H"}, false},
	{"U", []string{"X", "Clear", "Green", "Amber", "Red"}, false},
})

// Nomenclature returns the name the v4.0 specification (section 1.3) gives
// the score of v: "CVSS-B" for Base metrics only, "CVSS-BT" with the Threat
// metric, "CVSS-BE" with Environmental metrics, "CVSS-BTE" with both.
// Supplemental metrics do not count. For v2.0 and v3.x it returns "".
func (v *Vector) Nomenclature() string {
	if v.def.version != V40 {
		return ""
	}
	t, e := v.defined(v4E), false
	for i := v4EnvFirst; i < v4SupplementalFirst; i++ {
		e = e || v.defined(i)
	}
	switch {
	case t && e:
		return "CVSS-BTE"
	case t:
		return "CVSS-BT"
	case e:
		return "CVSS-BE"
	}
	return "CVSS-B"
}

// v4Values are the effective values cvss_score.js's m() gives: a modified
// Base metric overrides its Base metric unless Not Defined; E defaults to A
// (Attacked) and CR, IR, AR to H, the worst case.
type v4Values struct {
	AV, AC, AT, PR, UI, VC, VI, VA, SC, SI, SA string
	E, CR, IR, AR, MSI, MSA                    string
}

func (v *Vector) v4Values() v4Values {
	orX := func(i int, def string) string {
		if s := v.get(i); s != "X" {
			return s
		}
		return def
	}
	return v4Values{
		AV: v.modified(v4MAV, v4AV), AC: v.modified(v4MAC, v4AC), AT: v.modified(v4MAT, v4AT),
		PR: v.modified(v4MPR, v4PR), UI: v.modified(v4MUI, v4UI),
		VC: v.modified(v4MVC, v4VC), VI: v.modified(v4MVI, v4VI), VA: v.modified(v4MVA, v4VA),
		SC: v.modified(v4MSC, v4SC), SI: v.modified(v4MSI, v4SI), SA: v.modified(v4MSA, v4SA),
		E: orX(v4E, "A"), CR: orX(v4CR, "H"), IR: orX(v4IR, "H"), AR: orX(v4AR, "H"),
		MSI: v.get(v4MSI), MSA: v.get(v4MSA),
	}
}

// macroVector returns the EQ1..EQ6 levels of the specification's Tables
// 24-29.
func (m *v4Values) macroVector() [6]int {
	var eq [6]int
	switch {
	case m.AV == "N" && m.PR == "N" && m.UI == "N":
		eq[0] = 0
	case (m.AV == "N" || m.PR == "N" || m.UI == "N") && m.AV != "P":
		eq[0] = 1
	default:
		eq[0] = 2
	}
	if !(m.AC == "L" && m.AT == "N") {
		eq[1] = 1
	}
	switch {
	case m.VC == "H" && m.VI == "H":
		eq[2] = 0
	case m.VC == "H" || m.VI == "H" || m.VA == "H":
		eq[2] = 1
	default:
		eq[2] = 2
	}
	switch {
	case m.MSI == "S" || m.MSA == "S":
		eq[3] = 0
	case m.SC == "H" || m.SI == "H" || m.SA == "H":
		eq[3] = 1
	default:
		eq[3] = 2
	}
	switch m.E {
	case "P":
		eq[4] = 1
	case "U":
		eq[4] = 2
	}
	if !(m.CR == "H" && m.VC == "H" || m.IR == "H" && m.VI == "H" || m.AR == "H" && m.VA == "H") {
		eq[5] = 1
	}
	return eq
}

// v4Lookup returns the score of a MacroVector, or NaN when there is no such
// MacroVector (a "next lower" one past the last level), as JavaScript's
// undefined turns into NaN in cvss_score.js.
func v4Lookup(eq [6]int) float64 {
	var k [6]byte
	for i, d := range eq {
		if d < 0 || d > 9 {
			return math.NaN()
		}
		k[i] = byte('0' + d)
	}
	if s, ok := v4MacroScores[string(k[:])]; ok {
		return s
	}
	return math.NaN()
}

// Severity levels of each metric value (cvss_score.js AV_levels etc.): the
// distance, in tenths, from the most severe value.
func levelAV(s string) float64 { return level4(s, "N", "A", "L", "P") }
func levelPR(s string) float64 { return level4(s, "N", "L", "H", "") }
func levelUI(s string) float64 { return level4(s, "N", "P", "A", "") }
func levelAC(s string) float64 { return level4(s, "L", "H", "", "") }
func levelAT(s string) float64 { return level4(s, "N", "P", "", "") }
func levelV(s string) float64  { return level4(s, "H", "L", "N", "") } // VC, VI, VA
func levelSC(s string) float64 { return level4(s, "", "H", "L", "N") }
func levelS(s string) float64  { return level4(s, "S", "H", "L", "N") } // SI, SA
func levelR(s string) float64  { return level4(s, "H", "M", "L", "") }  // CR, IR, AR

// The levels as cvss_score.js writes them, as variables so that the
// subtractions below happen in float64 at run time, as in JavaScript, and
// are not folded exactly by the compiler.
var v4Levels = [4]float64{0.0, 0.1, 0.2, 0.3}

func level4(s, l0, l1, l2, l3 string) float64 {
	switch s {
	case l0:
		return v4Levels[0]
	case l1:
		return v4Levels[1]
	case l2:
		return v4Levels[2]
	case l3:
		return v4Levels[3]
	}
	return math.NaN() // not reached for values Parse admits
}

// The highest severity vectors of each EQ level (max_composed.js).
type (
	v4Max1  struct{ AV, PR, UI string }
	v4Max2  struct{ AC, AT string }
	v4Max36 struct{ VC, VI, VA, CR, IR, AR string }
	v4Max4  struct{ SC, SI, SA string }
)

var (
	v4MaxEQ1 = [3][]v4Max1{
		0: {{"N", "N", "N"}},
		1: {{"A", "N", "N"}, {"N", "L", "N"}, {"N", "N", "P"}},
		2: {{"P", "N", "N"}, {"A", "L", "P"}},
	}
	v4MaxEQ2 = [2][]v4Max2{
		0: {{"L", "N"}},
		1: {{"H", "N"}, {"L", "P"}},
	}
	// Indexed by EQ3, then EQ6.
	v4MaxEQ36 = [3][2][]v4Max36{
		0: {
			0: {{"H", "H", "H", "H", "H", "H"}},
			1: {{"H", "H", "L", "M", "M", "H"}, {"H", "H", "H", "M", "M", "M"}},
		},
		1: {
			0: {{"L", "H", "H", "H", "H", "H"}, {"H", "L", "H", "H", "H", "H"}},
			1: {{"L", "H", "L", "H", "M", "H"}, {"L", "H", "H", "H", "M", "M"}, {"H", "L", "H", "M", "H", "M"},
				{"H", "L", "L", "M", "H", "H"}, {"L", "L", "H", "H", "H", "M"}},
		},
		2: {
			1: {{"L", "L", "L", "H", "H", "H"}},
		},
	}
	v4MaxEQ4 = [3][]v4Max4{
		0: {{"H", "S", "S"}},
		1: {{"H", "H", "H"}},
		2: {{"L", "L", "L"}},
	}
)

// Maximal severity distances within each EQ level (max_severity.js), in
// tenths.
var (
	v4MaxSeverityEQ1  = [3]int{1, 4, 5}
	v4MaxSeverityEQ2  = [2]int{1, 2}
	v4MaxSeverityEQ36 = [3][2]int{{7, 6}, {8, 8}, {0, 10}}
	v4MaxSeverityEQ4  = [3]int{6, 5, 4}
)

// v4Score is cvss_score.js's cvss_score: the MacroVector's score, lowered by
// the mean proportional distance of the vector from the MacroVector's most
// severe vectors towards the next lower MacroVectors.
func (v *Vector) v4Score() float64 {
	m := v.v4Values()
	if m.VC == "N" && m.VI == "N" && m.VA == "N" && m.SC == "N" && m.SI == "N" && m.SA == "N" {
		return 0
	}
	eq := m.macroVector()
	value := v4Lookup(eq)
	eq1, eq2, eq3, eq4, eq5, eq6 := eq[0], eq[1], eq[2], eq[3], eq[4], eq[5]

	// The next lower MacroVector of each EQ; NaN when there is none.
	next1 := v4Lookup([6]int{eq1 + 1, eq2, eq3, eq4, eq5, eq6})
	next2 := v4Lookup([6]int{eq1, eq2 + 1, eq3, eq4, eq5, eq6})
	var next36 float64
	switch {
	case eq3 == 1 && eq6 == 1, eq3 == 0 && eq6 == 1:
		next36 = v4Lookup([6]int{eq1, eq2, eq3 + 1, eq4, eq5, eq6})
	case eq3 == 1 && eq6 == 0:
		next36 = v4Lookup([6]int{eq1, eq2, eq3, eq4, eq5, eq6 + 1})
	case eq3 == 0 && eq6 == 0:
		// Two ways down; take the higher score (JavaScript's ">" is
		// false with NaN, so NaN on the left picks the right).
		left := v4Lookup([6]int{eq1, eq2, eq3, eq4, eq5, eq6 + 1})
		right := v4Lookup([6]int{eq1, eq2, eq3 + 1, eq4, eq5, eq6})
		if left > right {
			next36 = left
		} else {
			next36 = right
		}
	default: // 21 -> 32, which does not exist
		next36 = v4Lookup([6]int{eq1, eq2, eq3 + 1, eq4, eq5, eq6 + 1})
	}
	next4 := v4Lookup([6]int{eq1, eq2, eq3, eq4 + 1, eq5, eq6})
	next5 := v4Lookup([6]int{eq1, eq2, eq3, eq4, eq5 + 1, eq6})

	// Severity distances from the first highest severity vector of the
	// MacroVector that the vector does not exceed on any metric. As in
	// cvss_score.js, when none qualifies the last one's distances stand.
	av, pr, ui := levelAV(m.AV), levelPR(m.PR), levelUI(m.UI)
	ac, at := levelAC(m.AC), levelAT(m.AT)
	vc, vi, va := levelV(m.VC), levelV(m.VI), levelV(m.VA)
	sc, si, sa := levelSC(m.SC), levelS(m.SI), levelS(m.SA)
	cr, ir, ar := levelR(m.CR), levelR(m.IR), levelR(m.AR)
	var dAV, dPR, dUI, dAC, dAT, dVC, dVI, dVA, dSC, dSI, dSA, dCR, dIR, dAR float64
search:
	for _, x1 := range v4MaxEQ1[eq1] {
		for _, x2 := range v4MaxEQ2[eq2] {
			for _, x36 := range v4MaxEQ36[eq3][eq6] {
				for _, x4 := range v4MaxEQ4[eq4] {
					// EQ5 has one highest vector per level and
					// no distance: it adds nothing here.
					dAV, dPR, dUI = av-levelAV(x1.AV), pr-levelPR(x1.PR), ui-levelUI(x1.UI)
					dAC, dAT = ac-levelAC(x2.AC), at-levelAT(x2.AT)
					dVC, dVI, dVA = vc-levelV(x36.VC), vi-levelV(x36.VI), va-levelV(x36.VA)
					dSC, dSI, dSA = sc-levelSC(x4.SC), si-levelS(x4.SI), sa-levelS(x4.SA)
					dCR, dIR, dAR = cr-levelR(x36.CR), ir-levelR(x36.IR), ar-levelR(x36.AR)
					if dAV < 0 || dPR < 0 || dUI < 0 || dAC < 0 || dAT < 0 || dVC < 0 || dVI < 0 ||
						dVA < 0 || dSC < 0 || dSI < 0 || dSA < 0 || dCR < 0 || dIR < 0 || dAR < 0 {
						continue
					}
					break search
				}
			}
		}
	}
	cur1 := dAV + dPR + dUI
	cur2 := dAC + dAT
	cur36 := dVC + dVI + dVA + dCR + dIR + dAR
	cur4 := dSC + dSI + dSA

	step := 0.1
	n := 0
	var norm1, norm2, norm36, norm4, norm5 float64
	// Each EQ with a lower MacroVector moves the score down by the share
	// of its available distance that the vector's severity distance
	// covers of the level's depth. float64() keeps each product rounded
	// on its own, as JavaScript does (no fused multiply-add).
	if avail := value - next1; !math.IsNaN(avail) {
		n++
		norm1 = float64(avail * (cur1 / float64(float64(v4MaxSeverityEQ1[eq1])*step)))
	}
	if avail := value - next2; !math.IsNaN(avail) {
		n++
		norm2 = float64(avail * (cur2 / float64(float64(v4MaxSeverityEQ2[eq2])*step)))
	}
	if avail := value - next36; !math.IsNaN(avail) {
		n++
		norm36 = float64(avail * (cur36 / float64(float64(v4MaxSeverityEQ36[eq3][eq6])*step)))
	}
	if avail := value - next4; !math.IsNaN(avail) {
		n++
		norm4 = float64(avail * (cur4 / float64(float64(v4MaxSeverityEQ4[eq4])*step)))
	}
	if avail := value - next5; !math.IsNaN(avail) {
		n++ // EQ5's proportion is always 0
		norm5 = float64(avail * 0)
	}
	mean := 0.0
	if n > 0 {
		mean = (norm1 + norm2 + norm36 + norm4 + norm5) / float64(n)
	}
	value -= mean
	value = math.Max(0, math.Min(value, 10))
	return math.Round(float64(value*10)) / 10
}
