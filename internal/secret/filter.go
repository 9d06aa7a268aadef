package secret

import (
	"encoding/base64"
	"encoding/json"
	"hash/crc32"
	"math"
	"path"
	"regexp"
	"strings"
)

// accept runs a candidate through checksum, validation, entropy and the
// allowlist. A checksum that passes vouches for the token: random bodies
// may spell "fake" by chance, but a placeholder cannot carry a valid CRC.
func accept(r *Rule, s string) bool {
	if knownExample(s) {
		return false
	}
	if r.Checksum != nil && !r.Checksum(s) {
		return false
	}
	if r.Validate != nil && !r.Validate(s) {
		return false
	}
	if r.MinEntropy > 0 && entropy(s) < r.MinEntropy {
		return false
	}
	if r.Checksum == nil && placeholder(s) {
		return false
	}
	if r.Generic && !genericValue(s) {
		return false
	}
	return true
}

// knownExamples are values published in vendor documentation.
var knownExamples = []string{
	"AKIAIOSFODNN7EXAMPLE",
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
	"sk_test_4eC39HqLyjWDarjtT1zdp7dc",
	"SflKxwRJSFMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", // jwt.io's example signature
	"xoxb-not-a-real-token-this-will-not-work",
}

func knownExample(s string) bool {
	for _, k := range knownExamples {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

// placeholderMarkers are substrings (lower case) that mark a value as a
// stand-in rather than a credential.
var placeholderMarkers = []string{
	"xxxx", "****", "....", "<", ">", "${", "{{", "}}", "$(", "%s", "%(", "%v",
	"your_", "your-", "yourtoken", "yourkey", "yoursecret", "yourpassword",
	"changeme", "change_me", "change-me", "placeholder", "example", "dummy",
	"fake", "sample", "redacted", "insert_", "insert-", "replace_me", "replaceme",
	"replace-me", "notreal", "not_real", "not-a-real", "not_a_real", "do_not_use",
	"here_", "_here", "-here", "0000000000", "1234567890", "abcdefghij", "abcdef123",
	"123456789", "aaaaaaaa", "zzzzzzzz", "lorem", "foobar",
}

func placeholder(s string) bool {
	l := strings.ToLower(s)
	for _, m := range placeholderMarkers {
		if strings.Contains(l, m) {
			return true
		}
	}
	return false
}

// entropy is the Shannon entropy of s in bits per byte.
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	h := 0.0
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

var (
	hexOnly      = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	uuidShape    = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	cryptHash    = regexp.MustCompile(`^\$(?:2[abxy]?|argon2(?:id|i|d)|[156]|y|scrypt|pbkdf2[-_a-z0-9]*)\$`)
	envName      = regexp.MustCompile(`^[A-Z][A-Z0-9_]+$`)
	dottedID     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$`)
	wordy        = regexp.MustCompile(`^[A-Za-z]+(?:[-_. ][A-Za-z]+)+$`)
	version      = regexp.MustCompile(`^v?\d+\.\d+|^(?i:urn|pkg|arn|cpe|oid|did|mailto|data):`)
	fileName     = regexp.MustCompile(`(?i)\.(?:lua|go|py|js|ts|json|ya?ml|txt|md|pem|key|crt|cer|conf|cfg|ini|xml|html|sh|toml|env|log|lock|sum|rb|java|php|p12|pfx|jks)$`)
	nonSecretKey = regexp.MustCompile(`(?i)(?:ids?|names?|types?|typ|file|path|dir|url|uri|endpoint|header|len|length|size|count|prefix|suffix|field|param|env|var|ref|label|hash|digest|sha\d*|format|mode|kind|policy|arn|expiry|expires?|expiration|ttl|provider|style|template|enabled|required|regex|pattern|min|max|version|location|source|time|timestamp|date|algorithm|alg|method|scheme|uses|usage|store|manager|ttl_seconds)$`)
	hashName     = regexp.MustCompile(`^(?:sha(?:1|224|256|384|512)|md5|blake2b?|sha3-\d+):`)
)

// checksummedPrefixes start tokens whose format carries a checksum.
var checksummedPrefixes = []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "npm_", "eyJ"}

// testMarkers mark fixture values, checked for generic rules only.
var testMarkers = []string{"donotuse", "do_not_use", "__", "test", "mock", "stub", "sample", "demo", "secret123", "password1", "passw0rd", "p@ssw0rd", "hunter2", "letmein", "qwerty"}

// genericValue says whether a value assigned to a secret-looking name
// looks like a credential rather than code, a reference, a hash or a
// fixture.
func genericValue(s string) bool {
	if len(s) < 12 || len(s) > 200 {
		return false
	}
	for _, p := range checksummedPrefixes {
		if strings.HasPrefix(s, p) {
			return false // its own rule checked the checksum and dropped it
		}
	}
	if hasTestMarker(s) {
		return false
	}
	switch {
	case hexOnly.MatchString(s) && (len(s) == 32 || len(s) == 40 || len(s) == 56 || len(s) == 64 || len(s) == 96 || len(s) == 128):
		return false // a digest
	case uuidShape.MatchString(s), cryptHash.MatchString(s), envName.MatchString(s), dottedID.MatchString(s), hashName.MatchString(s):
		return false
	case strings.ContainsAny(s, "()[]{}<> \t\\") || strings.Contains(s, "://") || strings.Contains(s, "->") || strings.Contains(s, "::"):
		return false // code or a URL
	case wordy.MatchString(s), version.MatchString(s), fileName.MatchString(s):
		return false // words, a version, a file name
	case s[0] == '.' || s[0] == '/' || s[0] == '$' || s[0] == '-' || s[0] == '#' || s[0] == '@' || s[0] == '&' || s[0] == '*':
		return false // a path, a reference, a flag
	case identifier(s), expression(s):
		return false // a program identifier or expression
	case lowEntropyBase64(s):
		return false
	}
	var lower, upper, digit, other int
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z':
			lower++
		case 'A' <= c && c <= 'Z':
			upper++
		case '0' <= c && c <= '9':
			digit++
		default:
			other++
		}
	}
	classes := 0
	for _, n := range []int{lower, upper, digit, other} {
		if n > 0 {
			classes++
		}
	}
	if digit == 0 && other == 0 {
		return false // a word or an identifier
	}
	if classes < 3 && len(s) < 20 {
		return false
	}
	min := 3.0
	if len(s) >= 16 {
		min = 3.5
	}
	return entropy(s) >= min
}

// lowEntropyBase64 reports base64 that decodes to plain text (words with
// spaces, or low entropy): an encoded phrase, not a key.
func lowEntropyBase64(s string) bool {
	if len(s) < 12 {
		return false
	}
	var dec []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if dec, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil || len(dec) == 0 {
		return false
	}
	spaces := 0
	for _, c := range dec {
		if c < 0x20 || c > 0x7e {
			return false
		}
		if c == ' ' {
			spaces++
		}
	}
	return spaces > 0 || entropy(string(dec)) < 3.0
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base62CRC encodes the CRC32 of body as six base62 digits, the checksum
// GitHub and npm append to their tokens.
func base62CRC(body string) string {
	c := crc32.ChecksumIEEE([]byte(body))
	var out [6]byte
	for i := 5; i >= 0; i-- {
		out[i] = base62[c%62]
		c /= 62
	}
	return string(out[:])
}

// crcToken checks a token of prefix + 30 random + 6 checksum characters.
func crcToken(prefixLen int) func(string) bool {
	return func(s string) bool {
		if len(s) != prefixLen+36 {
			return false
		}
		body := s[prefixLen : prefixLen+30]
		return base62CRC(body) == s[prefixLen+30:]
	}
}

// awsKeyID checks an AWS access key id: a known prefix and a base32 body
// (the charset AWS issues ids in).
func awsKeyID(s string) bool {
	if len(s) != 20 {
		return false
	}
	for i := 4; i < 20; i++ {
		c := s[i]
		if !(('A' <= c && c <= 'Z') || ('2' <= c && c <= '7')) {
			return false
		}
	}
	return true
}

// jwtValid checks that a JWT's header decodes to a JSON object with
// "alg" and its payload to a JSON object.
func jwtValid(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || len(parts[2]) < 16 {
		return false
	}
	var hdr map[string]any
	if !decodeJSONPart(parts[0], &hdr) {
		return false
	}
	alg, ok := hdr["alg"].(string)
	if !ok || strings.EqualFold(alg, "none") {
		return false
	}
	var payload map[string]any
	return decodeJSONPart(parts[1], &payload)
}

func decodeJSONPart(p string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(p, "="))
	if err != nil {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// notHex rejects values that are only hex digits (digests).
func notHex(s string) bool { return !hexOnly.MatchString(s) }

// mixedBase64 wants a base64 value with upper, lower and digits that is
// not a hex digest: the shape of a random key.
func mixedBase64(s string) bool {
	var u, l, d bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		u = u || ('A' <= c && c <= 'Z')
		l = l || ('a' <= c && c <= 'z')
		d = d || ('0' <= c && c <= '9')
	}
	return u && l && d && !lowEntropyBase64(s)
}

// badPasswords are stand-ins written where a password goes.
var badPasswords = map[string]bool{
	"password": true, "passwd": true, "pass": true, "secret": true, "pwd": true,
	"changeme": true, "xxx": true, "xxxx": true, "pw": true, "mypassword": true,
	"yourpassword": true, "user": true, "username": true, "token": true,
}

// urlPassword checks the password of a URL or connection string: not a
// stand-in, a variable or a mask.
func urlPassword(s string) bool {
	if len(s) < 3 || badPasswords[strings.ToLower(s)] {
		return false
	}
	if strings.HasPrefix(s, "$") || strings.HasPrefix(s, "%") || strings.HasPrefix(s, ":") {
		return false
	}
	l := strings.ToLower(s)
	for _, m := range []string{"test", "pass", "secret", "admin"} {
		if l == m || strings.HasPrefix(l, m+"word") {
			return false
		}
	}
	return strings.Trim(s, "*xX.") != ""
}

// dockerAuth checks a Docker config "auth" value: base64 of user:secret.
func dockerAuth(s string) bool {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return false
	}
	u, p, ok := strings.Cut(string(b), ":")
	return ok && u != "" && p != u && urlPassword(p) && !placeholder(p) && !hasTestMarker(p)
}

func hasTestMarker(s string) bool {
	l := strings.ToLower(s)
	for _, m := range testMarkers {
		if strings.Contains(l, m) {
			return true
		}
	}
	return false
}

// genericKey rejects names that hold no secret though they contain a
// secret-looking word: ids, names, paths, types, lengths, hashes.
func genericKey(key string) bool {
	return !nonSecretKey.MatchString(strings.Trim(key, `"'\x60]`))
}

// realHost rejects the host of a URL with credentials when it is a
// documentation or test domain (RFC 2606 / RFC 6761).
func realHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range []string{"example.com", "example.org", "example.net", ".example", ".test", ".invalid"} {
		if h == d || strings.HasSuffix(h, "."+strings.TrimPrefix(d, ".")) || strings.HasSuffix(h, d) && strings.HasPrefix(d, ".") {
			return false
		}
	}
	return true
}

// sourceExts are extensions of program source (and source maps, which
// embed it): there a value assigned without quotes is an identifier or
// an expression, not a literal.
var sourceExts = map[string]bool{
	".js": true, ".mjs": true, ".cjs": true, ".jsx": true, ".ts": true, ".mts": true, ".cts": true, ".tsx": true, ".map": true,
	".py": true, ".pyi": true, ".rb": true, ".rbs": true, ".pl": true, ".pm": true, ".php": true, ".lua": true, ".tcl": true,
	".c": true, ".h": true, ".cc": true, ".cpp": true, ".cxx": true, ".hh": true, ".hpp": true, ".hxx": true, ".tcc": true, ".inl": true,
	".go": true, ".java": true, ".kt": true, ".scala": true, ".groovy": true, ".cs": true, ".rs": true, ".swift": true, ".m": true, ".dart": true,
}

// sourceFile reports whether the file at p is program source by its
// extension. Config-like files (.env, .ini, .yaml, .json, .toml,
// .properties, shell) are not: unquoted values there are literals.
func sourceFile(p string) bool {
	return sourceExts[strings.ToLower(path.Ext(p))]
}

// quoted reports whether the value starting at s is enclosed in quotes.
func quoted(content []byte, s int) bool {
	return s > 0 && (content[s-1] == '"' || content[s-1] == '\'' || content[s-1] == '`')
}

// identifier reports a value that is a program identifier, or words in
// CamelCase or snake_case: letters and "_" or "$" (with leading "?" or
// "!" and up to three trailing digits), whose words average at least
// 3.5 letters and nearly all hold a vowel (acronyms of up to five
// capitals excepted). Random tokens split into short
// vowel-less runs at their case changes; "OpeningParenToken$1",
// "_S_token_subexpr_begin", "defaultToConfig2" and "?InterpolationInJSX"
// do not. Leet digits are read as letters ("V3ry_S3nsit1ve").
func identifier(s string) bool {
	t := strings.TrimLeft(s, "?!")
	t = strings.TrimRight(t, "0123456789")
	if len(s)-len(t) > 4 {
		return false
	}
	t = strings.Map(func(r rune) rune {
		if i := strings.IndexRune("013457", r); i >= 0 {
			return rune("oieast"[i])
		}
		return r
	}, t)
	var words []string
	cur := []byte{}
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c == '_' || c == '$':
			flush()
		case 'a' <= c && c <= 'z':
			cur = append(cur, c)
		case 'A' <= c && c <= 'Z':
			// A capital starts a word unless it continues a run of capitals
			// not followed by a lower-case letter ("XSRFToken": XSRF, Token).
			prevUpper := len(cur) > 0 && 'A' <= cur[len(cur)-1] && cur[len(cur)-1] <= 'Z'
			nextLower := i+1 < len(t) && 'a' <= t[i+1] && t[i+1] <= 'z'
			if !prevUpper || nextLower {
				flush()
			}
			cur = append(cur, c)
		default:
			return false
		}
	}
	flush()
	if len(words) == 0 {
		return false
	}
	letters, noVowel := 0, 0
	for _, w := range words {
		letters += len(w)
		if !strings.ContainsAny(strings.ToLower(w), "aeiouy") && (len(w) > 5 || strings.ToUpper(w) != w) {
			noVowel++ // acronyms (JSX, XSRF, HTTP) need no vowel
		}
	}
	return float64(letters)/float64(len(words)) >= 3.5 && noVowel*4 <= len(words)
}

