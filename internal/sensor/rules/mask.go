package rules

import (
	"regexp"
	"slices"
	"strings"

	"github.com/pavesec/pave/internal/secret"
)

// Evidence is a rendered output string: command lines in it may carry
// passwords and tokens. They are masked twice over: the secret engine's
// rules (API tokens, keys, connection strings), then the shapes secrets
// take on command lines (--password=..., TOKEN=..., user:pass@host,
// Authorization: Bearer ...).

// cmdlineSecrets find secret values (group 1); a pattern only runs when
// the lower-cased text holds one of its keywords.
var cmdlineSecrets = []struct {
	keywords []string
	re       *regexp.Regexp
}{
	// --password x, --password=x, -token=x, --api-key x
	{[]string{"pass", "secret", "token", "key", "credential", "auth"},
		regexp.MustCompile(`(?i)(?:^|[\s"'])--?[a-z0-9_.-]*(?:passw(?:or)?d|passwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|auth)[a-z0-9_.-]*(?:=|\s+)([^\s"'|]+)`)},
	// NAME=value with a secret-ish name
	{[]string{"pass", "secret", "token", "key", "credential"},
		regexp.MustCompile(`(?i)\b[a-z0-9_]*(?:password|passwd|secret|token|api_?key|access_?key|private_?key|credentials?)[a-z0-9_]*=([^\s"'|]+)`)},
	// scheme://user:password@host
	{[]string{"://"}, regexp.MustCompile(`://[^/\s:@]+:([^/\s@]+)@`)},
	// Authorization: Bearer x / Basic x
	{[]string{"bearer", "basic"}, regexp.MustCompile(`(?i)\b(?:bearer|basic)\s+([A-Za-z0-9._~+/=-]{8,})`)},
	// mysql-style -pPASSWORD
	{[]string{"mysql", "mariadb"}, regexp.MustCompile(`(?:^|\s)(?:mysql|mysqldump|mariadb)\b[^|]*?\s-p([^\s"'|]{3,})`)},
}

// maskEvidence hides secrets in s.
func maskEvidence(s string) string {
	type span struct{ start, end int }
	var spans []span
	for _, m := range secret.Default().Scan([]byte(s)) {
		spans = append(spans, span{m.Start, m.End})
	}
	lower := strings.ToLower(s)
	for _, p := range cmdlineSecrets {
		if !slices.ContainsFunc(p.keywords, func(k string) bool { return strings.Contains(lower, k) }) {
			continue
		}
		for _, loc := range p.re.FindAllStringSubmatchIndex(s, -1) {
			if len(loc) >= 4 && loc[2] >= 0 {
				spans = append(spans, span{loc[2], loc[3]})
			}
		}
	}
	if len(spans) == 0 {
		return s
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var b strings.Builder
	pos := 0
	for _, sp := range spans {
		if sp.start < pos {
			if sp.end <= pos {
				continue
			}
			sp.start = pos
		}
		b.WriteString(s[pos:sp.start])
		b.WriteString(secret.Mask(s[sp.start:sp.end]))
		pos = sp.end
	}
	b.WriteString(s[pos:])
	return b.String()
}
