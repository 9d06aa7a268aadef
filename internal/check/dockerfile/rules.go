package dockerfile

import (
	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
)

// Rule ids. They are stable: never renumber, only add.
const (
	RuleRootUser         = "PAVE-DF-001"
	RuleBaseUntagged     = "PAVE-DF-002"
	RuleBaseNoDigest     = "PAVE-DF-003"
	RuleCurlPipeShell    = "PAVE-DF-004"
	RuleAddRemote        = "PAVE-DF-005"
	RuleAddLocal         = "PAVE-DF-006"
	RuleSecretArgEnv     = "PAVE-DF-007"
	RuleAptRecommends    = "PAVE-DF-008"
	RuleAptLists         = "PAVE-DF-009"
	RuleAptUpgrade       = "PAVE-DF-010"
	RuleUpdateAlone      = "PAVE-DF-011"
	RuleApkCache         = "PAVE-DF-012"
	RulePipCache         = "PAVE-DF-013"
	RuleUnpinnedPackages = "PAVE-DF-014"
	RuleSudo             = "PAVE-DF-015"
	RuleChmod777         = "PAVE-DF-016"
	RuleFullOSBase       = "PAVE-DF-017"
	RuleExposeSSH        = "PAVE-DF-018"
	RuleNoHealthcheck    = "PAVE-DF-019"
	RuleMaintainer       = "PAVE-DF-020"
)

func nist(ids ...string) []finding.Control {
	var cs []finding.Control
	for _, id := range ids {
		cs = append(cs, finding.Control{Framework: check.NIST800190, ID: id})
	}
	return cs
}

func ctl(cs []finding.Control, framework, id string) []finding.Control {
	return append(cs, finding.Control{Framework: framework, ID: id})
}

func rule(id string, sev finding.Severity, title, remediation string, controls []finding.Control) finding.Rule {
	return finding.Rule{ID: id, Kind: finding.Misconfig, Title: title, Severity: sev, Remediation: remediation, Controls: controls}
}