var (
	memberExpr  = regexp.MustCompile(`^[!?]*[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+(?:$|=)`)
	queryString = regexp.MustCompile(`&[\w\-]+=`)
)

// expression reports a value that is code rather than a literal: a
// member access, negated or not ("!!_config.withCredentials"), an
// assignment chain ("t.parseScript=t.parseModule=..."), the tail of one
// string and the head of the next (",DuplicateBinding:") or a query
// string ("2145916800&token-hash=...").
func expression(s string) bool {
	return s[0] == ',' || s[0] == ';' || memberExpr.MatchString(s) || queryString.MatchString(s)
}

// placeholderUser is a user name written where one goes in an example
// URL: "user", "username", "proxyuser", "login".
var placeholderUser = regexp.MustCompile(`^(?i:[a-z]*user(?:name)?|usr|uname|login|name|me|someone|foo)$`)

// placeholderPass is a password written as its own description:
// "password", "proxypass", "mypasswd", "dbsecret".
var placeholderPass = regexp.MustCompile(`^(?i:[a-z]*(?:pass|password|passwd|pwd|pw|secret))$`)

// urlCredentialKey checks "user:password@host" of a URL with credentials:
// the host is not a documentation domain, and neither the user nor the
// password is a stand-in (user:password, user:pass, proxyuser:proxypass).
func urlCredentialKey(key string) bool {
	at := strings.LastIndexByte(key, '@')
	if at < 0 {
		return realHost(key)
	}
	user, pass, _ := strings.Cut(key[:at], ":")
	return realHost(key[at+1:]) && !placeholderUser.MatchString(user) && !placeholderPass.MatchString(pass)
}
