package secret

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pavesec/pave/internal/finding"
)

const (
	crit = finding.Critical
	high = finding.High
	med  = finding.Medium
	low  = finding.Low
)

type opt func(*Rule)

func checksum(f func(string) bool) opt { return func(r *Rule) { r.Checksum = f } }
func valid(f func(string) bool) opt    { return func(r *Rule) { r.Validate = f } }
func ent(x float64) opt                { return func(r *Rule) { r.MinEntropy = x } }
func lines(n int) opt                  { return func(r *Rule) { r.Lines = n } }
func spanBytes(n int) opt              { return func(r *Rule) { r.Span = n } }
func prio(n int) opt                   { return func(r *Rule) { r.Priority = n } }
func generic() opt                     { return func(r *Rule) { r.Generic = true; r.Priority = 0 } }
func k8s() opt                         { return func(r *Rule) { r.K8s = true } }
func keyName(f func(string) bool) opt  { return func(r *Rule) { r.KeyFilter = f } }
func paths(globs ...string) opt        { return func(r *Rule) { r.Paths = globs } }

// mk declares a rule; kws is a comma-separated keyword list.
func mk(n int, family, title string, sev finding.Severity, revoke, kws, re string, opts ...opt) *Rule {
	r := &Rule{
		ID:       fmt.Sprintf("PAVE-SEC-%03d", n),
		Title:    title,
		Severity: sev,
		Family:   family,
		Revoke:   revoke,
		Keywords: strings.Split(kws, ","),
		Pattern:  regexp.MustCompile(`(?m)` + re),
		Priority: 3,
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

// tok bounds a token body: not glued to letters or digits on either side.
func tok(body string) string {
	return `(?:^|[^0-9A-Za-z])(` + body + `)(?:[^0-9A-Za-z]|$)`
}

// kv finds value assigned to a name containing one of keys
// (case-insensitive): KEY=v, key: "v", "key": "v", key := "v".
func kv(keys, value string) string {
	return `(?i:` + keys + `)[\w.\-]{0,25}["']?\s*(?:=|:=|:|=>|,)\s*["'\x60]?(` + value + `)(?:[^0-9A-Za-z+/=_\-]|$)`
}

const (
	b62   = `[0-9A-Za-z]`
	b64u  = `[0-9A-Za-z_\-]`
	hx    = `[0-9a-f]`
	uuid  = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`
	b64   = `[0-9A-Za-z+/]`
	b64eq = `[0-9A-Za-z+/]+={0,2}`
)

// defaultRules is the built-in catalogue. Ids are stable: never renumber,
// only append.
func defaultRules() []*Rule {
	var r []*Rule
	add := func(x ...*Rule) { r = append(r, x...) }

	// Cloud providers.
	const awsURL = "https://console.aws.amazon.com/iam/home#/security_credentials"
	add(
		mk(1, "aws", "AWS access key id", crit, awsURL, "akia,asia,abia,acca", tok(`(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}`), checksum(awsKeyID), k8s()),
		mk(2, "aws", "AWS secret access key", crit, awsURL, "aws_secret,secret_access_key,secretaccesskey,aws_secret_key,awssecret",
			kv(`aws_?secret|secret_?access_?key|awssecret`, b64+`{40}`), valid(mixedBase64), k8s()),
		mk(3, "aws", "AWS secret access key next to an access key id", crit, awsURL, "akia,asia",
			`(?:^|[^0-9A-Za-z+/])(`+b64+`{40})(?:[^0-9A-Za-z+/=]|$)`, lines(3), valid(mixedBase64), ent(4.0), prio(2), k8s()),
		mk(4, "aws", "AWS session token", high, awsURL, "session_token,sessiontoken,security_token",
			kv(`aws_?session_?token|security_?token`, b64+`{100,}={0,2}`), ent(4.5), k8s()),
		mk(5, "aws", "Amazon MWS auth token", high, "https://sellercentral.amazon.com/", "amzn.mws", tok(`amzn\.mws\.`+uuid)),
		mk(6, "gcp", "GCP service account private key", crit, "https://console.cloud.google.com/iam-admin/serviceaccounts", "private_key",
			`"private_key"\s*:\s*"(-----BEGIN PRIVATE KEY-----\\n[A-Za-z0-9+/=\\n]{60,}-----END PRIVATE KEY-----(?:\\n)?)"`, prio(4), k8s()),
		mk(7, "gcp", "Google API key (Cloud, Maps, Gemini / AI Studio)", high, "https://console.cloud.google.com/apis/credentials", "aiza", tok(`AIza[0-9A-Za-z_\-]{35}`), ent(3.5)),
		mk(8, "gcp", "Google OAuth client secret", high, "https://console.cloud.google.com/apis/credentials", "gocspx-", tok(`GOCSPX-[0-9A-Za-z_\-]{28}`)),
		mk(9, "gcp", "Google OAuth refresh token", high, "https://myaccount.google.com/permissions", "1//0", `(?:^|[^0-9A-Za-z/])(1//0[0-9A-Za-z_\-]{40,})`, ent(4.0)),
		mk(10, "gcp", "Google OAuth access token", med, "https://myaccount.google.com/permissions", "ya29.", tok(`ya29\.[0-9A-Za-z_\-]{50,}`), ent(4.0)),
		mk(11, "azure", "Azure storage account key in a connection string", crit, "https://portal.azure.com/#view/HubsExtension/BrowseResource/resourceType/Microsoft.Storage%2FStorageAccounts",
			"accountkey", `(?i:AccountKey)\s*=\s*(`+b64+`{86}==)`, k8s()),
		mk(12, "azure", "Azure shared access signature (SAS) token", high, "https://portal.azure.com/", "sig=", `[?&;]sv=\d{4}-\d\d-\d\d[^\s"'<>]*?[&;]sig=([0-9A-Za-z%+/]{40,}(?:%3D|=){0,2})|[?&;]sig=([0-9A-Za-z%+/]{40,}(?:%3D|=){0,2})[^\s"'<>]*?[&;]sv=\d{4}-`),
		mk(13, "azure", "Azure Service Bus / Event Hubs shared access key", high, "https://portal.azure.com/", "sharedaccesskey=", `(?i:SharedAccessKey)\s*=\s*(`+b64+`{43}=)`, k8s()),
		mk(14, "azure", "Azure AD (Entra ID) client secret", high, "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps", "q~",
			`(?:^|[^0-9A-Za-z_~.\-])([0-9A-Za-z_~.\-]{3}\dQ~[0-9A-Za-z_~.\-]{31,34})(?:[^0-9A-Za-z_~.\-]|$)`, ent(3.5)),
		mk(15, "azure", "Azure DevOps personal access token", high, "https://dev.azure.com/", "azure_devops,azuredevops,ado_pat,azdo,vsts",
			kv(`azure_?devops|ado_pat|azdo|vsts`, `[a-z2-7]{52}|[0-9A-Za-z]{84}`), ent(3.5)),
		mk(16, "azure", "Azure Cosmos DB / Function key", high, "https://portal.azure.com/", "cosmos,x-functions-key,function_key",
			kv(`cosmos|x-functions-key|function_?key`, b64+`{54,86}={0,2}`), valid(mixedBase64), ent(4.0)),
		mk(17, "digitalocean", "DigitalOcean personal access token", crit, "https://cloud.digitalocean.com/account/api/tokens", "dop_v1_", tok(`dop_v1_`+hx+`{64}`)),
		mk(18, "digitalocean", "DigitalOcean OAuth access token", high, "https://cloud.digitalocean.com/account/api/tokens", "doo_v1_", tok(`doo_v1_`+hx+`{64}`)),
		mk(19, "digitalocean", "DigitalOcean OAuth refresh token", high, "https://cloud.digitalocean.com/account/api/tokens", "dor_v1_", tok(`dor_v1_`+hx+`{64}`)),
		mk(20, "alibaba", "Alibaba Cloud access key id", high, "https://ram.console.aliyun.com/manage/ak", "ltai", tok(`LTAI[0-9A-Za-z]{12,20}`), ent(3.5)),
		mk(21, "alibaba", "Alibaba Cloud access key secret", crit, "https://ram.console.aliyun.com/manage/ak", "alibaba,aliyun,alicloud",
			kv(`alibaba|aliyun|alicloud`, b62+`{30}`), ent(4.0)),
		mk(22, "ibm", "IBM Cloud API key", crit, "https://cloud.ibm.com/iam/apikeys", "ibm", kv(`ibm`, b64u+`{44}`), ent(4.0)),
		mk(23, "oracle", "Oracle Cloud (OCI) auth token or customer secret key", crit, "https://cloud.oracle.com/identity/domains/my-profile", "oci_,oracle",
			kv(`oci_|oracle`, `[0-9A-Za-z+/=]{40,44}|[0-9A-Za-z()<>;:.#_\-]{20}`), valid(mixedBase64), ent(3.8)),
		mk(24, "tencent", "Tencent Cloud SecretId", high, "https://console.cloud.tencent.com/cam/capi", "akid", tok(`AKID[0-9A-Za-z]{32}`), ent(3.8)),
		mk(25, "cloudflare", "Cloudflare API token", high, "https://dash.cloudflare.com/profile/api-tokens", "cloudflare,cf_api",
			kv(`cloudflare|cf_api`, b64u+`{40}`), ent(3.8)),
		mk(26, "cloudflare", "Cloudflare global API key", crit, "https://dash.cloudflare.com/profile/api-tokens", "cloudflare,cf_api",
			kv(`cloudflare|cf_api`, hx+`{37}`), ent(3.2)),
		mk(27, "cloudflare", "Cloudflare Origin CA key", high, "https://dash.cloudflare.com/profile/api-tokens", "v1.0-", tok(`v1\.0-`+hx+`{24}-`+hx+`{146}`)),
		mk(28, "heroku", "Heroku API key", high, "https://dashboard.heroku.com/account", "heroku", kv(`heroku`, uuid)),
		mk(29, "heroku", "Heroku platform token", high, "https://dashboard.heroku.com/account", "hrku-", tok(`HRKU-[0-9A-Za-z_\-]{60}`)),
		mk(30, "linode", "Linode (Akamai) API token", high, "https://cloud.linode.com/profile/tokens", "linode", kv(`linode`, hx+`{64}`)),
		mk(31, "vultr", "Vultr API key", high, "https://my.vultr.com/settings/#settingsapi", "vultr", kv(`vultr`, `[A-Z0-9]{36}`), ent(3.8)),
		mk(32, "scaleway", "Scaleway secret key", high, "https://console.scaleway.com/iam/api-keys", "scaleway,scw_secret", kv(`scaleway|scw_secret`, uuid)),
		mk(33, "hetzner", "Hetzner Cloud API token", high, "https://console.hetzner.cloud/", "hetzner,hcloud", kv(`hetzner|hcloud`, b62+`{64}`), ent(4.0)),
		mk(34, "fly", "Fly.io access token", high, "https://fly.io/user/personal_access_tokens", "fo1_,fm1,fm2_", tok(`(?:fo1_[0-9A-Za-z_\-]{43}|fm[12][ar]?_[0-9A-Za-z+/]{100,}={0,3})`), ent(4.0)),
		mk(35, "render", "Render API key", high, "https://dashboard.render.com/u/settings#api-keys", "rnd_", tok(`rnd_[0-9A-Za-z]{32}`), ent(3.8)),
		mk(36, "supabase", "Supabase access or secret key", high, "https://supabase.com/dashboard/account/tokens", "sbp_,sb_secret_", tok(`(?:sbp_`+hx+`{40}|sb_secret_[0-9A-Za-z_\-]{31})`)),
		mk(37, "planetscale", "PlanetScale token or password", high, "https://app.planetscale.com/", "pscale_", tok(`pscale_(?:tkn|pw|oauth)_[0-9A-Za-z_.\-]{32,64}`), ent(3.8)),
		mk(38, "databricks", "Databricks access token", high, "https://docs.databricks.com/en/dev-tools/auth/pat.html", "dapi", tok(`dapi`+hx+`{32}(?:-\d)?`)),
		mk(39, "yandex", "Yandex Cloud API key or IAM token", high, "https://console.cloud.yandex.com/", "aqvn,t1.", tok(`(?:AQVN[0-9A-Za-z_\-]{35,38}|t1\.[0-9A-Za-z_\-]+={0,2}\.[0-9A-Za-z_\-]{86}={0,2})`), ent(3.8)),
		mk(40, "openshift", "OpenShift user token", high, "https://docs.openshift.com/container-platform/latest/authentication/managing-oauth-access-tokens.html", "sha256~", tok(`sha256~[0-9A-Za-z_\-]{43}`), ent(3.8), k8s()),
	)

	// Git hosts.
	const ghURL = "https://github.com/settings/tokens"
	add(
		mk(41, "github", "GitHub personal access token (classic)", crit, ghURL, "ghp_", tok(`ghp_`+b62+`{36}`), checksum(crcToken(4)), k8s()),
		mk(42, "github", "GitHub fine-grained personal access token", crit, ghURL, "github_pat_", tok(`github_pat_`+b62+`{22}_`+b62+`{59}`), ent(4.0), k8s()),
		mk(43, "github", "GitHub OAuth access token", high, "https://github.com/settings/applications", "gho_", tok(`gho_`+b62+`{36}`), checksum(crcToken(4))),
		mk(44, "github", "GitHub user-to-server token", high, "https://github.com/settings/apps/authorizations", "ghu_", tok(`ghu_`+b62+`{36}`), checksum(crcToken(4))),
		mk(45, "github", "GitHub App installation (server-to-server) token", high, "https://github.com/settings/apps", "ghs_", tok(`ghs_`+b62+`{36}`), checksum(crcToken(4))),
		mk(46, "github", "GitHub refresh token", high, "https://github.com/settings/apps/authorizations", "ghr_", tok(`ghr_`+b62+`{36}`), checksum(crcToken(4))),
		mk(47, "github", "GitHub OAuth app client secret", high, "https://github.com/settings/developers", "github", kv(`github[\w.\-]{0,10}(?:client_?)?secret`, hx+`{40}`)),
		mk(48, "gitlab", "GitLab personal access token", crit, "https://gitlab.com/-/user_settings/personal_access_tokens", "glpat-",
			tok(`glpat-[0-9A-Za-z_\-]{20,}(?:\.[0-9a-z]{2}\.[0-9a-z]{9})?`), ent(3.5), k8s()),
		mk(49, "gitlab", "GitLab runner authentication token", high, "https://docs.gitlab.com/ee/ci/runners/", "glrt-", tok(`glrt-(?:t\d_)?[0-9A-Za-z_\-]{20,}(?:\.[0-9a-z]{2}\.[0-9a-z]{9})?`), ent(3.5)),
		mk(50, "gitlab", "GitLab deploy token", high, "https://docs.gitlab.com/ee/user/project/deploy_tokens/", "gldt-", tok(`gldt-[0-9A-Za-z_\-]{20,}`), ent(3.5), k8s()),
		mk(51, "gitlab", "GitLab pipeline trigger token", high, "https://docs.gitlab.com/ee/ci/triggers/", "glptt-", tok(`glptt-`+hx+`{40}`)),
		mk(52, "gitlab", "GitLab runner registration token", high, "https://docs.gitlab.com/ee/ci/runners/", "gr1348941", tok(`GR1348941[0-9A-Za-z_\-]{20}`), ent(3.5)),
		mk(53, "gitlab", "GitLab OAuth application secret", high, "https://docs.gitlab.com/ee/integration/oauth_provider.html", "gloas-", tok(`gloas-`+hx+`{64}`)),
		mk(54, "gitlab", "GitLab CI/CD job, feed, feature-flag, incoming-mail or agent token", high, "https://docs.gitlab.com/ee/security/tokens/",
			"glcbt-,glft-,glffct-,glimt-,glagent-,glsoat-", tok(`(?:glcbt-[0-9a-f]{1,5}_[0-9A-Za-z_\-]{20}|glft-[0-9A-Za-z_\-]{20}|glffct-[0-9A-Za-z_\-]{20}|glimt-[0-9A-Za-z_\-]{25}|glagent-[0-9A-Za-z_\-]{50}|glsoat-[0-9A-Za-z_\-]{20})`), ent(3.5)),
		mk(55, "bitbucket", "Bitbucket app password", high, "https://bitbucket.org/account/settings/app-passwords/", "atbb", tok(`ATBB[0-9A-Za-z_=.\-]{32}`), ent(3.8)),
		mk(56, "bitbucket", "Bitbucket OAuth client secret", high, "https://bitbucket.org/account/settings/", "bitbucket", kv(`bitbucket[\w.\-]{0,10}secret`, b64u+`{32}`), ent(3.8)),
		mk(57, "atlassian", "Atlassian API token", high, "https://id.atlassian.com/manage-profile/security/api-tokens", "atatt3", tok(`ATATT3[0-9A-Za-z_\-=]{186}`)),
		mk(58, "atlassian", "Atlassian / Jira / Confluence API token (legacy)", high, "https://id.atlassian.com/manage-profile/security/api-tokens", "atlassian,jira,confluence",
			kv(`atlassian|jira|confluence`, b62+`{24}`), ent(3.8)),
		mk(59, "gitea", "Gitea access token", high, "https://docs.gitea.com/development/api-usage", "gitea", kv(`gitea`, hx+`{40}`)),
	)

	// CI systems and build tools.
	add(
		mk(60, "circleci", "CircleCI personal API token", high, "https://app.circleci.com/settings/user/tokens", "ccipat_", tok(`CCIPAT_[0-9A-Za-z]{22}_`+hx+`{40}`)),
		mk(61, "circleci", "CircleCI API token", high, "https://app.circleci.com/settings/user/tokens", "circle", kv(`circle`, hx+`{40}`)),
		mk(62, "travis", "Travis CI API token", high, "https://app.travis-ci.com/account/preferences", "travis", kv(`travis`, b64u+`{22}`), ent(3.8)),
		mk(63, "buildkite", "Buildkite API access token", high, "https://buildkite.com/user/api-access-tokens", "bkua_", tok(`bkua_`+hx+`{40}`)),
		mk(64, "buildkite", "Buildkite agent token", high, "https://buildkite.com/docs/agent/v3/tokens", "buildkite,bkct_", `(?:`+kv(`buildkite[\w.\-]{0,10}agent`, hx+`{50}`)+`|`+tok(`bkct_[0-9A-Za-z]{32,}`)+`)`),
		mk(65, "jenkins", "Jenkins API token", high, "https://www.jenkins.io/doc/book/system-administration/authenticating-scripted-clients/", "jenkins", kv(`jenkins`, `11`+hx+`{32}|`+hx+`{32}`)),
		mk(66, "drone", "Drone CI token", high, "https://docs.drone.io/cli/setup/", "drone", kv(`drone`, b62+`{32}`), ent(3.8)),
		mk(67, "codecov", "Codecov upload token", med, "https://app.codecov.io/account", "codecov", kv(`codecov`, uuid)),
		mk(68, "sonar", "SonarQube / SonarCloud token", high, "https://sonarcloud.io/account/security", "squ_,sqp_,sqa_", tok(`sq[upa]_`+hx+`{40}`)),
		mk(69, "snyk", "Snyk API token", high, "https://app.snyk.io/account", "snyk", kv(`snyk`, uuid)),
		mk(70, "jfrog", "JFrog Artifactory API key or reference token", high, "https://jfrog.com/help/r/jfrog-platform-administration-documentation/access-tokens",
			"akcp,cmvmdgtu", tok(`(?:AKCp[0-9A-Za-z]{69}|cmVmdGtu[0-9A-Za-z]{56})`), k8s()),
		mk(71, "harness", "Harness API token", high, "https://developer.harness.io/docs/platform/automation/api/add-and-manage-api-keys/", "pat.,sat.",
			tok(`(?:pat|sat)\.[0-9A-Za-z_\-]{22}\.`+hx+`{24}\.[0-9A-Za-z]{20}`)),
		mk(72, "octopus", "Octopus Deploy API key", high, "https://octopus.com/docs/octopus-rest-api/how-to-create-an-api-key", "api-", tok(`API-[A-Z0-9]{26}`), ent(3.5)),
		mk(73, "teamcity", "TeamCity access token", high, "https://www.jetbrains.com/help/teamcity/configuring-your-user-profile.html", "eyj0exaioiaivenwmij9",
			tok(`eyJ0eXAiOiAiVENWMiJ9\.[0-9A-Za-z_\-]{36}\.[0-9A-Za-z_\-]{48}`)),
		mk(74, "terraform", "Terraform Cloud / HCP Terraform API token", crit, "https://app.terraform.io/app/settings/tokens", ".atlasv1.", tok(`[0-9A-Za-z]{14}\.atlasv1\.[0-9A-Za-z_=\-]{60,70}`), k8s()),
		mk(75, "vault", "HashiCorp Vault service token", crit, "https://developer.hashicorp.com/vault/docs/concepts/tokens", "hvs.", tok(`hvs\.[0-9A-Za-z_\-]{24,}`), ent(4.0), k8s()),
		mk(76, "vault", "HashiCorp Vault batch token", high, "https://developer.hashicorp.com/vault/docs/concepts/tokens", "hvb.", tok(`hvb\.[0-9A-Za-z_\-]{100,}`), ent(4.0), k8s()),
		mk(77, "pulumi", "Pulumi access token", high, "https://app.pulumi.com/account/tokens", "pul-", tok(`pul-`+hx+`{40}`), k8s()),
		mk(78, "doppler", "Doppler token", high, "https://dashboard.doppler.com/", "dp.pt.,dp.st.,dp.sa.,dp.ct.,dp.scim.,dp.audit.",
			tok(`dp\.(?:pt|st|sa|ct|scim|audit)\.[0-9A-Za-z._\-]{40,}`), ent(4.0), k8s()),
		mk(79, "infracost", "Infracost API key", med, "https://dashboard.infracost.io/", "ico-", tok(`ico-[0-9A-Za-z]{32}`), ent(3.8)),
		mk(80, "prefect", "Prefect API key", high, "https://app.prefect.cloud/my/api-keys", "pnu_", tok(`pnu_[0-9A-Za-z]{36}`), ent(3.8)),
	)

	// Payment.
	add(
		mk(81, "stripe", "Stripe live secret key", crit, "https://dashboard.stripe.com/apikeys", "sk_live_", tok(`sk_live_[0-9A-Za-z]{24,247}`), ent(3.8)),
		mk(82, "stripe", "Stripe live restricted key", crit, "https://dashboard.stripe.com/apikeys", "rk_live_", tok(`rk_live_[0-9A-Za-z]{24,247}`), ent(3.8)),
		mk(83, "stripe", "Stripe test-mode secret key", low, "https://dashboard.stripe.com/test/apikeys", "sk_test_,rk_test_", tok(`[sr]k_test_[0-9A-Za-z]{24,247}`), ent(3.8)),
		mk(84, "stripe", "Stripe webhook signing secret", high, "https://dashboard.stripe.com/webhooks", "whsec_", tok(`whsec_[0-9A-Za-z+/]{32,}`), ent(3.8)),
		mk(85, "square", "Square access token", crit, "https://developer.squareup.com/apps", "eaaa,sq0atp-", tok(`(?:EAAA[0-9A-Za-z_\-]{60}|sq0atp-[0-9A-Za-z_\-]{22})`), ent(3.8)),
		mk(86, "square", "Square OAuth secret", high, "https://developer.squareup.com/apps", "sq0csp-", tok(`sq0csp-[0-9A-Za-z_\-]{43}`), ent(3.8)),
		mk(87, "paypal", "PayPal Braintree access token", crit, "https://www.braintreegateway.com/", "access_token$production$,access_token$sandbox$",
			tok(`access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$`+hx+`{32}`)),
		mk(88, "paypal", "PayPal client secret", high, "https://developer.paypal.com/dashboard/applications", "paypal", kv(`paypal[\w.\-]{0,12}secret`, `E[0-9A-Za-z_\-]{79}`), ent(4.0)),
		mk(89, "adyen", "Adyen API key", crit, "https://ca-live.adyen.com/", "aqe", tok(`AQE[0-9A-Za-z+/=_\-]{80,}`), ent(4.0)),
		mk(90, "razorpay", "Razorpay live key", high, "https://dashboard.razorpay.com/app/keys", "rzp_live_", tok(`rzp_live_[0-9A-Za-z]{14}`), ent(3.5)),
		mk(91, "flutterwave", "Flutterwave secret key", high, "https://dashboard.flutterwave.com/settings/apis", "flwseck", tok(`FLWSECK(?:_TEST)?-`+hx+`{32}-X`)),
		mk(92, "plaid", "Plaid access token", high, "https://dashboard.plaid.com/", "access-production-,access-development-", tok(`access-(?:production|development)-`+uuid)),
		mk(93, "shopify", "Shopify access token", crit, "https://partners.shopify.com/", "shpat_,shpca_,shppa_", tok(`shp(?:at|ca|pa)_[0-9a-fA-F]{32}`)),
		mk(94, "shopify", "Shopify shared secret", high, "https://partners.shopify.com/", "shpss_", tok(`shpss_[0-9a-fA-F]{32}`)),
		mk(95, "gocardless", "GoCardless live access token", high, "https://manage.gocardless.com/developers", "live_", tok(`live_[0-9A-Za-z_=\-]{40}`), ent(4.0)),
		mk(96, "coinbase", "Coinbase API secret", high, "https://www.coinbase.com/settings/api", "coinbase", kv(`coinbase`, b64u+`{64}|`+b64+`{86}==`), ent(4.0)),
		mk(97, "easypost", "EasyPost API key", high, "https://www.easypost.com/account/api-keys", "ezak", tok(`EZAK[0-9A-Za-z]{54}`), ent(4.0)),
		mk(98, "duffel", "Duffel API token", high, "https://app.duffel.com/", "duffel_live_,duffel_test_", tok(`duffel_(?:live|test)_[0-9A-Za-z_=\-]{43}`), ent(4.0)),
	)

	// Chat.
	add(
		mk(99, "slack", "Slack bot token", high, "https://api.slack.com/apps", "xoxb-", tok(`xoxb-\d{10,13}-\d{10,13}-[0-9A-Za-z]{24}`)),
		mk(100, "slack", "Slack user token", high, "https://api.slack.com/apps", "xoxp-", tok(`xoxp-\d{10,13}-\d{10,13}-\d{10,13}-`+hx+`{32}`)),
		mk(101, "slack", "Slack app-level token", high, "https://api.slack.com/apps", "xapp-", tok(`xapp-\d-[A-Z0-9]+-\d+-`+hx+`{64}`)),
		mk(102, "slack", "Slack configuration or legacy token", high, "https://api.slack.com/apps", "xoxe.,xoxa-,xoxr-,xoxs-,xoxo-",
			tok(`(?:xoxe\.xox[bp]-\d-[0-9A-Z]{146,}|xoxe-\d-[0-9A-Z]{146,}|xox[aros]-\d+-[0-9A-Za-z\-]{20,})`), ent(3.5)),
		mk(103, "slack", "Slack incoming webhook", med, "https://api.slack.com/apps", "hooks.slack.com", `(https://hooks\.slack\.com/(?:services|workflows|triggers)/T[0-9A-Z]{8,12}/[0-9A-Za-z]{8,12}/[0-9A-Za-z]{20,32})`),
		mk(104, "discord", "Discord bot token", high, "https://discord.com/developers/applications", "discord",
			kv(`discord`, `[MNO][0-9A-Za-z_\-]{23,25}\.[0-9A-Za-z_\-]{6}\.[0-9A-Za-z_\-]{27,38}`), ent(4.0)),
		mk(105, "discord", "Discord webhook", med, "https://discord.com/developers/applications", "discord.com/api/webhooks,discordapp.com/api/webhooks",
			`(https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/[0-9A-Za-z_\-]{60,68})`),
		mk(106, "telegram", "Telegram bot token", high, "https://t.me/BotFather", ":aa", tok(`\d{8,10}:AA[0-9A-Za-z_\-]{33}`), ent(3.8)),
		mk(107, "teams", "Microsoft Teams incoming webhook", med, "https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook",
			"webhook.office.com,outlook.office.com/webhook",
			`(https://[0-9a-z\-]+\.webhook\.office\.com/webhookb2/`+uuid+`@`+uuid+`/IncomingWebhook/[0-9a-f]{32}/`+uuid+`(?:/[0-9A-Za-z_\-]+)?)`),
		mk(108, "teams", "Microsoft Power Automate workflow webhook", med, "https://learn.microsoft.com/power-automate/", "logic.azure.com",
			`(https://[0-9a-z\-.]+\.logic\.azure\.com(?::443)?/workflows/[0-9a-f]{32}/triggers/[^\s"']+sig=[0-9A-Za-z_\-]{43})`),
		mk(109, "mattermost", "Mattermost access token", high, "https://docs.mattermost.com/", "mattermost", kv(`mattermost`, `[a-z0-9]{26}`), ent(3.8)),
		mk(110, "twitch", "Twitch API token", high, "https://dev.twitch.tv/console", "twitch", kv(`twitch`, `[a-z0-9]{30}`), ent(3.8)),
		mk(111, "twitter", "Twitter / X bearer token", high, "https://developer.x.com/en/portal/dashboard", "aaaaaaaaaaaaaaaaaaaaa",
			tok(`A{22}[0-9A-Za-z%]{80,120}`)),
		mk(112, "twitter", "Twitter / X API secret", high, "https://developer.x.com/en/portal/dashboard", "twitter", kv(`twitter[\w.\-]{0,12}secret`, b62+`{50}`), ent(4.0)),
		mk(113, "facebook", "Facebook / Meta access token", high, "https://developers.facebook.com/apps", "eaacedeose0cba,eaab", tok(`EAA(?:CEdEose0cBA|B)[0-9A-Za-z]{100,}`), ent(4.0)),
		mk(114, "facebook", "Facebook app secret", high, "https://developers.facebook.com/apps", "facebook,fb_", kv(`facebook[\w.\-]{0,12}secret|fb_app_secret`, hx+`{32}`)),
	)

	// AI vendors.
	add(
		mk(115, "openai", "OpenAI API key", crit, "https://platform.openai.com/api-keys", "t3blbkfj",
			tok(`sk-(?:(?:proj|svcacct|admin|None)-)?[0-9A-Za-z_\-]{20,200}T3BlbkFJ[0-9A-Za-z_\-]{20,200}`)),
		mk(116, "anthropic", "Anthropic API key", crit, "https://console.anthropic.com/settings/keys", "sk-ant-api03-", tok(`sk-ant-api03-[0-9A-Za-z_\-]{93}AA`), ent(4.0)),
		mk(117, "anthropic", "Anthropic admin key", crit, "https://console.anthropic.com/settings/admin-keys", "sk-ant-admin01-", tok(`sk-ant-admin01-[0-9A-Za-z_\-]{93}AA`), ent(4.0)),
		mk(118, "huggingface", "Hugging Face access token", high, "https://huggingface.co/settings/tokens", "hf_", tok(`hf_[A-Za-z]{34}`), ent(4.0)),
		mk(119, "huggingface", "Hugging Face organization API token", high, "https://huggingface.co/settings/tokens", "api_org_", tok(`api_org_[A-Za-z]{34}`), ent(4.0)),
		mk(120, "cohere", "Cohere API key", high, "https://dashboard.cohere.com/api-keys", "cohere,co_api_key", kv(`cohere|co_api_key`, b62+`{40}`), ent(4.0)),
		mk(121, "mistral", "Mistral AI API key", high, "https://console.mistral.ai/api-keys", "mistral", kv(`mistral`, b62+`{32}`), ent(4.0)),
		mk(122, "groq", "Groq API key", high, "https://console.groq.com/keys", "gsk_", tok(`gsk_[0-9A-Za-z]{52}`), ent(4.0)),
		mk(123, "replicate", "Replicate API token", high, "https://replicate.com/account/api-tokens", "r8_", tok(`r8_[0-9A-Za-z]{37}`), ent(4.0)),
		mk(124, "perplexity", "Perplexity API key", high, "https://www.perplexity.ai/settings/api", "pplx-", tok(`pplx-[0-9A-Za-z]{48}`), ent(4.0)),
		mk(125, "xai", "xAI API key", high, "https://console.x.ai/", "xai-", tok(`xai-[0-9A-Za-z]{80}`), ent(4.0)),
		mk(126, "openrouter", "OpenRouter API key", high, "https://openrouter.ai/settings/keys", "sk-or-v1-", tok(`sk-or-v1-`+hx+`{64}`)),
		mk(127, "langsmith", "LangSmith API key", high, "https://smith.langchain.com/settings", "lsv2_", tok(`lsv2_(?:pt|sk)_`+hx+`{32}_`+hx+`{10}`)),
		mk(128, "pinecone", "Pinecone API key", high, "https://app.pinecone.io/", "pcsk_", tok(`pcsk_[0-9A-Za-z]{5,6}_[0-9A-Za-z]{60,70}`), ent(4.0)),
		mk(129, "fireworks", "Fireworks AI API key", high, "https://fireworks.ai/account/api-keys", "fw_", tok(`fw_[0-9A-Za-z]{24}`), ent(4.0)),
		mk(130, "deepseek", "DeepSeek API key", high, "https://platform.deepseek.com/api_keys", "deepseek", kv(`deepseek`, `sk-`+hx+`{32}`)),
		mk(131, "together", "Together AI API key", high, "https://api.together.xyz/settings/api-keys", "together", kv(`together`, hx+`{64}|tgp_v1_[0-9A-Za-z_\-]{43}`)),
		mk(132, "elevenlabs", "ElevenLabs API key", high, "https://elevenlabs.io/app/settings/api-keys", "elevenlabs,xi-api-key,xi_api_key", kv(`elevenlabs|xi[-_]api[-_]key`, `(?:sk_)?`+hx+`{32,48}`)),
		mk(133, "wandb", "Weights & Biases API key", high, "https://wandb.ai/authorize", "wandb", kv(`wandb`, hx+`{40}`)),
		mk(134, "assemblyai", "AssemblyAI / Deepgram API key", high, "https://www.assemblyai.com/app/account", "assemblyai,deepgram", kv(`assemblyai|deepgram`, hx+`{32,40}`)),
	)

	// Package registries.
	add(
		mk(135, "npm", "npm access token", crit, "https://www.npmjs.com/settings/~/tokens", "npm_", tok(`npm_`+b62+`{36}`), checksum(crcToken(4)), k8s()),
		mk(136, "pypi", "PyPI API token", crit, "https://pypi.org/manage/account/token/", "pypi-ageichlwas5vcmc,pypi-agendgvzdc5wexbplm9yzw",
			tok(`pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[0-9A-Za-z_\-]{50,}`), ent(4.0), k8s()),
		mk(137, "rubygems", "RubyGems API key", crit, "https://rubygems.org/profile/api_keys", "rubygems_", tok(`rubygems_`+hx+`{48}`)),
		mk(138, "nuget", "NuGet API key", crit, "https://www.nuget.org/account/apikeys", "oy2", tok(`oy2[a-z0-9]{43}`), ent(4.0)),
		mk(139, "dockerhub", "Docker Hub personal or organization access token", crit, "https://app.docker.com/settings/personal-access-tokens", "dckr_pat_,dckr_oat_",
			tok(`dckr_(?:pat|oat)_[0-9A-Za-z_\-]{27,}`), ent(3.8), k8s()),
		mk(140, "crates", "crates.io API token", crit, "https://crates.io/settings/tokens", "cio", tok(`cio[0-9A-Za-z]{32}`), ent(4.0)),
		mk(141, "clojars", "Clojars deploy token", high, "https://clojars.org/tokens", "clojars_", tok(`CLOJARS_[0-9a-z]{60}`)),
		mk(142, "packagist", "Packagist token", high, "https://packagist.org/profile/", "packagist_", tok(`packagist_[ou][ru]t_`+hx+`{68}`)),
		mk(143, "docker", "Docker registry credentials (config.json auth)", crit, "https://docs.docker.com/reference/cli/docker/login/", `"auth"`,
			`"auth"\s*:\s*"(`+b64eq+`)"`, valid(dockerAuth), k8s()),
		mk(144, "npm", "npm registry auth token in .npmrc", crit, "https://www.npmjs.com/settings/~/tokens", "_authtoken,_auth,_password",
			`^[ \t]*(?://[^\s=]*:)?(?:_authToken|_auth|_password)[ \t]*=[ \t]*["']?([0-9A-Za-z+/=_.~\-]{20,})["']?[ \t]*\r?$`, ent(3.5), k8s(),
			paths(".npmrc", "*.npmrc", "npmrc")),
		mk(145, "hex", "Hex.pm API key", high, "https://hex.pm/dashboard/keys", "hex_api_key,hexpm", kv(`hex_?api_?key|hexpm`, hx+`{32}`)),
	)

	// SaaS.
	add(
		mk(146, "twilio", "Twilio API key or auth token", high, "https://console.twilio.com/", "twilio", kv(`twilio`, `SK[0-9a-fA-F]{32}|`+hx+`{32}`)),
		mk(147, "sendgrid", "SendGrid API key", high, "https://app.sendgrid.com/settings/api_keys", "sg.", tok(`SG\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z_\-]{43}`), ent(4.0)),
		mk(148, "mailgun", "Mailgun API key", high, "https://app.mailgun.com/settings/api_security", "key-,mailgun",
			`(?:`+tok(`key-`+hx+`{32}`)+`|`+kv(`mailgun`, hx+`{32}-`+hx+`{8}-`+hx+`{8}`)+`)`),
		mk(149, "mailchimp", "Mailchimp API key", high, "https://admin.mailchimp.com/account/api/", "-us", tok(hx+`{32}-us\d{1,2}`)),
		mk(150, "mailchimp", "Mandrill API key", high, "https://mandrillapp.com/settings", "mandrill", kv(`mandrill`, b64u+`{22}`), ent(3.8)),
		mk(151, "postmark", "Postmark server token", high, "https://account.postmarkapp.com/", "postmark", kv(`postmark`, uuid)),
		mk(152, "sparkpost", "SparkPost API key", high, "https://app.sparkpost.com/account/api-keys", "sparkpost", kv(`sparkpost`, hx+`{40}`)),
		mk(153, "brevo", "Brevo (Sendinblue) API key", high, "https://app.brevo.com/settings/keys/api", "xkeysib-", tok(`xkeysib-`+hx+`{64}-[0-9A-Za-z]{16}`)),
		mk(154, "resend", "Resend API key", high, "https://resend.com/api-keys", "resend", kv(`resend`, `re_[0-9A-Za-z_]{32,}`), ent(3.8)),
		mk(155, "datadog", "Datadog API or application key", high, "https://app.datadoghq.com/organization-settings/api-keys", "datadog,dd_api_key,dd_app_key,dd_application_key",
			kv(`datadog|dd_api_key|dd_app(?:lication)?_key`, hx+`{40}|`+hx+`{32}`), k8s()),
		mk(156, "newrelic", "New Relic user API key", high, "https://one.newrelic.com/api-keys", "nrak-", tok(`NRAK-[A-Z0-9]{27}`), ent(3.5)),
		mk(157, "newrelic", "New Relic insert, browser or license key", high, "https://one.newrelic.com/api-keys", "nrii-,nrjs-,nral-,newrelic,new_relic",
			`(?:`+tok(`NRII-[0-9A-Za-z_\-]{32}|NRJS-`+hx+`{19}|NRAL-[0-9A-Za-z]{36}`)+`|`+kv(`new_?relic[\w.\-]{0,10}license`, hx+`{36}NRAL|`+hx+`{40}`)+`)`),
		mk(158, "sentry", "Sentry auth token", high, "https://sentry.io/settings/account/api/auth-tokens/", "sntrys_,sntryu_",
			tok(`(?:sntrys_eyJ[0-9A-Za-z_+/=\-]{60,}|sntryu_`+hx+`{64})`)),
		mk(159, "netlify", "Netlify access token", high, "https://app.netlify.com/user/applications", "nfp_,netlify", `(?:`+tok(`nfp_[0-9A-Za-z]{36}`)+`|`+kv(`netlify`, b64u+`{43,45}`)+`)`, ent(4.0)),
		mk(160, "vercel", "Vercel access token", high, "https://vercel.com/account/tokens", "vercel", kv(`vercel`, b62+`{24}`), ent(3.8)),
		mk(161, "linear", "Linear API key", high, "https://linear.app/settings/api", "lin_api_,lin_oauth_", tok(`lin_(?:api|oauth)_[0-9A-Za-z]{40}`), ent(4.0)),
		mk(162, "notion", "Notion integration token", high, "https://www.notion.so/my-integrations", "secret_,ntn_", tok(`(?:secret_[0-9A-Za-z]{43}|ntn_\d{11}[0-9A-Za-z]{35})`), ent(4.0)),
		mk(163, "postman", "Postman API key", high, "https://go.postman.co/settings/me/api-keys", "pmak-", tok(`PMAK-`+hx+`{24}-`+hx+`{34}`)),
		mk(164, "grafana", "Grafana Cloud API token", high, "https://grafana.com/orgs/", "glc_", tok(`glc_[0-9A-Za-z+/]{32,400}={0,2}`), ent(4.0)),
		mk(165, "grafana", "Grafana service account token", high, "https://grafana.com/docs/grafana/latest/administration/service-accounts/", "glsa_", tok(`glsa_[0-9A-Za-z]{32}_[0-9A-Fa-f]{8}`)),
		mk(166, "grafana", "Grafana API key", high, "https://grafana.com/docs/grafana/latest/administration/service-accounts/", "eyjrijoi", tok(`eyJrIjoi[0-9A-Za-z]{70,400}={0,2}`)),
		mk(167, "okta", "Okta API token", crit, "https://help.okta.com/en-us/content/topics/security/api.htm", "okta", kv(`okta`, `00[0-9A-Za-z_\-]{40}`), ent(4.0)),
		mk(168, "auth0", "Auth0 client secret or management token", high, "https://manage.auth0.com/", "auth0", kv(`auth0[\w.\-]{0,15}(?:secret|token)`, b64u+`{64}`), ent(4.0)),
		mk(169, "asana", "Asana personal access token", high, "https://app.asana.com/0/my-apps", "asana", kv(`asana`, `[0-9]/[0-9]{16}:`+hx+`{32}|[0-9]/[0-9]{16}/[0-9]{16}:`+hx+`{32}`)),
		mk(170, "airtable", "Airtable personal access token", high, "https://airtable.com/create/tokens", "pat", tok(`pat[0-9A-Za-z]{14}\.`+hx+`{64}`)),
		mk(171, "algolia", "Algolia admin API key", high, "https://dashboard.algolia.com/account/api-keys", "algolia", kv(`algolia`, hx+`{32}`)),
		mk(172, "contentful", "Contentful personal access token", high, "https://app.contentful.com/account/profile/cma_tokens", "cfpat-", tok(`CFPAT-[0-9A-Za-z_\-]{43}`), ent(4.0)),
		mk(173, "dropbox", "Dropbox access token", high, "https://www.dropbox.com/developers/apps", "sl.", tok(`sl\.[0-9A-Za-z_\-]{130,152}`), ent(4.0)),
		mk(174, "dynatrace", "Dynatrace API token", high, "https://docs.dynatrace.com/docs/manage/access-control/access-tokens", "dt0c01.", tok(`dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}`)),
		mk(175, "figma", "Figma personal access token", med, "https://www.figma.com/developers/api#access-tokens", "figd_", tok(`figd_[0-9A-Za-z_\-]{40}`), ent(4.0)),
		mk(176, "hubspot", "HubSpot private app token", high, "https://app.hubspot.com/", "pat-na1-,pat-eu1-", tok(`pat-(?:na|eu)1-`+uuid)),
		mk(177, "mapbox", "Mapbox secret token", high, "https://account.mapbox.com/access-tokens/", "sk.eyj", tok(`sk\.eyJ[0-9A-Za-z_\-]+\.[0-9A-Za-z_\-]{22}`)),
		mk(178, "typeform", "Typeform personal access token", med, "https://admin.typeform.com/account#/section/tokens", "tfp_", tok(`tfp_[0-9A-Za-z_=.\-]{59}`), ent(4.0)),
		mk(179, "shippo", "Shippo API token", high, "https://apps.goshippo.com/settings/api", "shippo_live_,shippo_test_", tok(`shippo_(?:live|test)_`+hx+`{40}`)),
		mk(180, "lob", "Lob API key", high, "https://dashboard.lob.com/settings/api-keys", "live_,test_", kv(`lob`, `(?:live|test)_`+hx+`{35}`)),
		mk(181, "readme", "ReadMe API key", med, "https://dash.readme.com/", "rdme_", tok(`rdme_[0-9a-z]{70}`), ent(4.0)),
		mk(182, "age", "age secret key", crit, "https://github.com/FiloSottile/age", "age-secret-key-1", tok(`AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}`), k8s()),
		mk(183, "pagerduty", "PagerDuty API key", high, "https://support.pagerduty.com/main/docs/api-access-keys", "pagerduty", kv(`pagerduty`, `u\+[0-9A-Za-z_+\-]{18}|[0-9A-Za-z_+\-]{20}`), ent(3.8)),
		mk(184, "opsgenie", "Opsgenie API key", high, "https://support.atlassian.com/opsgenie/docs/api-key-management/", "opsgenie", kv(`opsgenie`, uuid)),
		mk(185, "launchdarkly", "LaunchDarkly access token", high, "https://app.launchdarkly.com/settings/authorization", "api-,launchdarkly", kv(`launchdarkly`, `api-`+uuid+`|sdk-`+uuid)),
		mk(186, "segment", "Segment public API token", high, "https://app.segment.com/", "sgp_", tok(`sgp_[0-9A-Za-z]{64}`), ent(4.0)),
		mk(187, "intercom", "Intercom access token", high, "https://app.intercom.com/a/apps/_/developer-hub", "intercom", kv(`intercom`, b64u+`{59}=`), ent(4.0)),
		mk(188, "zendesk", "Zendesk API token", high, "https://support.zendesk.com/hc/en-us/articles/4408889192858", "zendesk", kv(`zendesk`, b62+`{40}`), ent(4.0)),
		mk(189, "fastly", "Fastly API token", high, "https://manage.fastly.com/account/personal/tokens", "fastly", kv(`fastly`, b64u+`{32}`), ent(3.8)),
		mk(190, "honeycomb", "Honeycomb API key", high, "https://ui.honeycomb.io/", "honeycomb,hcaik_", `(?:`+kv(`honeycomb`, b62+`{22}|`+b62+`{32}`)+`|`+tok(`hcaik_[0-9a-z]{58}`)+`)`, ent(3.8)),
		mk(191, "clickup", "ClickUp personal API token", med, "https://app.clickup.com/settings/apps", "pk_", tok(`pk_\d{6,10}_[0-9A-Z]{32}`)),
		mk(192, "sidekiq", "Sidekiq Enterprise / Pro credentials", high, "https://sidekiq.org/", "contribsys", `(?i:contribsys)[\w.\-]*\s*[=:]\s*["']?([0-9a-f]{8}:[0-9a-f]{8})`),
		mk(193, "frameio", "Frame.io developer token", med, "https://developer.frame.io/", "fio-u-", tok(`fio-u-[0-9A-Za-z_=\-]{64}`), ent(4.0)),
		mk(194, "kubernetes", "Kubernetes bootstrap token", high, "https://kubernetes.io/docs/reference/access-authn-authz/bootstrap-tokens/", "token-secret,bootstrap-token",
			kv(`token-secret|bootstrap-token`, `[a-z0-9]{16}|[a-z0-9]{6}\.[a-z0-9]{16}`), ent(3.2), k8s()),
	)

	// Private keys.
	const keyURL = "https://owasp.org/www-community/vulnerabilities/Use_of_hard-coded_password"
	pem := func(n int, title, label, kw string) *Rule {
		return mk(n, "private-key", title, crit, keyURL, kw,
			`(-----BEGIN `+label+`-----(?:\r?\n|\\n)(?:[0-9A-Za-z+/=:\-,. \t]*(?:\r?\n|\\n)){1,400}?[0-9A-Za-z+/=\\n\r\n]*-----END `+label+`-----)`,
			spanBytes(64*1024), valid(pemBody), prio(1), k8s())
	}
	add(
		pem(195, "RSA private key", "RSA PRIVATE KEY", "begin rsa private key"),
		pem(196, "EC private key", "EC PRIVATE KEY", "begin ec private key"),
		pem(197, "DSA private key", "DSA PRIVATE KEY", "begin dsa private key"),
		pem(198, "OpenSSH private key", "OPENSSH PRIVATE KEY", "begin openssh private key"),
		pem(199, "PKCS #8 private key", "PRIVATE KEY", "begin private key"),
		pem(200, "Encrypted PKCS #8 private key", "ENCRYPTED PRIVATE KEY", "begin encrypted private key"),
		pem(201, "PGP private key block", "PGP PRIVATE KEY BLOCK", "begin pgp private key block"),
		mk(202, "private-key", "PuTTY private key", crit, keyURL, "putty-user-key-file-",
			`(PuTTY-User-Key-File-[23]: [\w\-]+\r?\n(?:[^\n]*\r?\n){2,60}?Private-Lines: \d+\r?\n(?:[0-9A-Za-z+/=]+\r?\n){1,60})`, spanBytes(16*1024), valid(pemBody), prio(1), k8s()),
	)

	// Structured credentials: JWTs, connection strings, URLs.
	add(
		mk(203, "jwt", "JSON Web Token", med, "https://jwt.io/introduction", "eyj", tok(`eyJ[0-9A-Za-z_\-]{10,}\.eyJ[0-9A-Za-z_\-]{10,}\.[0-9A-Za-z_\-]{16,}`), checksum(jwtValid), prio(1), k8s()),
		mk(204, "connection-string", "Database or broker URL with a password", crit, keyURL,
			"postgres://,postgresql://,mysql://,mariadb://,mongodb://,mongodb+srv://,redis://,rediss://,amqp://,amqps://,mssql://,sqlserver://,clickhouse://,cockroachdb://",
			`(?i:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|clickhouse|cockroachdb)://[^\s:/@"'<>]*:(?P<secret>[^\s@/"'<>]{3,128})@(?P<key>[0-9A-Za-z.\-\[\]_]+)`,
			valid(urlPassword), keyName(realHost), prio(1), k8s()),
		mk(205, "connection-string", "JDBC URL with a password", crit, keyURL, "jdbc:",
			`jdbc:[a-z0-9:]+[^\s"'<>]*?[;?&](?i:password)=([^\s;&"'<>]{3,128})`, valid(urlPassword), prio(1), k8s()),
		mk(206, "connection-string", "ODBC / ADO.NET connection string with a password", crit, keyURL, "pwd=,password=",
			`(?i:(?:server|data source|host|dsn)=[^;"'\n]+;(?:[^;"'\n]*;)*?\s*(?:pwd|password)=)([^;"'\s<>]{3,128})`, valid(urlPassword), prio(1), k8s()),
		mk(207, "url-credentials", "URL with basic-auth credentials", high, keyURL, "://",
			`(?i:https?|ftps?|ssh|git|svn|ldaps?|smtps?)://(?P<key>[0-9A-Za-z._~%!$&'*+,;=\-]{1,64}:(?P<secret>[0-9A-Za-z._~%!$&*+,;=\-]{3,128})@[0-9A-Za-z.\-]+)`,
			valid(urlPassword), keyName(urlCredentialKey), ent(2.5), prio(1), k8s()),
	)

	// Generic assignments.
	add(
		mk(208, "generic", "Generic secret assigned to a password, secret, token or key name", high, keyURL,
			"password,passwd,pwd,secret,token,api_key,apikey,api-key,access_key,accesskey,auth_key,credential,private_key",
			`(?P<key>(?i:password|passwd|pwd|secret|token|api[_\-]?key|access[_\-]?key|auth[_\-]?key|credentials?|private[_\-]?key)[0-9A-Za-z_.\-]*)["'\x60]?\]?\s*(?::=|=>|=|:)\s*(?:["'\x60](?P<secret>[^"'\x60\s]{10,200})["'\x60]|(?P<secret>[^"'\x60\s,;)}\]:=][^"'\x60\s,;)}\]:]{9,199})(?:[\s,;)}\]]|$))`,
			keyName(genericKey), generic(), k8s()),
	)
	for _, x := range r {
		x.Keywords = lowerAll(x.Keywords)
	}
	return r
}

func lowerAll(s []string) []string {
	for i := range s {
		s[i] = strings.ToLower(s[i])
	}
	return s
}

// pemBody wants a key block whose body is mostly base64 with enough
// entropy: a placeholder ("...", "REDACTED") fails.
func pemBody(s string) bool {
	lines := strings.FieldsFunc(strings.ReplaceAll(s, `\n`, "\n"), func(r rune) bool { return r == '\n' || r == '\r' })
	var body strings.Builder
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "-----") || strings.Contains(l, ":") || l == "" {
			continue
		}
		body.WriteString(l)
	}
	b := body.String()
	return len(b) >= 64 && !placeholder(b) && entropy(b) >= 4.5
}