// rules is the catalogue, built once per call so callers may not alter
// a shared copy.
func rules() []finding.Rule {
	return []finding.Rule{
		rule(RuleRootUser, finding.High, "Final stage runs as root",
			"Create an unprivileged user and switch to it at the end of the final stage:\n  RUN useradd --uid 10001 --no-create-home app\n  USER 10001",
			ctl(ctl(nist("4.1.2"), check.CISDocker, "4.1"), check.CWE, "250")),
		rule(RuleBaseUntagged, finding.Medium, "Base image has no tag or uses latest",
			"Name an explicit version and pin its digest:\n  FROM debian:12.8-slim@sha256:<digest>",
			ctl(nist("4.1.5", "4.2.2"), check.CISDocker, "4.2")),
		rule(RuleBaseNoDigest, finding.Low, "Base image tag is not pinned by digest",
			"Tags move; pin the digest you tested (docker buildx imagetools inspect <image>:<tag>):\n  FROM <image>:<tag>@sha256:<digest>",
			ctl(nist("4.1.5"), check.CISDocker, "4.2")),
		rule(RuleCurlPipeShell, finding.High, "Remote script piped into a shell",
			"Download to a file, verify its checksum or signature, then run it:\n  RUN curl -fsSLo install.sh https://example.com/install.sh \\\n   && echo \"<sha256>  install.sh\" | sha256sum -c - \\\n   && sh install.sh",
			ctl(ctl(nist("4.1.3", "4.1.5"), check.CISDocker, "4.2"), check.CWE, "494")),
		rule(RuleAddRemote, finding.Medium, "ADD fetches a remote URL",
			"Use ADD --checksum=sha256:<digest> <url> <dest>, or download with curl in a RUN that verifies the checksum.",
			ctl(ctl(nist("4.1.3"), check.CISDocker, "4.9"), check.CWE, "494")),
		rule(RuleAddLocal, finding.Low, "ADD used where COPY would do",
			"Use COPY for local files; ADD also unpacks archives and fetches URLs, which makes the result depend on the source's form:\n  COPY <src> <dest>",
			ctl(nist("4.1.2"), check.CISDocker, "4.9")),
		rule(RuleSecretArgEnv, finding.High, "Secret in ARG or ENV",
			"Build arguments and environment variables are stored in the image history and config. Use a build secret:\n  RUN --mount=type=secret,id=token TOKEN=$(cat /run/secrets/token) ...\nand pass runtime secrets from the orchestrator.",
			ctl(ctl(nist("4.1.4"), check.CISDocker, "4.10"), check.CWE, "798")),
		rule(RuleAptRecommends, finding.Low, "apt-get install without --no-install-recommends",
			"Install only what you need:\n  RUN apt-get update && apt-get install -y --no-install-recommends <pkg> && rm -rf /var/lib/apt/lists/*",
			ctl(nist("4.1.1", "4.1.2"), check.CISDocker, "4.3")),
		rule(RuleAptLists, finding.Low, "apt lists not removed in the same RUN",
			"Clean in the same RUN so the lists never reach a layer:\n  RUN apt-get update && apt-get install -y --no-install-recommends <pkg> && rm -rf /var/lib/apt/lists/*",
			ctl(nist("4.1.2"), check.CISDocker, "4.3")),
		rule(RuleAptUpgrade, finding.Low, "apt-get upgrade or dist-upgrade in a Dockerfile",
			"Rebuild on a newer base image instead of upgrading inside it; pin the base by digest and let updates come through base-image bumps.",
			ctl(nist("4.1.1", "4.1.2"), check.CISDocker, "4.7")),
		rule(RuleUpdateAlone, finding.Medium, "Package index update alone in a RUN",
			"Update and install in one RUN, so a cached update layer never serves stale indexes:\n  RUN apt-get update && apt-get install -y --no-install-recommends <pkg>",
			ctl(nist("4.1.1"), check.CISDocker, "4.7")),
		rule(RuleApkCache, finding.Low, "apk add without --no-cache",
			"Do not keep the APK index in the image:\n  RUN apk add --no-cache <pkg>",
			ctl(nist("4.1.2"), check.CISDocker, "4.3")),
		rule(RulePipCache, finding.Info, "pip install without --no-cache-dir",
			"Do not keep pip's cache in the image:\n  RUN pip install --no-cache-dir -r requirements.txt",
			ctl(nist("4.1.2"), check.CISDocker, "4.3")),
		rule(RuleUnpinnedPackages, finding.Info, "Packages installed without a pinned version",
			"Pin versions so that rebuilds are reproducible:\n  RUN apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8\n  RUN apk add --no-cache curl=8.5.0-r0\n  RUN pip install --no-cache-dir requests==2.32.3",
			ctl(nist("4.1.1"), check.CISDocker, "4.3")),
		rule(RuleSudo, finding.Medium, "sudo used in a RUN instruction",
			"RUN already runs as the current USER; switch with USER root for the steps that need it and back to an unprivileged USER afterwards. Do not install sudo in images.",
			ctl(ctl(nist("4.1.2"), check.CISDocker, "4.1"), check.CWE, "250")),
		rule(RuleChmod777, finding.Medium, "World-writable permissions set",
			"Grant the least permission the application needs, owned by its user:\n  RUN chown app:app /data && chmod 750 /data",
			ctl(nist("4.1.2"), check.CWE, "732")),
		rule(RuleFullOSBase, finding.Info, "Final stage is based on a full OS image",
			"Build in a full image and run from a minimal one:\n  FROM gcr.io/distroless/static-debian12:nonroot\n  COPY --from=build /out/app /app",
			ctl(nist("4.1.1", "4.1.2"), check.CISDocker, "4.3")),
		rule(RuleExposeSSH, finding.Medium, "Port 22 (SSH) exposed",
			"Remove the SSH server and EXPOSE 22; use `docker exec` or `kubectl exec` for access.",
			ctl(nist("4.1.2"), check.CISDocker, "4.3")),
		rule(RuleNoHealthcheck, finding.Low, "No HEALTHCHECK in the final stage",
			"Tell the runtime how to probe the service:\n  HEALTHCHECK --interval=30s --timeout=3s CMD [\"/app\", \"healthcheck\"]\n(Kubernetes ignores HEALTHCHECK; define probes there.)",
			ctl(nist("4.1.2"), check.CISDocker, "4.6")),
		rule(RuleMaintainer, finding.Info, "MAINTAINER is deprecated",
			"Use a label:\n  LABEL org.opencontainers.image.authors=\"team@example.com\"",
			nist("4.1.2")),
	}
}
