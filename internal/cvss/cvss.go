// Package cvss parses Common Vulnerability Scoring System vectors and
// computes their scores, so that every vulnerability finding can carry a
// severity derived from the vector its advisory published rather than from a
// number someone typed.
//
// Four versions are supported: 2.0 ("AV:N/AC:L/Au:N/C:P/I:P/A:P", optionally
// wrapped in parentheses), 3.0 and 3.1 ("CVSS:3.1/AV:N/..."), and 4.0
// ("CVSS:4.0/AV:N/..."). Parse validates strictly: an unknown, duplicate or
// misspelt metric, a value outside the metric's list, a missing mandatory
// Base metric or an unknown prefix is an error naming the metric. Metrics of
// v2.0 and v3.x may come in any order, as the v3.x specifications require
// readers to accept; v4.0 requires the order of its Table 23 and Parse
// enforces it. String writes metrics in the specification's order, leaving
// out those that are Not Defined.
//
// Scores follow each specification exactly: v2.0 per the v2 guide, v3.0 with
// its plain round-up, v3.1 with the integer Roundup of its Appendix A, and
// v4.0 by the MacroVector lookup and interpolation of FIRST's reference
// calculator (cvss_score.js), threat, environmental and supplemental metrics
// included. docs/cvss.md says what is supported and how ratings map.
package cvss

import (
	"errors"
	"fmt"
	"strings"
)

// Version is a CVSS version: "2.0", "3.0", "3.1" or "4.0".
type Version string

// The supported versions.
const (
	V20 Version = "2.0"
	V30 Version = "3.0"
	V31 Version = "3.1"
	V40 Version = "4.0"
)

// ErrInvalid is wrapped by every error Parse returns.
var ErrInvalid = errors.New("invalid CVSS vector")

// MaxVectorLen bounds the input of Parse. The longest valid vector (v4.0
// with every metric spelt out) is under 250 bytes.
const MaxVectorLen = 1024

// metricDef is one metric of a version's vector.
type metricDef struct {
	name     string
	values   []string // allowed values; optional metrics list Not Defined first
	required bool     // a mandatory Base metric
}

// versionDef describes the vector syntax of one version.
type versionDef struct {
	version    Version
	prefix     string // "CVSS:3.1/"; empty for v2.0
	notDefined string // "X", or "ND" for v2.0
	metrics    []metricDef
	ordered    bool           // metrics must come in the order of metrics
	byName     map[string]int // index of each metric in metrics
}

func newVersionDef(version Version, prefix, notDefined string, ordered bool, metrics []metricDef) versionDef {
	byName := make(map[string]int, len(metrics))
	for i, m := range metrics {
		byName[m.name] = i
	}
	return versionDef{version, prefix, notDefined, metrics, ordered, byName}
}

// maxMetrics is the largest number of metrics of any version (v4.0).
const maxMetrics = 32

// Vector is a parsed and validated CVSS vector. The zero value is not
// valid; get one from Parse. A Vector is immutable and safe for concurrent
// use.
type Vector struct {
	def *versionDef
	// vals[i] is 1 + the index of metric i's value in def.metrics[i].values,
	// or 0 when the vector does not give metric i.
	vals [maxMetrics]uint8
}

// Parse parses and validates a CVSS vector of any supported version. The
// version comes from the "CVSS:x.y/" prefix; a vector without a prefix is
// CVSS v2.0, which may be wrapped in parentheses as NVD's old feeds did.
func Parse(s string) (*Vector, error) {
	if len(s) > MaxVectorLen {
		return nil, fmt.Errorf("cvss: %w: %d bytes long, more than %d", ErrInvalid, len(s), MaxVectorLen)
	}
	def, body, err := splitPrefix(s)
	if err != nil {
		return nil, err
	}
	v := &Vector{def: def}
	if err := v.parseBody(body); err != nil {
		return nil, fmt.Errorf("cvss: %w: %s: %s", ErrInvalid, def.label(), err)
	}
	return v, nil
}

