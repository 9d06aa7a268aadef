package cicd

import (
	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
)

// OWASPCICD names the OWASP Top 10 CI/CD Security Risks (2022) framework;
// its ids are "CICD-SEC-1" … "CICD-SEC-10".
const OWASPCICD = check.OWASPCICD

// controls builds a rule's control list: one NIST SP 800-190
// countermeasure, OWASP CI/CD risks and CWE ids.
func controls(nist string, owasp []string, cwes ...string) []finding.Control {
	cs := []finding.Control{{Framework: check.NIST800190, ID: nist}}
	for _, o := range owasp {
		cs = append(cs, finding.Control{Framework: OWASPCICD, ID: o})
	}
	for _, c := range cwes {
		cs = append(cs, finding.Control{Framework: check.CWE, ID: c})
	}
	return cs
}

func owasp(ids ...string) []string { return ids }

// GitHub Actions rule ids.
const (
	ghaSecurityToolUnpinned = "PAVE-GHA-001"
	ghaThirdPartyUnpinned   = "PAVE-GHA-002"
	ghaGitHubOwnedUnpinned  = "PAVE-GHA-003"
	ghaDockerUnpinned       = "PAVE-GHA-004"
	ghaTagDrift             = "PAVE-GHA-005"
	ghaUntrustedCheckout    = "PAVE-GHA-006"
	ghaScriptInjection      = "PAVE-GHA-007"
	ghaNoPermissions        = "PAVE-GHA-008"
	ghaWriteAll             = "PAVE-GHA-009"
	ghaWorkflowWrite        = "PAVE-GHA-010"
	ghaSecretsInherit       = "PAVE-GHA-011"
	ghaSelfHostedPublic     = "PAVE-GHA-012"
	ghaPersistCredentials   = "PAVE-GHA-013"
	ghaCachePoisoning       = "PAVE-GHA-014"
	ghaUnverifiedDownload   = "PAVE-GHA-015"
	ghaPipeToShell          = "PAVE-GHA-016"
	ghaUnsecureCommands     = "PAVE-GHA-017"
	ghaSecretEchoed         = "PAVE-GHA-018"
)

