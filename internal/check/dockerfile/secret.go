package dockerfile

import (
	"regexp"
	"strings"
)

// secretName matches variable and flag names that hold credentials.
var secretName = regexp.MustCompile(`(?i)(^|[_.-])(pass(word|wd|phrase)?|pwd|secret|token|api[_.-]?key|apikey|access[_.-]?key|private[_.-]?key|auth[_.-]?key|credentials?|client[_.-]?secret)($|[_.-])`)

// notSecretSuffix: names that point at a secret rather than hold one.
var notSecretSuffix = regexp.MustCompile(`(?i)[_.-](file|path|dir|url|uri|host|port|user|username|name|enabled|length|len|min|max|policy|type|header|endpoint|id|env|var)$`)

// SecretName reports whether a variable, label or flag name looks like it
// holds a credential: PASSWORD, DB_PASS, GITHUB_TOKEN, API_KEY,
// AWS_SECRET_ACCESS_KEY... but not PASSWORD_FILE or TOKEN_URL, which name
// where a secret is.
func SecretName(name string) bool {
	name = strings.TrimLeft(name, "-")
	return secretName.MatchString(name) && !notSecretSuffix.MatchString(name)
}

// Placeholder reports whether a value is not a real secret: empty, a
// variable reference, a template (<token>, {{ .x }}), a run of one
// character (xxxx, ****), a boolean or a small number, or a common
// placeholder word.
func Placeholder(v string) bool {
	v = strings.TrimSpace(strings.Trim(v, `"'`))
	if len(v) < 3 || strings.ContainsAny(v[:1], "$<{%") || strings.Contains(v, "${") || strings.Contains(v, "{{") {
		return true
	}
	if strings.Count(v, v[:1]) == len(v) {
		return true
	}
	switch strings.ToLower(v) {
	case "true", "false", "yes", "no", "none", "null", "nil", "undefined", "empty", "unset", "placeholder",
		"redacted", "secret", "password", "token", "your-token", "your_token", "your-password", "example", "dummy", "default":
		return true
	}
	if strings.HasPrefix(v, "/") { // a path, as in KEY=/run/secrets/x
		return true
	}
	return strings.HasPrefix(strings.ToLower(v), "your") || strings.HasPrefix(strings.ToLower(v), "replace")
}

// Mask hides a secret value entirely: no prefix, no suffix, no length.
// Evidence reads NAME=**** so that a report shows where, never what.
func Mask(name string) string { return name + "=****" }