// splitPrefix finds the version of s and returns the metrics part.
func splitPrefix(s string) (*versionDef, string, error) {
	if rest, ok := strings.CutPrefix(s, "CVSS:"); ok {
		ver, body, _ := strings.Cut(rest, "/")
		var def *versionDef
		switch Version(ver) {
		case V30:
			def = &v30Def
		case V31:
			def = &v31Def
		case V40:
			def = &v40Def
		case V20:
			return nil, "", fmt.Errorf("cvss: %w: prefix \"CVSS:2.0\": CVSS v2.0 vectors have no prefix", ErrInvalid)
		default:
			return nil, "", fmt.Errorf("cvss: %w: unknown version prefix %q", ErrInvalid, clip("CVSS:"+ver))
		}
		return def, body, nil
	}
	if strings.HasPrefix(s, "CVSS") || strings.HasPrefix(s, "cvss") {
		return nil, "", fmt.Errorf("cvss: %w: malformed prefix in %q (want \"CVSS:3.1/\", \"CVSS:4.0/\"...)", ErrInvalid, clip(s))
	}
	if strings.HasPrefix(s, "(") {
		inner, ok := strings.CutSuffix(s[1:], ")")
		if !ok {
			return nil, "", fmt.Errorf("cvss: %w: CVSS v2.0: opening parenthesis without a closing one", ErrInvalid)
		}
		s = inner
	}
	return &v20Def, s, nil
}

// label names the syntax in errors: "CVSS:3.1", "CVSS v2.0".
func (d *versionDef) label() string {
	if d.prefix == "" {
		return "CVSS v" + string(d.version)
	}
	return strings.TrimSuffix(d.prefix, "/")
}

// parseBody reads the "/"-separated NAME:VALUE metrics.
func (v *Vector) parseBody(body string) error {
	if body == "" {
		return errors.New("no metrics")
	}
	var seen uint64
	last := -1 // index of the previous metric
	for i := 0; ; {
		j := strings.IndexByte(body[i:], '/')
		part := body[i:]
		if j >= 0 {
			part = body[i : i+j]
		}
		if err := v.parseMetric(part, &seen, &last); err != nil {
			return err
		}
		if j < 0 {
			break
		}
		i += j + 1
	}
	for i, m := range v.def.metrics {
		if m.required && seen&(1<<i) == 0 {
			return fmt.Errorf("missing mandatory metric %s", m.name)
		}
	}
	return nil
}

func (v *Vector) parseMetric(part string, seen *uint64, last *int) error {
	if part == "" {
		return errors.New("empty metric (doubled or trailing \"/\")")
	}
	name, val, ok := strings.Cut(part, ":")
	if !ok {
		return fmt.Errorf("metric %q: want NAME:VALUE", clip(part))
	}
	idx := v.def.index(name)
	if idx < 0 {
		return fmt.Errorf("unknown metric %q", clip(name))
	}
	if *seen&(1<<idx) != 0 {
		return fmt.Errorf("duplicate metric %s", name)
	}
	*seen |= 1 << idx
	if v.def.ordered && idx < *last {
		return fmt.Errorf("metric %s out of order: it comes before %s in the specification's order", name, v.def.metrics[*last].name)
	}
	*last = idx
	m := &v.def.metrics[idx]
	for k, allowed := range m.values {
		if val == allowed {
			v.vals[idx] = uint8(k + 1)
			return nil
		}
	}
	return fmt.Errorf("metric %s: invalid value %q (want one of %s)", name, clip(val), strings.Join(m.values, ", "))
}

// index returns the position of the named metric, or -1.
func (d *versionDef) index(name string) int {
	if i, ok := d.byName[name]; ok {
		return i
	}
	return -1
}