var ghaRules = []finding.Rule{
	{ID: ghaSecurityToolUnpinned, Kind: finding.Pipeline, Severity: finding.Critical,
		Title:       "Security tool or credential action not pinned to a full commit SHA",
		Remediation: "Pin the action to the commit its release tag points at, and keep the tag as a comment so updates stay readable:\n  uses: aquasecurity/trivy-action@<40-hex commit sha> # v0.x.y\nA tag can be re-pointed to a malicious commit; a commit SHA cannot. Let Dependabot or Renovate bump the SHA.",
		Controls:    controls("4.1.5", owasp("CICD-SEC-3", "CICD-SEC-8"), "829", "494")},
	{ID: ghaThirdPartyUnpinned, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "Third-party action not pinned to a full commit SHA",
		Remediation: "Pin the action to a full 40-character commit SHA and keep the tag as a comment:\n  uses: owner/action@<40-hex commit sha> # v1.2.3",
		Controls:    controls("4.1.5", owasp("CICD-SEC-3", "CICD-SEC-8"), "829")},
	{ID: ghaGitHubOwnedUnpinned, Kind: finding.Pipeline, Severity: finding.Medium,
		Title:       "GitHub-owned action (actions/*, github/*) not pinned to a full commit SHA",
		Remediation: "Pin it to a commit SHA as for any action:\n  uses: actions/checkout@<40-hex commit sha> # v4.2.2",
		Controls:    controls("4.1.5", owasp("CICD-SEC-3"), "829")},
	{ID: ghaDockerUnpinned, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "Docker container action not pinned to an image digest",
		Remediation: "Refer to the image by digest:\n  uses: docker://alpine@sha256:<digest>\nGet the digest with `docker buildx imagetools inspect alpine:3.20`.",
		Controls:    controls("4.1.5", owasp("CICD-SEC-3", "CICD-SEC-9"), "829", "494")},
	{ID: ghaTagDrift, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "Pinned action SHA no longer matches the tag in its comment (tag drift)",
		Remediation: "Find out why the tag moved before trusting either commit: compare the two commits in the action's repository. If the new commit is a legitimate release, pin it:\n  uses: owner/action@<sha the tag points at now> # v1.2.3\nIf the tag was re-pointed to unreviewed code, keep the old pin, fix the comment, and report it to the action's maintainers.",
		Controls:    controls("4.1.5", owasp("CICD-SEC-3", "CICD-SEC-9"), "829", "494")},
	{ID: ghaUntrustedCheckout, Kind: finding.Pipeline, Severity: finding.Critical,
		Title:       "pull_request_target or workflow_run workflow checks out and runs the pull request's code",
		Remediation: "Do not check out the PR head in a privileged trigger. Use `on: pull_request` (no secrets, read-only token) to build untrusted code; if results must be posted back, upload them as an artifact and handle them in a separate workflow_run job that never executes them:\n  on: pull_request\n  permissions:\n    contents: read",
		Controls:    controls("4.1.5", owasp("CICD-SEC-4", "CICD-SEC-1"), "829", "94")},
	{ID: ghaScriptInjection, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "Untrusted event data interpolated into a script (script injection)",
		Remediation: "Pass the value through an environment variable and quote it, so the shell never parses it as code:\n  env:\n    TITLE: ${{ github.event.pull_request.title }}\n  run: echo \"$TITLE\"",
		Controls:    controls("4.1.5", owasp("CICD-SEC-4"), "78", "94")},
	{ID: ghaNoPermissions, Kind: finding.Pipeline, Severity: finding.Medium,
		Title:       "Workflow sets no token permissions (the default GITHUB_TOKEN may have write access)",
		Remediation: "Declare the least the workflow needs at the top, and widen per job only where needed:\n  permissions:\n    contents: read",
		Controls:    controls("4.2.3", owasp("CICD-SEC-5", "CICD-SEC-2"), "250")},
	{ID: ghaWriteAll, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "GITHUB_TOKEN granted write-all",
		Remediation: "Replace write-all with the scopes the job uses:\n  permissions:\n    contents: read\n    packages: write",
		Controls:    controls("4.2.3", owasp("CICD-SEC-5", "CICD-SEC-2"), "250", "732")},
	{ID: ghaWorkflowWrite, Kind: finding.Pipeline, Severity: finding.Medium,
		Title:       "Write permission granted to every job of the workflow",
		Remediation: "Keep the workflow-level token read-only and grant the write scope only to the job that needs it:\n  permissions:\n    contents: read\n  jobs:\n    release:\n      permissions:\n        contents: write",
		Controls:    controls("4.2.3", owasp("CICD-SEC-5"), "250")},
	{ID: ghaSecretsInherit, Kind: finding.Pipeline, Severity: finding.Medium,
		Title:       "Reusable workflow called with secrets: inherit",
		Remediation: "Pass only the secrets the called workflow needs:\n  secrets:\n    registry-token: ${{ secrets.REGISTRY_TOKEN }}",
		Controls:    controls("4.1.4", owasp("CICD-SEC-6", "CICD-SEC-5"), "250", "522")},
	{ID: ghaSelfHostedPublic, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "Self-hosted runner used by a workflow that outsiders can trigger",
		Remediation: "Run jobs triggered by pull requests, issues or comments on GitHub-hosted or ephemeral (one job, then destroyed) runners; in a public repository, require approval for fork workflows:\n  runs-on: ubuntu-latest",
		Controls:    controls("4.5.5", owasp("CICD-SEC-7", "CICD-SEC-4"), "668")},
	{ID: ghaPersistCredentials, Kind: finding.Pipeline, Severity: finding.Medium,
		Title:       "actions/checkout leaves the token in .git/config (persist-credentials not false)",
		Remediation: "Do not keep the token in the work tree, where later steps, artifacts and images can pick it up:\n  - uses: actions/checkout@<sha> # v4\n    with:\n      persist-credentials: false",
		Controls:    controls("4.1.4", owasp("CICD-SEC-6"), "522")},
	{ID: ghaCachePoisoning, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "Cache writable by untrusted input (cache poisoning)",
		Remediation: "Do not restore or save caches in workflows triggered by pull_request_target, issue_comment or workflow_run, and never build a cache key from event data; use actions/cache/restore (read-only) where a cache is needed:\n  - uses: actions/cache/restore@<sha>\n    with:\n      key: ${{ runner.os }}-${{ hashFiles('**/go.sum') }}",
		Controls:    controls("4.1.3", owasp("CICD-SEC-9", "CICD-SEC-4"), "345", "349")},
	{ID: ghaUnverifiedDownload, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "Tool downloaded and run without a checksum or signature check",
		Remediation: "Verify what you download before running it, with a checksum pinned in the workflow or a signature:\n  curl -fsSLo tool.tgz https://example.com/tool.tgz\n  echo \"<sha256>  tool.tgz\" | sha256sum -c -\nor `cosign verify-blob --certificate-identity … --signature tool.tgz.sig tool.tgz`.",
		Controls:    controls("4.1.5", owasp("CICD-SEC-3", "CICD-SEC-9"), "494")},
	{ID: ghaPipeToShell, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "Remote script piped straight into a shell",
		Remediation: "Download the script to a file, check its sha256 against a value pinned in the workflow, then run it:\n  curl -fsSLo install.sh https://example.com/install.sh\n  echo \"<sha256>  install.sh\" | sha256sum -c -\n  sh install.sh",
		Controls:    controls("4.1.5", owasp("CICD-SEC-3", "CICD-SEC-9"), "494", "829")},
	{ID: ghaUnsecureCommands, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "ACTIONS_ALLOW_UNSECURE_COMMANDS re-enables set-env and add-path",
		Remediation: "Remove ACTIONS_ALLOW_UNSECURE_COMMANDS and write to the environment files instead:\n  echo \"NAME=value\" >> \"$GITHUB_ENV\"\n  echo \"/opt/tool/bin\" >> \"$GITHUB_PATH\"",
		Controls:    controls("4.1.2", owasp("CICD-SEC-7"), "77", "94")},
	{ID: ghaSecretEchoed, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "Secret written to the job log",
		Remediation: "Never echo a secret or a value derived from one; GitHub masks only the exact registered string, not a part or a transformation of it. Pipe it to the command that needs it, or mask the derived value first:\n  echo \"::add-mask::$PRIVATE_KEY\"",
		Controls:    controls("4.1.4", owasp("CICD-SEC-6", "CICD-SEC-10"), "532")},
}

