package osvfeed

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pavesec/pave/internal/osv"
)

// shape is what encoding into osv.Record loses and validation needs: the
// presence of modified and package, and each event's fields as written.
type shape struct {
	Modified json.RawMessage `json:"modified"`
	Affected []struct {
		Package json.RawMessage `json:"package"`
		Ranges  []struct {
			Events []map[string]json.RawMessage `json:"events"`
		} `json:"ranges"`
	} `json:"affected"`
}

// Decode reads one OSV record in JSON and validates it (see Validate),
// also checking that "modified" is present and that every event has
// exactly one field.
func Decode(data []byte) (*osv.Record, error) {
	var rec osv.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("not an OSV record: %w", err)
	}
	var sh shape
	if err := json.Unmarshal(data, &sh); err != nil {
		return nil, fmt.Errorf("not an OSV record: %w", err)
	}
	if rec.ID == "" {
		return nil, errors.New("record has no id")
	}
	if len(sh.Modified) == 0 || string(sh.Modified) == "null" {
		return nil, fmt.Errorf("record %s: no modified time", rec.ID)
	}
	for i, a := range sh.Affected {
		for j, r := range a.Ranges {
			for k, ev := range r.Events {
				if len(ev) != 1 {
					keys := make([]string, 0, len(ev))
					for key := range ev {
						keys = append(keys, key)
					}
					slices.Sort(keys)
					return nil, fmt.Errorf("record %s: affected[%d].ranges[%d].events[%d]: %d fields (%s), want exactly one",
						rec.ID, i, j, k, len(ev), strings.Join(keys, ", "))
				}
			}
		}
	}
	if err := Validate(&rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// Validate checks the parts of the OSV schema the matcher relies on: an
// id; in each affected entry a package with ecosystem and name (which the
// schema lets an entry with only GIT ranges omit); ranges of a known type,
// GIT ones with a repo, each with at least one event, an introduced event,
// and not both fixed and last_affected; every event with exactly one
// non-empty field; SEMVER event versions that are SemVer 2.0.0 ("0" for
// introduced); severities with a type and a score. Converters' tests use
// it on their output too.
func Validate(r *osv.Record) error {
	if r.ID == "" {
		return errors.New("record has no id")
	}
	for i, s := range r.Severity {
		if s.Type == "" || s.Score == "" {
			return fmt.Errorf("record %s: severity[%d]: type and score are required", r.ID, i)
		}
	}
	for i := range r.Affected {
		if err := validateAffected(&r.Affected[i]); err != nil {
			return fmt.Errorf("record %s: affected[%d]%w", r.ID, i, err)
		}
	}
	return nil
}

// validateAffected returns an error starting with the path below the
// affected entry (".ranges[0]: …" or ": …").
func validateAffected(a *osv.Affected) error {
	pkg := a.Package
	if pkg.Ecosystem == "" || pkg.Name == "" {
		gitOnly := pkg == (osv.Package{}) && len(a.Ranges) > 0
		for _, r := range a.Ranges {
			gitOnly = gitOnly && r.Type == osv.RangeGit
		}
		if !gitOnly {
			return errors.New(".package: ecosystem and name are required")
		}
	}
	for i, s := range a.Severity {
		if s.Type == "" || s.Score == "" {
			return fmt.Errorf(".severity[%d]: type and score are required", i)
		}
	}
	for i, r := range a.Ranges {
		if err := validateRange(&r); err != nil {
			return fmt.Errorf(".ranges[%d]%w", i, err)
		}
	}
	return nil
}

func validateRange(r *osv.Range) error {
	switch r.Type {
	case osv.RangeSemver, osv.RangeEcosystem:
	case osv.RangeGit:
		if r.Repo == "" {
			return errors.New(": GIT range without repo")
		}
	case "":
		return errors.New(": no type")
	default:
		return fmt.Errorf(": unknown type %q", r.Type)
	}
	if len(r.Events) == 0 {
		return errors.New(": no events")
	}
	var intro, fixed, last bool
	for i, e := range r.Events {
		n, v := 0, ""
		for _, f := range [...]string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
			if f != "" {
				n, v = n+1, f
			}
		}
		if n != 1 {
			return fmt.Errorf(".events[%d]: %d non-empty fields, want exactly one", i, n)
		}
		intro = intro || e.Introduced != ""
		fixed = fixed || e.Fixed != ""
		last = last || e.LastAffected != ""
		if r.Type == osv.RangeSemver && e.Introduced != "0" && !isSemver(v) {
			return fmt.Errorf(".events[%d]: %q is not a SemVer 2.0.0 version", i, v)
		}
	}
	if !intro {
		return errors.New(": no introduced event")
	}
	if fixed && last {
		return errors.New(": both fixed and last_affected events (the schema allows one kind per range)")
	}
	return nil
}

// isSemver reports whether v is a SemVer 2.0.0 version, without a "v".
func isSemver(v string) bool {
	core, build, hasBuild := strings.Cut(v, "+")
	core, pre, hasPre := strings.Cut(core, "-")
	nums := strings.Split(core, ".")
	if len(nums) != 3 {
		return false
	}
	for _, n := range nums {
		if !isNumericIdent(n) {
			return false
		}
	}
	if hasPre && !idents(pre, true) {
		return false
	}
	return !hasBuild || idents(build, false)
}

// idents checks dot-separated identifiers of [0-9A-Za-z-]; in a
// pre-release, numeric ones have no leading zero.
func idents(s string, pre bool) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		numeric := true
		for i := 0; i < len(id); i++ {
			c := id[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
				numeric = false
			default:
				return false
			}
		}
		if pre && numeric && !isNumericIdent(id) {
			return false
		}
	}
	return true
}

// isNumericIdent: digits, no leading zero.
func isNumericIdent(s string) bool {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