// clip shortens hostile input quoted in an error message.
func clip(s string) string {
	const max = 40
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// Version returns the CVSS version of the vector.
func (v *Vector) Version() Version { return v.def.version }

// Metric returns the value of the named metric ("AV", "MAV", "E"). An
// optional metric the vector leaves out has the Not Defined value, "X" (or
// "ND" in v2.0). An unknown metric name yields "".
func (v *Vector) Metric(name string) string {
	i := v.def.index(name)
	if i < 0 {
		return ""
	}
	return v.get(i)
}

// get returns the value of metric i, Not Defined when absent.
func (v *Vector) get(i int) string {
	if k := v.vals[i]; k != 0 {
		return v.def.metrics[i].values[k-1]
	}
	return v.def.notDefined
}

// defined reports whether metric i has a value other than Not Defined.
func (v *Vector) defined(i int) bool {
	k := v.vals[i]
	return k != 0 && v.def.metrics[i].values[k-1] != v.def.notDefined
}

// String returns the canonical vector: the version prefix, every Base
// metric, then each other metric whose value is not Not Defined, all in the
// order of the specification's table. Parse(v.String()) yields an equal
// vector.
func (v *Vector) String() string {
	var b strings.Builder
	b.Grow(128)
	b.WriteString(v.def.prefix)
	first := true
	for i, m := range v.def.metrics {
		if !m.required && !v.defined(i) {
			continue
		}
		if !first {
			b.WriteByte('/')
		}
		first = false
		b.WriteString(m.name)
		b.WriteByte(':')
		b.WriteString(v.get(i))
	}
	return b.String()
}

// BaseScore returns the Base score of a v2.0, v3.0 or v3.1 vector. CVSS
// v4.0 has one score, computed from every metric the vector gives, so for a
// v4.0 vector BaseScore returns that score: CVSS-B, CVSS-BT, CVSS-BE or
// CVSS-BTE as Nomenclature says.
func (v *Vector) BaseScore() float64 {
	switch v.def.version {
	case V20:
		return v.v2Scores().base
	case V30, V31:
		return v.v3Scores().base
	default:
		return v.v4Score()
	}
}

// TemporalScore returns the Temporal score of a v2.0 or v3.x vector: the
// Base score adjusted by the temporal metrics (equal to the Base score when
// they are Not Defined). For a v4.0 vector it returns the v4.0 score.
func (v *Vector) TemporalScore() float64 {
	switch v.def.version {
	case V20:
		return v.v2Scores().temporal
	case V30, V31:
		return v.v3Scores().temporal
	default:
		return v.v4Score()
	}
}

// EnvironmentalScore returns the Environmental score of a v2.0 or v3.x
// vector, computed from the environmental and temporal metrics. With every
// environmental metric Not Defined it equals the Temporal score, except in
// v3.1 with the scope changed, where the environmental equation's 0.915 cap
// and 0.9731 factor can put it 0.1 above (FIRST's calculator does the same).
// For a v4.0 vector it returns the v4.0 score.
func (v *Vector) EnvironmentalScore() float64 {
	switch v.def.version {
	case V20:
		return v.v2Scores().environmental
	case V30, V31:
		return v.v3Scores().environmental
	default:
		return v.v4Score()
	}
}

// Score returns the most specific score the vector's metrics describe: for
// v2.0 and v3.x the Environmental score when an environmental metric is
// defined, else the Temporal score when a temporal metric is defined, else
// the Base score; for v4.0 the v4.0 score.
func (v *Vector) Score() float64 {
	switch v.def.version {
	case V20:
		s := v.v2Scores()
		return mostSpecific(v, s, v2TemporalFirst, v2EnvFirst)
	case V30, V31:
		s := v.v3Scores()
		return mostSpecific(v, s, v3E, v3CR)
	default:
		return v.v4Score()
	}
}

// scores are the three scores of a v2.0 or v3.x vector.
type scores struct {
	base, temporal, environmental float64
}

// mostSpecific picks from s by which metric groups v defines: temporal
// metrics are the indexes [temporal, env), environmental ones [env, end).
func mostSpecific(v *Vector, s scores, temporal, env int) float64 {
	for i := env; i < len(v.def.metrics); i++ {
		if v.defined(i) {
			return s.environmental
		}
	}
	for i := temporal; i < env; i++ {
		if v.defined(i) {
			return s.temporal
		}
	}
	return s.base
}

// Rating returns the qualitative severity of a score under the given
// version: "none", "low", "medium", "high" or "critical" for v3.x and v4.0
// (None 0.0, Low 0.1-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0);
// "low", "medium" or "high" for v2.0, which has no None or Critical (NVD's
// bands: Low 0.0-3.9, Medium 4.0-6.9, High 7.0-10.0). It returns "" for an
// unknown version or a score outside [0, 10].
func Rating(version Version, score float64) string {
	if !(score >= 0 && score <= 10) { // also rejects NaN
		return ""
	}
	switch version {
	case V20:
		switch {
		case score < 4:
			return "low"
		case score < 7:
			return "medium"
		default:
			return "high"
		}
	case V30, V31, V40:
		switch {
		case score == 0:
			return "none"
		case score < 4:
			return "low"
		case score < 7:
			return "medium"
		case score < 9:
			return "high"
		default:
			return "critical"
		}
	}
	return ""
}

// Rating returns the qualitative severity of v.Score() under v's version.
func (v *Vector) Rating() string { return Rating(v.def.version, v.Score()) }