// GitLab CI rule ids.
const (
	glImageUnpinned   = "PAVE-GL-001"
	glImageTagOnly    = "PAVE-GL-002"
	glRemoteInclude   = "PAVE-GL-003"
	glProjectInclude  = "PAVE-GL-004"
	glComponentInclud = "PAVE-GL-005"
	glPipeToShell     = "PAVE-GL-006"
	glUnverifiedDL    = "PAVE-GL-007"
	glLiteralSecret   = "PAVE-GL-008"
	glJobTokenEchoed  = "PAVE-GL-009"
)

var glRules = []finding.Rule{
	{ID: glImageUnpinned, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "Job image or service with no tag or the latest tag",
		Remediation: "Pin the image by digest (keep the tag for readers):\n  image: golang:1.23-alpine@sha256:<digest>\nGet the digest with `docker buildx imagetools inspect golang:1.23-alpine`.",
		Controls:    controls("4.1.5", owasp("CICD-SEC-3"), "829", "1357")},
	{ID: glImageTagOnly, Kind: finding.Pipeline, Severity: finding.Medium,
		Title:       "Job image or service pinned by tag, not digest",
		Remediation: "A tag can be re-pushed; pin the digest as well:\n  image: golang:1.23-alpine@sha256:<digest>",
		Controls:    controls("4.1.5", owasp("CICD-SEC-3"), "829")},
	{ID: glRemoteInclude, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "Pipeline configuration included from a URL without an integrity hash",
		Remediation: "Vendor the file into the repository and include it locally, or pin its content hash (GitLab 17.9+):\n  include:\n    - remote: https://example.com/ci.yml\n      integrity: sha256-<base64 digest>",
		Controls:    controls("4.1.5", owasp("CICD-SEC-3", "CICD-SEC-9"), "494", "829")},
	{ID: glProjectInclude, Kind: finding.Pipeline, Severity: finding.Medium,
		Title:       "Project include not pinned to a commit SHA",
		Remediation: "Pin the included project's ref to a full commit SHA:\n  include:\n    - project: group/ci-templates\n      ref: <40-hex commit sha>  # v1.2.3\n      file: /templates/build.yml",
		Controls:    controls("4.1.5", owasp("CICD-SEC-3", "CICD-SEC-1"), "829")},
	{ID: glComponentInclud, Kind: finding.Pipeline, Severity: finding.Medium,
		Title:       "CI/CD component not pinned to a commit SHA",
		Remediation: "Pin the component version to a full commit SHA:\n  include:\n    - component: $CI_SERVER_FQDN/group/project/component@<40-hex commit sha>",
		Controls:    controls("4.1.5", owasp("CICD-SEC-3"), "829")},
	{ID: glPipeToShell, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "Remote script piped straight into a shell",
		Remediation: "Download the script to a file, check its sha256 against a value pinned in the pipeline, then run it:\n  - curl -fsSLo install.sh https://example.com/install.sh\n  - echo \"<sha256>  install.sh\" | sha256sum -c -\n  - sh install.sh",
		Controls:    controls("4.1.5", owasp("CICD-SEC-3", "CICD-SEC-9"), "494", "829")},
	{ID: glUnverifiedDL, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "Tool downloaded and run without a checksum or signature check",
		Remediation: "Verify the download before running it:\n  - curl -fsSLo tool.tgz https://example.com/tool.tgz\n  - echo \"<sha256>  tool.tgz\" | sha256sum -c -",
		Controls:    controls("4.1.5", owasp("CICD-SEC-3", "CICD-SEC-9"), "494")},
	{ID: glLiteralSecret, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "Secret-named variable with a literal value in the pipeline file",
		Remediation: "Move the value to a masked, protected CI/CD variable (Settings → CI/CD → Variables) or a secrets manager, delete it from the file, and rotate it: it is in the repository's history.",
		Controls:    controls("4.1.4", owasp("CICD-SEC-6"), "798")},
	{ID: glJobTokenEchoed, Kind: finding.Pipeline, Severity: finding.High,
		Title:       "CI job token or registry password written to the job log",
		Remediation: "Do not echo CI_JOB_TOKEN or registry passwords; pass them on stdin:\n  - echo \"$CI_REGISTRY_PASSWORD\" | docker login -u \"$CI_REGISTRY_USER\" --password-stdin \"$CI_REGISTRY\"",
		Controls:    controls("4.1.4", owasp("CICD-SEC-6", "CICD-SEC-10"), "532")},
}
