package secret

import (
	"crypto/ed25519"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/rand/v2"
	"strings"
)

// This file generates the planted secrets and decoys of the labelled
// corpus. Every value is random (seeded, so the corpus is the same on
// every run) and in the exact syntax of its format, with a valid checksum
// where the format has one. None is a real credential.

const (
	alnum   = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	lowerHx = "0123456789abcdef"
	b32     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b64cs   = alnum + "+/"
	b64url  = alnum + "-_"
	lowNum  = "0123456789abcdefghijklmnopqrstuvwxyz"
	upNum   = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	digits  = "0123456789"
)

// plant is one labelled item: a key/value line, or a whole file.
type plant struct {
	family string
	key    string // the name the value is assigned to; "" for a raw line
	value  string
	// file, when set, is a file of its own (name and content); the label
	// is on line fileLine of it.
	file, content string
	fileLine      int
}

type gen struct{ r *rand.Rand }

func (g gen) s(cs string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = cs[g.r.IntN(len(cs))]
	}
	return string(b)
}

func (g gen) uuid() string {
	h := g.s(lowerHx, 32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

func (g gen) crcTok(prefix string) string {
	body := g.s(alnum, 30)
	return prefix + body + base62CRC(body)
}

// password is a random strong password: letters, digits and symbols.
func (g gen) password(n int) string {
	for {
		p := g.s(alnum+"!#%^*_+=-", n)
		if strings.ContainsAny(p, digits) && strings.ContainsAny(p, "!#%^*_+=-") {
			return p
		}
	}
}

func (g gen) b64lines(n int) string {
	raw := make([]byte, n)
	for i := range raw {
		raw[i] = byte(g.r.IntN(256))
	}
	s := base64.StdEncoding.EncodeToString(raw)
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	b.WriteString(s + "\n")
	return b.String()
}

func (g gen) jwt() string {
	enc := base64.RawURLEncoding
	h := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	p := enc.EncodeToString(fmt.Appendf(nil, `{"sub":"%s","iat":%d,"role":"service"}`, g.uuid(), 1700000000+g.r.IntN(1e7)))
	return h + "." + p + "." + g.s(b64url, 43)
}

// rsaPKCS8PEM is a PEM block the size and shape of a 2048-bit RSA PKCS #8
// key (as in GCP service-account files): the DER header, then random bytes.
func (g gen) rsaPKCS8PEM() string {
	der := []byte{0x30, 0x82, 0x04, 0xbd, 0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x04, 0x82, 0x04, 0xa7}
	for len(der) < 1217 {
		der = append(der, byte(g.r.IntN(256)))
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func (g gen) ed25519PEM() string {
	seed := []byte(g.s(alnum, 32))
	der, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// secretGens make the planted secrets, one family each.
var secretGens = []func(g gen) plant{
	func(g gen) plant { return plant{family: "aws", key: "aws_access_key_id", value: "AKIA" + g.s(b32, 16)} },
	func(g gen) plant {
		return plant{family: "aws", key: "aws_secret_access_key", value: g.s(alnum, 12) + "/" + g.s(b64cs, 18) + "+" + g.s(alnum, 8)}
	},
	func(g gen) plant { return plant{family: "github", key: "GITHUB_TOKEN", value: g.crcTok("ghp_")} },
	func(g gen) plant {
		return plant{family: "github", key: "gh_pat", value: "github_pat_11" + g.s(upNum, 20) + "_" + g.s(alnum, 59)}
	},
	func(g gen) plant { return plant{family: "github", key: "oauth", value: g.crcTok("gho_")} },
	func(g gen) plant { return plant{family: "github", key: "installation", value: g.crcTok("ghs_")} },
	func(g gen) plant {
		return plant{family: "gitlab", key: "GITLAB_TOKEN", value: "glpat-" + g.s(b64url, 20)}
	},
	func(g gen) plant { return plant{family: "gitlab", key: "runner", value: "glrt-" + g.s(b64url, 20)} },
	func(g gen) plant {
		return plant{family: "slack", key: "SLACK_BOT_TOKEN", value: fmt.Sprintf("xoxb-%d-%d-%s", 1e11+g.r.IntN(9e11), 1e12+g.r.IntN(9e12), g.s(alnum, 24))}
	},
	func(g gen) plant {
		return plant{family: "slack", key: "webhook_url", value: "https://hooks.slack.com/services/T" + g.s(upNum, 10) + "/B" + g.s(upNum, 10) + "/" + g.s(alnum, 24)}
	},
	func(g gen) plant {
		return plant{family: "stripe", key: "STRIPE_SECRET_KEY", value: "sk_live_" + g.s(alnum, 99)}
	},
	func(g gen) plant {
		return plant{family: "stripe", key: "stripe_restricted", value: "rk_live_" + g.s(alnum, 24)}
	},
	func(g gen) plant {
		return plant{family: "openai", key: "OPENAI_API_KEY", value: "sk-proj-" + g.s(b64url, 74) + "T3BlbkFJ" + g.s(b64url, 74)}
	},
	func(g gen) plant {
		return plant{family: "openai", key: "openai", value: "sk-" + g.s(alnum, 20) + "T3BlbkFJ" + g.s(alnum, 20)}
	},
	func(g gen) plant {
		return plant{family: "anthropic", key: "ANTHROPIC_API_KEY", value: "sk-ant-api03-" + g.s(b64url, 93) + "AA"}
	},
	func(g gen) plant {
		return plant{family: "huggingface", key: "HF_TOKEN", value: "hf_" + g.s(letters, 34)}
	},
	func(g gen) plant { return plant{family: "groq", key: "GROQ_API_KEY", value: "gsk_" + g.s(alnum, 52)} },
	func(g gen) plant {
		return plant{family: "replicate", key: "REPLICATE_API_TOKEN", value: "r8_" + g.s(alnum, 37)}
	},
	func(g gen) plant {
		return plant{family: "perplexity", key: "PPLX_KEY", value: "pplx-" + g.s(alnum, 48)}
	},
	func(g gen) plant { return plant{family: "gcp", key: "GOOGLE_API_KEY", value: "AIza" + g.s(b64url, 35)} },
	func(g gen) plant { return plant{family: "npm", key: "NPM_TOKEN", value: g.crcTok("npm_")} },
	func(g gen) plant {
		return plant{family: "pypi", key: "PYPI_TOKEN", value: "pypi-AgEIcHlwaS5vcmc" + g.s(b64url, 160)}
	},
	func(g gen) plant {
		return plant{family: "rubygems", key: "GEM_HOST_API_KEY", value: "rubygems_" + g.s(lowerHx, 48)}
	},
	func(g gen) plant { return plant{family: "nuget", key: "NUGET_API_KEY", value: "oy2" + g.s(lowNum, 43)} },
	func(g gen) plant {
		return plant{family: "dockerhub", key: "DOCKERHUB_TOKEN", value: "dckr_pat_" + g.s(b64url, 27)}
	},
	func(g gen) plant {
		return plant{family: "sendgrid", key: "SENDGRID_API_KEY", value: "SG." + g.s(b64url, 22) + "." + g.s(b64url, 43)}
	},
	func(g gen) plant { return plant{family: "twilio", key: "TWILIO_AUTH_TOKEN", value: g.s(lowerHx, 32)} },
	func(g gen) plant {
		return plant{family: "mailchimp", key: "MAILCHIMP_KEY", value: g.s(lowerHx, 32) + fmt.Sprintf("-us%d", 1+g.r.IntN(20))}
	},
	func(g gen) plant {
		return plant{family: "shopify", key: "SHOPIFY_TOKEN", value: "shpat_" + g.s(lowerHx, 32)}
	},
	func(g gen) plant { return plant{family: "datadog", key: "DD_API_KEY", value: g.s(lowerHx, 32)} },
	func(g gen) plant {
		return plant{family: "newrelic", key: "NEW_RELIC_API_KEY", value: "NRAK-" + g.s(upNum, 27)}
	},
	func(g gen) plant {
		return plant{family: "linear", key: "LINEAR_API_KEY", value: "lin_api_" + g.s(alnum, 40)}
	},
	func(g gen) plant {
		return plant{family: "notion", key: "NOTION_TOKEN", value: "ntn_" + g.s(digits, 11) + g.s(alnum, 35)}
	},
	func(g gen) plant {
		return plant{family: "doppler", key: "DOPPLER_TOKEN", value: "dp.pt." + g.s(alnum, 43)}
	},
	func(g gen) plant { return plant{family: "vault", key: "VAULT_TOKEN", value: "hvs." + g.s(b64url, 91)} },
	func(g gen) plant {
		return plant{family: "terraform", key: "TFE_TOKEN", value: g.s(alnum, 14) + ".atlasv1." + g.s(b64url, 67)}
	},
	func(g gen) plant {
		return plant{family: "pulumi", key: "PULUMI_ACCESS_TOKEN", value: "pul-" + g.s(lowerHx, 40)}
	},
	func(g gen) plant {
		return plant{family: "postman", key: "POSTMAN_API_KEY", value: "PMAK-" + g.s(lowerHx, 24) + "-" + g.s(lowerHx, 34)}
	},
	func(g gen) plant {
		return plant{family: "grafana", key: "GRAFANA_SA_TOKEN", value: "glsa_" + g.s(alnum, 32) + "_" + g.s(lowerHx, 8)}
	},
	func(g gen) plant {
		return plant{family: "digitalocean", key: "DO_TOKEN", value: "dop_v1_" + g.s(lowerHx, 64)}
	},
	func(g gen) plant {
		return plant{family: "azure", key: "AZURE_STORAGE_CONNECTION_STRING", value: "DefaultEndpointsProtocol=https;AccountName=" + g.s(lowNum, 12) + ";AccountKey=" + g.s(b64cs, 86) + "==;EndpointSuffix=core.windows.net"}
	},
	func(g gen) plant {
		return plant{family: "azure", key: "AZURE_CLIENT_SECRET", value: g.s(alnum, 3) + g.s(digits, 1) + "Q~" + g.s(alnum+"_~.-", 34)}
	},
	func(g gen) plant {
		key := strings.ReplaceAll(g.rsaPKCS8PEM(), "\n", `\n`)
		c := fmt.Sprintf("{\n  \"type\": \"service_account\",\n  \"project_id\": \"build-%s\",\n  \"private_key_id\": \"%s\",\n  \"private_key\": \"%s\",\n  \"client_email\": \"ci@build-%s.iam.gserviceaccount.com\"\n}\n",
			g.s(lowNum, 6), g.s(lowerHx, 40), key, g.s(lowNum, 6))
		return plant{family: "gcp", file: "service-account.json", content: c, fileLine: 5}
	},
	func(g gen) plant {
		c := "-----BEGIN RSA PRIVATE KEY-----\n" + g.b64lines(1190) + "-----END RSA PRIVATE KEY-----\n"
		return plant{family: "private-key", file: "id_rsa", content: c, fileLine: 1}
	},
	func(g gen) plant {
		return plant{family: "private-key", file: "tls.key", content: g.ed25519PEM(), fileLine: 1}
	},
	func(g gen) plant {
		c := "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA" + g.b64lines(300) + "-----END OPENSSH PRIVATE KEY-----\n"
		return plant{family: "private-key", file: "id_ed25519", content: c, fileLine: 1}
	},
	func(g gen) plant {
		c := "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\nPublic-Lines: 2\n" + g.b64lines(60) +
			"Private-Lines: 1\n" + strings.ReplaceAll(g.b64lines(48), "\n", "") + "\nPrivate-MAC: " + g.s(lowerHx, 64) + "\n"
		return plant{family: "private-key", file: "deploy.ppk", content: c, fileLine: 1}
	},
	func(g gen) plant { return plant{family: "jwt", key: "session_jwt", value: g.jwt()} },
	func(g gen) plant {
		return plant{family: "connection-string", key: "DATABASE_URL", value: "postgres://app:" + g.s(alnum, 8) + g.s("_-.~", 1) + g.s(alnum, 11) + "@db.internal:5432/app?sslmode=require"}
	},
	func(g gen) plant {
		return plant{family: "connection-string", key: "MONGO_URI", value: "mongodb+srv://svc:" + g.s(alnum, 18) + "@cluster0." + g.s(lowNum, 5) + ".mongodb.net/prod"}
	},
	func(g gen) plant {
		return plant{family: "connection-string", key: "REDIS_URL", value: "redis://default:" + g.s(alnum, 24) + "@cache.internal:6379/0"}
	},
	func(g gen) plant {
		return plant{family: "connection-string", key: "MYSQL_DSN_URL", value: "mysql://root:" + g.s(alnum, 16) + "@mysql.svc:3306/shop"}
	},
	func(g gen) plant {
		return plant{family: "connection-string", key: "jdbc_url", value: "jdbc:sqlserver://sql.internal:1433;databaseName=ledger;user=svc;password=" + g.s(alnum, 16)}
	},
	func(g gen) plant {
		return plant{family: "connection-string", key: "ConnectionString", value: "Server=tcp:sql.internal,1433;Database=orders;User ID=svc;Pwd=" + g.s(alnum, 18) + ";"}
	},
	func(g gen) plant {
		return plant{family: "url-credentials", key: "GIT_REMOTE", value: "https://deploy:" + g.s(alnum, 20) + "@git.corp.internal/platform/infra.git"}
	},
	func(g gen) plant { return plant{family: "generic", key: "DB_PASSWORD", value: g.password(20)} },
	func(g gen) plant { return plant{family: "generic", key: "client_secret", value: g.s(alnum, 32)} },
	func(g gen) plant { return plant{family: "generic", key: "api_key", value: g.password(28)} },
	func(g gen) plant {
		return plant{family: "telegram", key: "TELEGRAM_BOT_TOKEN", value: fmt.Sprintf("%d:AA%s", 1e9+g.r.IntN(9e8), g.s(b64url, 33))}
	},
	func(g gen) plant {
		return plant{family: "discord", key: "DISCORD_BOT_TOKEN", value: "MT" + g.s(alnum, 24) + "." + g.s(b64url, 6) + "." + g.s(b64url, 38)}
	},
	func(g gen) plant {
		return plant{family: "teams", key: "TEAMS_WEBHOOK", value: "https://contoso.webhook.office.com/webhookb2/" + g.uuid() + "@" + g.uuid() + "/IncomingWebhook/" + g.s(lowerHx, 32) + "/" + g.uuid()}
	},
	func(g gen) plant {
		return plant{family: "sentry", key: "SENTRY_AUTH_TOKEN", value: "sntryu_" + g.s(lowerHx, 64)}
	},
	func(g gen) plant {
		return plant{family: "atlassian", key: "JIRA_API_TOKEN", value: "ATATT3" + g.s(b64url, 186)}
	},
	func(g gen) plant { return plant{family: "heroku", key: "HEROKU_API_KEY", value: g.uuid()} },
	func(g gen) plant {
		auth := base64.StdEncoding.EncodeToString([]byte("ci-bot:" + g.s(alnum, 24)))
		c := "{\n\t\"auths\": {\n\t\t\"registry.corp.internal\": {\n\t\t\t\"auth\": \"" + auth + "\"\n\t\t}\n\t}\n}\n"
		return plant{family: "docker", file: "config.json", content: c, fileLine: 4}
	},
	func(g gen) plant {
		return plant{family: "bitbucket", key: "BITBUCKET_APP_PASSWORD", value: "ATBB" + g.s(alnum, 32)}
	},
	func(g gen) plant {
		return plant{family: "circleci", key: "CIRCLE_TOKEN", value: "CCIPAT_" + g.s(alnum, 22) + "_" + g.s(lowerHx, 40)}
	},
	func(g gen) plant {
		return plant{family: "buildkite", key: "BUILDKITE_API_TOKEN", value: "bkua_" + g.s(lowerHx, 40)}
	},
	func(g gen) plant {
		return plant{family: "square", key: "SQUARE_ACCESS_TOKEN", value: "EAAA" + g.s(b64url, 60)}
	},
	func(g gen) plant {
		return plant{family: "age", key: "AGE_KEY", value: "AGE-SECRET-KEY-1" + g.s("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)}
	},
	func(g gen) plant {
		return plant{family: "alibaba", key: "ALIBABA_ACCESS_KEY_ID", value: "LTAI" + g.s(alnum, 20)}
	},
	func(g gen) plant { return plant{family: "cohere", key: "COHERE_API_KEY", value: g.s(alnum, 40)} },
	func(g gen) plant { return plant{family: "mistral", key: "MISTRAL_API_KEY", value: g.s(alnum, 32)} },
	func(g gen) plant {
		return plant{family: "crates", key: "CARGO_REGISTRY_TOKEN", value: "cio" + g.s(alnum, 32)}
	},
	func(g gen) plant {
		return plant{family: "gcp", key: "GOOGLE_CLIENT_SECRET", value: "GOCSPX-" + g.s(b64url, 28)}
	},
	func(g gen) plant {
		return plant{family: "databricks", key: "DATABRICKS_TOKEN", value: "dapi" + g.s(lowerHx, 32)}
	},
	func(g gen) plant {
		c := "//registry.npmjs.org/:_authToken=" + g.crcTok("npm_") + "\n"
		return plant{family: "npm", file: ".npmrc", content: c, fileLine: 1}
	},
	func(g gen) plant {
		return plant{family: "aws", key: "AWS_SESSION_TOKEN", value: "IQoJb3JpZ2luX2Vj" + g.s(b64cs, 300)}
	},
}

// decoyGens make values that look like secrets and are not.
var decoyGens = []func(g gen) plant{
	func(g gen) plant {
		return plant{family: "aws", key: "aws_access_key_id", value: "AKIAIOSFODNN7EXAMPLE"}
	},
	func(g gen) plant {
		return plant{family: "aws", key: "aws_secret_access_key", value: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	},
	func(g gen) plant { // a GitHub-shaped token whose checksum is wrong
		t := g.crcTok("ghp_")
		return plant{family: "github", key: "GITHUB_TOKEN", value: t[:len(t)-6] + g.s(alnum, 6)}
	},
	func(g gen) plant {
		return plant{family: "github", key: "GITHUB_TOKEN", value: "ghp_" + strings.Repeat("x", 36)}
	},
	func(g gen) plant { return plant{family: "generic", key: "token", value: "<YOUR_TOKEN>"} },
	func(g gen) plant { return plant{family: "generic", key: "GITHUB_TOKEN", value: "${GITHUB_TOKEN}"} },
	func(g gen) plant {
		return plant{family: "generic", key: "password", value: "{{ .Values.db.password }}"}
	},
	func(g gen) plant {
		return plant{family: "generic", key: "API_KEY", value: "$(cat /run/secrets/api_key)"}
	},
	func(g gen) plant { return plant{family: "generic", key: "admin_password", value: "changeme"} },
	func(g gen) plant {
		return plant{family: "generic", key: "password_hash", value: "$2a$10$" + g.s(alnum+"./", 53)}
	},
	func(g gen) plant {
		sum := sha256.Sum256([]byte(g.s(alnum, 16)))
		return plant{family: "generic", key: "secret_sha256", value: hex.EncodeToString(sum[:])}
	},
	func(g gen) plant {
		sum := sha1.Sum([]byte(g.s(alnum, 16)))
		return plant{family: "generic", key: "token_sha1", value: hex.EncodeToString(sum[:])}
	},
	func(g gen) plant { return plant{family: "generic", key: "api_key_id", value: g.uuid()} },
	func(g gen) plant {
		return plant{family: "generic", key: "secret", value: base64.StdEncoding.EncodeToString([]byte("this is not a secret, just a test string"))}
	},
	func(g gen) plant {
		return plant{family: "jwt", key: "example_jwt", value: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSFMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"}
	},
	func(g gen) plant { // JWT-shaped, but the header is not JSON
		return plant{family: "jwt", key: "session", value: "eyJ" + g.s(alnum, 30) + ".eyJ" + g.s(alnum, 40) + "." + g.s(b64url, 43)}
	},
	func(g gen) plant {
		return plant{family: "connection-string", key: "DATABASE_URL", value: "postgres://user:password@localhost:5432/app"}
	},
	func(g gen) plant {
		return plant{family: "connection-string", key: "DATABASE_URL", value: "postgres://${DB_USER}:${DB_PASS}@db:5432/app"}
	},
	func(g gen) plant {
		return plant{family: "connection-string", key: "MYSQL_URL", value: "mysql://root:<password>@mysql:3306/shop"}
	},
	func(g gen) plant {
		c := "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n"
		return plant{family: "private-key", file: "key.pem.example", content: c, fileLine: 1}
	},
	func(g gen) plant {
		c := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC...REDACTED...\n-----END PRIVATE KEY-----\n"
		return plant{family: "private-key", file: "redacted.pem", content: c, fileLine: 1}
	},
	func(g gen) plant {
		c := "-----BEGIN PUBLIC KEY-----\n" + g.b64lines(294) + "-----END PUBLIC KEY-----\n"
		return plant{family: "private-key", file: "public.pem", content: c, fileLine: 1}
	},
	func(g gen) plant {
		return plant{family: "stripe", key: "STRIPE_SECRET_KEY", value: "sk_live_" + strings.Repeat("x", 24)}
	},
	func(g gen) plant { return plant{family: "slack", key: "SLACK_TOKEN", value: "xoxb-your-token-here"} },
	func(g gen) plant { // npm-shaped, wrong checksum
		t := g.crcTok("npm_")
		return plant{family: "npm", key: "NPM_TOKEN", value: t[:len(t)-6] + g.s(alnum, 6)}
	},
	func(g gen) plant { return plant{family: "generic", key: "api_key", value: `os.Getenv("API_KEY")`} },
	func(g gen) plant {
		return plant{family: "generic", key: "password", value: "test-password-" + g.s(digits, 4)}
	},
	func(g gen) plant {
		return plant{family: "generic", key: "api_key", value: "fake-api-key-for-tests-" + g.s(digits, 3)}
	},
	func(g gen) plant {
		return plant{family: "generic", key: "secret", value: "dummy_secret_value_" + g.s(digits, 3)}
	},
	func(g gen) plant {
		return plant{family: "url-credentials", key: "REPO_URL", value: "https://username:password@example.com/repo.git"}
	},
	func(g gen) plant {
		return plant{family: "openai", key: "OPENAI_API_KEY", value: "sk-your-openai-api-key-here"}
	},
	func(g gen) plant {
		auth := base64.StdEncoding.EncodeToString([]byte("user:password"))
		c := "{\n\t\"auths\": {\n\t\t\"registry.example.com\": {\n\t\t\t\"auth\": \"" + auth + "\"\n\t\t}\n\t}\n}\n"
		return plant{family: "docker", file: "config.json", content: c, fileLine: 4}
	},
	func(g gen) plant {
		return plant{family: "gitlab", key: "GITLAB_TOKEN", value: "glpat-xxxxxxxxxxxxxxxxxxxx"}
	},
	func(g gen) plant {
		return plant{family: "huggingface", key: "HF_TOKEN", value: "hf_" + strings.Repeat("x", 34)}
	},
	func(g gen) plant {
		sum := sha256.Sum256([]byte(g.s(alnum, 16)))
		return plant{family: "generic", key: "checksum_token", value: "sha256:" + hex.EncodeToString(sum[:])}
	},
	func(g gen) plant { return plant{family: "generic", key: "session_token", value: g.uuid()} },
	func(g gen) plant {
		return plant{family: "aws", key: "aws_secret_access_key", value: "YOUR_SECRET_ACCESS_KEY"}
	},
	func(g gen) plant {
		return plant{family: "anthropic", key: "ANTHROPIC_API_KEY", value: "sk-ant-api03-...REDACTED..."}
	},
	func(g gen) plant {
		return plant{family: "generic", key: "private_key_path", value: "/etc/ssl/private/server.key"}
	},
	func(g gen) plant {
		return plant{family: "generic", key: "tokenEndpoint", value: "https://auth.corp.internal/oauth/token"}
	},
}
