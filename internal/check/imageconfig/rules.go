package imageconfig

import (
	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
)

// Rule ids. They are stable: never renumber, only add.
const (
	RuleRootUser          = "PAVE-IMG-001"
	RuleSecretConfig      = "PAVE-IMG-002"
	RuleSecretHistory     = "PAVE-IMG-003"
	RuleSetuidUnexpected  = "PAVE-IMG-004"
	RuleSetuidUsual       = "PAVE-IMG-005"
	RuleWorldWritable     = "PAVE-IMG-006"
	RuleRemoteAccess      = "PAVE-IMG-007"
	RuleShell             = "PAVE-IMG-008"
	RulePackageManager    = "PAVE-IMG-009"
	RuleNetworkTools      = "PAVE-IMG-010"
	RuleEndOfLife         = "PAVE-IMG-011"
	RuleExposeSSH         = "PAVE-IMG-012"
	RuleNoHealthcheck     = "PAVE-IMG-013"
	RuleUntrustedRegistry = "PAVE-IMG-014"
)

func controls(nist []string, more ...string) []finding.Control {
	var cs []finding.Control
	for _, id := range nist {
		cs = append(cs, finding.Control{Framework: check.NIST800190, ID: id})
	}
	for i := 0; i+1 < len(more); i += 2 {
		cs = append(cs, finding.Control{Framework: more[i], ID: more[i+1]})
	}
	return cs
}

func rule(id string, kind finding.Kind, sev finding.Severity, title, remediation string, cs []finding.Control) finding.Rule {
	return finding.Rule{ID: id, Kind: kind, Title: title, Severity: sev, Remediation: remediation, Controls: cs}
}

func rules() []finding.Rule {
	m, s, p := finding.Misconfig, finding.Secret, finding.Permission
	return []finding.Rule{
		rule(RuleRootUser, m, finding.High, "Image runs as root",
			"Set an unprivileged user in the image (Dockerfile: USER 10001), or at run time (docker run --user 10001; Kubernetes securityContext.runAsNonRoot: true).",
			controls([]string{"4.1.2"}, check.CISDocker, "4.1", check.CWE, "250")),
		rule(RuleSecretConfig, s, finding.High, "Secret in image environment or labels",
			"Remove the value from ENV/LABEL and rebuild; rotate the credential, since every copy of the image holds it. Pass secrets at run time from a secret store.",
			controls([]string{"4.1.4"}, check.CISDocker, "4.10", check.CWE, "798")),
		rule(RuleSecretHistory, s, finding.High, "Secret in image build history",
			"Build arguments and RUN command lines are kept in the image history. Rotate the credential and rebuild with a build secret:\n  RUN --mount=type=secret,id=token ...",
			controls([]string{"4.1.4"}, check.CISDocker, "4.10", check.CWE, "798")),
		rule(RuleSetuidUnexpected, p, finding.Medium, "Unexpected setuid or setgid file",
			"Remove the bit unless the program needs it:\n  RUN chmod u-s,g-s <path>",
			controls([]string{"4.1.2"}, check.CISDocker, "4.8", check.CWE, "250")),
		rule(RuleSetuidUsual, p, finding.Info, "Setuid or setgid files from the base system",
			"Runtime images rarely need su, passwd or mount; strip the bits:\n  RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +",
			controls([]string{"4.1.2"}, check.CISDocker, "4.8")),
		rule(RuleWorldWritable, p, finding.Medium, "World-writable path without the sticky bit",
			"Give the path to the user that needs it:\n  RUN chown app:app <path> && chmod o-w <path>\n(or chmod +t for a shared directory).",
			controls([]string{"4.1.2"}, check.CWE, "732")),
		rule(RuleRemoteAccess, m, finding.Medium, "SSH server or remote-administration tool in the image",
			"Remove the server package (apt-get purge openssh-server; apk del dropbear); use docker exec or kubectl exec instead.",
			controls([]string{"4.1.2"}, check.CISDocker, "4.3")),
		rule(RuleShell, m, finding.Info, "Shell present in the image",
			"A runtime image needs no shell: build the binary in one stage and copy it into distroless or scratch.",
			controls([]string{"4.1.2"}, check.CISDocker, "4.3")),
		rule(RulePackageManager, m, finding.Low, "Package manager present in the image",
			"Ship the runtime without apt/dpkg/apk/pip: use a distroless or minimal base, or remove the tools in the final stage.",
			controls([]string{"4.1.2"}, check.CISDocker, "4.3")),
		rule(RuleNetworkTools, m, finding.Low, "Network tools present in the image",
			"curl, wget, nc and the like help an attacker fetch payloads and move laterally; leave them out of the runtime image.",
			controls([]string{"4.1.2"}, check.CISDocker, "4.3")),
		rule(RuleEndOfLife, m, finding.High, "Base operating system is end of life",
			"Rebuild on a supported release of the distribution (or another base); end-of-life releases get no security fixes.",
			controls([]string{"4.1.1", "4.2.2"}, check.CISDocker, "4.2")),
		rule(RuleExposeSSH, m, finding.Medium, "Image exposes port 22 (SSH)",
			"Remove EXPOSE 22 and the SSH server; use docker exec or kubectl exec for access.",
			controls([]string{"4.1.2"}, check.CISDocker, "4.3")),
		rule(RuleNoHealthcheck, m, finding.Info, "Image has no HEALTHCHECK",
			"Add HEALTHCHECK CMD <probe> to the Dockerfile, or define liveness/readiness probes in Kubernetes (which ignores HEALTHCHECK).",
			controls([]string{"4.1.2"}, check.CISDocker, "4.6")),
		rule(RuleUntrustedRegistry, m, finding.Medium, "Image comes from a registry outside the allow-list",
			"Pull from an approved registry (mirror the image there), or add the registry to the allow-list after review. Pin base images by digest in the Dockerfile (PAVE-DF-003).",
			controls([]string{"4.1.5", "4.2.3"}, check.CISDocker, "4.2")),
	}
}
