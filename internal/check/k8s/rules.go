package k8s

import (
	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
)

// Rule ids. They are stable: a rule is never renumbered, only retired.
const (
	rulePrivileged       = "PAVE-K8S-001"
	ruleAllowPrivEsc     = "PAVE-K8S-002"
	ruleMayRunAsRoot     = "PAVE-K8S-003"
	ruleRunAsUID0        = "PAVE-K8S-004"
	ruleCapAdded         = "PAVE-K8S-005"
	ruleCapNoDropAll     = "PAVE-K8S-006"
	ruleHostPID          = "PAVE-K8S-007"
	ruleHostIPC          = "PAVE-K8S-008"
	ruleHostNetwork      = "PAVE-K8S-009"
	ruleHostPath         = "PAVE-K8S-010"
	ruleHostPort         = "PAVE-K8S-011"
	ruleWritableRootFS   = "PAVE-K8S-012"
	ruleSeccompUnconf    = "PAVE-K8S-013"
	ruleSeccompUnset     = "PAVE-K8S-014"
	ruleAppArmorUnconf   = "PAVE-K8S-015"
	ruleSELinuxCustom    = "PAVE-K8S-016"
	ruleProcMount        = "PAVE-K8S-017"
	ruleUnsafeSysctl     = "PAVE-K8S-018"
	ruleHostProcess      = "PAVE-K8S-019"
	ruleNoLimits         = "PAVE-K8S-020"
	ruleImageMutableTag  = "PAVE-K8S-021"
	ruleImageNoDigest    = "PAVE-K8S-022"
	ruleImagePullPolicy  = "PAVE-K8S-023"
	ruleSATokenMount     = "PAVE-K8S-024"
	ruleEnvSecret        = "PAVE-K8S-025"
	ruleRBACWildcard     = "PAVE-K8S-026"
	ruleRBACEscalate     = "PAVE-K8S-027"
	ruleRBACSecrets      = "PAVE-K8S-028"
	ruleRBACExec         = "PAVE-K8S-029"
	ruleRBACNodesProxy   = "PAVE-K8S-030"
	ruleRBACCreatePods   = "PAVE-K8S-031"
	ruleBindClusterAdmin = "PAVE-K8S-032"
	ruleBindAnonymous    = "PAVE-K8S-033"
	ruleBindDefaultSA    = "PAVE-K8S-034"
	ruleNoNetworkPolicy  = "PAVE-K8S-035"
)

func ctl(nist, cis, owasp, pss string) []finding.Control {
	c := []finding.Control{{Framework: check.NIST800190, ID: nist}}
	if cis != "" {
		c = append(c, finding.Control{Framework: check.CISK8s, ID: cis})
	}
	if owasp != "" {
		c = append(c, finding.Control{Framework: check.OWASPK8s, ID: owasp})
	}
	if pss != "" {
		c = append(c, finding.Control{Framework: check.PSS, ID: pss})
	}
	return c
}

func rule(id string, sev finding.Severity, title, remediation string, controls []finding.Control) finding.Rule {
	return finding.Rule{ID: id, Kind: finding.Misconfig, Title: title, Severity: sev, Remediation: remediation, Controls: controls}
}

// rules is the catalogue, in id order. NIST SP 800-190 countermeasures:
// 4.3.1 unbounded administrative access, 4.3.3 poorly separated
// inter-container network traffic, 4.4.2 unbounded network access from
// containers, 4.4.3 insecure container runtime configurations, 4.1.4
// embedded clear-text secrets, 4.1.5 untrusted images, 4.2.2 stale images,
// 4.5.2 shared kernel, 4.5.5 host file system tampering.
func catalogue() []finding.Rule {
	return []finding.Rule{
		rule(rulePrivileged, finding.Critical, "Container runs privileged",
			"Remove privileged, and grant only the capabilities the process needs:\n\nsecurityContext:\n  privileged: false\n  capabilities:\n    drop: [\"ALL\"]",
			ctl("4.4.3", "5.2.2", "K01", "baseline")),
		rule(ruleAllowPrivEsc, finding.Medium, "Container allows privilege escalation (allowPrivilegeEscalation is not false)",
			"securityContext:\n  allowPrivilegeEscalation: false",
			ctl("4.4.3", "5.2.6", "K01", "restricted")),
		rule(ruleMayRunAsRoot, finding.Medium, "Container may run as root (runAsNonRoot is not true)",
			"Run as a non-root user, at pod or container level:\n\nsecurityContext:\n  runAsNonRoot: true\n  runAsUser: 10001",
			ctl("4.4.3", "5.2.7", "K01", "restricted")),
		rule(ruleRunAsUID0, finding.High, "Container runs as UID 0 (runAsUser: 0)",
			"securityContext:\n  runAsNonRoot: true\n  runAsUser: 10001",
			ctl("4.4.3", "5.2.7", "K01", "restricted")),
		rule(ruleCapAdded, finding.High, "Container adds Linux capabilities beyond the default set",
			"Add no capabilities (at most NET_BIND_SERVICE):\n\nsecurityContext:\n  capabilities:\n    drop: [\"ALL\"]\n    add: [\"NET_BIND_SERVICE\"]",
			ctl("4.4.3", "5.2.9", "K01", "baseline")),
		rule(ruleCapNoDropAll, finding.Low, "Container does not drop all capabilities",
			"securityContext:\n  capabilities:\n    drop: [\"ALL\"]",
			ctl("4.4.3", "5.2.10", "K01", "restricted")),
		rule(ruleHostPID, finding.High, "Pod shares the host's process namespace (hostPID)",
			"spec:\n  hostPID: false",
			ctl("4.4.3", "5.2.3", "K01", "baseline")),
		rule(ruleHostIPC, finding.High, "Pod shares the host's IPC namespace (hostIPC)",
			"spec:\n  hostIPC: false",
			ctl("4.4.3", "5.2.4", "K01", "baseline")),
		rule(ruleHostNetwork, finding.High, "Pod shares the host's network namespace (hostNetwork)",
			"spec:\n  hostNetwork: false",
			ctl("4.4.2", "5.2.5", "K01", "baseline")),
		rule(ruleHostPath, finding.High, "Pod mounts a host path (hostPath volume)",
			"Use a volume that does not expose the node, e.g.:\n\nvolumes:\n- name: data\n  emptyDir: {}",
			ctl("4.5.5", "5.2.12", "K01", "baseline")),
		rule(ruleHostPort, finding.Medium, "Container binds a host port (hostPort)",
			"Remove hostPort and expose the port through a Service:\n\nports:\n- containerPort: 8080",
			ctl("4.4.2", "5.2.13", "K01", "baseline")),
		rule(ruleWritableRootFS, finding.Low, "Container root filesystem is writable (readOnlyRootFilesystem is not true)",
			"Mount writable paths as volumes and make the root filesystem read-only:\n\nsecurityContext:\n  readOnlyRootFilesystem: true",
			ctl("4.4.3", "5.7.3", "K01", "")),
		rule(ruleSeccompUnconf, finding.High, "Seccomp is disabled (Unconfined)",
			"securityContext:\n  seccompProfile:\n    type: RuntimeDefault",
			ctl("4.5.2", "5.7.2", "K01", "baseline")),
		rule(ruleSeccompUnset, finding.Low, "No seccomp profile is set",
			"Set it once for the pod:\n\nspec:\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault",
			ctl("4.5.2", "5.7.2", "K01", "restricted")),
		rule(ruleAppArmorUnconf, finding.High, "AppArmor is disabled (unconfined)",
			"securityContext:\n  appArmorProfile:\n    type: RuntimeDefault",
			ctl("4.5.2", "5.7.3", "K01", "baseline")),
		rule(ruleSELinuxCustom, finding.Medium, "Custom SELinux options (user, role, or a type outside the container types)",
			"Remove seLinuxOptions, or keep only a container type:\n\nsecurityContext:\n  seLinuxOptions:\n    type: container_t",
			ctl("4.5.2", "5.7.3", "K01", "baseline")),
		rule(ruleProcMount, finding.High, "Container unmasks /proc (procMount: Unmasked)",
			"securityContext:\n  procMount: Default",
			ctl("4.5.2", "5.7.3", "K01", "baseline")),
		rule(ruleUnsafeSysctl, finding.High, "Pod sets an unsafe sysctl",
			"Keep to the safe, namespaced sysctls (e.g. net.ipv4.ip_unprivileged_port_start) or remove them:\n\nspec:\n  securityContext:\n    sysctls: []",
			ctl("4.5.2", "5.7.3", "K01", "baseline")),
		rule(ruleHostProcess, finding.Critical, "Windows container runs as a host process (hostProcess)",
			"securityContext:\n  windowsOptions:\n    hostProcess: false",
			ctl("4.4.3", "5.2.11", "K01", "baseline")),
		rule(ruleNoLimits, finding.Low, "Container has no CPU or memory limit",
			"resources:\n  requests:\n    cpu: 100m\n    memory: 128Mi\n  limits:\n    cpu: 500m\n    memory: 256Mi",
			ctl("4.4.3", "", "K01", "")),
		rule(ruleImageMutableTag, finding.Medium, "Image has no tag or the latest tag",
			"Pin a released version, best by digest:\n\nimage: registry.example.com/app:1.4.2@sha256:<digest>",
			ctl("4.1.5", "", "K02", "")),
		rule(ruleImageNoDigest, finding.Low, "Image is not pinned by digest",
			"image: registry.example.com/app:1.4.2@sha256:<digest>",
			ctl("4.2.2", "", "K02", "")),
		rule(ruleImagePullPolicy, finding.Low, "Mutable image tag is not pulled on every start (imagePullPolicy)",
			"Pin the image by digest, or pull it every time:\n\nimagePullPolicy: Always",
			ctl("4.2.2", "", "K02", "")),
		rule(ruleSATokenMount, finding.Low, "Service account token is mounted (automountServiceAccountToken is not false)",
			"Mount the token only in pods that call the API server:\n\nspec:\n  automountServiceAccountToken: false",
			ctl("4.3.2", "5.1.6", "K03", "")),
		rule(ruleEnvSecret, finding.High, "Secret-looking value written literally in an environment variable",
			"Reference a Secret instead:\n\nenv:\n- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef:\n      name: db\n      key: password",
			append(ctl("4.1.4", "5.4.1", "K08", ""), finding.Control{Framework: check.CWE, ID: "798"})),
		rule(ruleRBACWildcard, finding.High, "RBAC rule uses a wildcard (verbs, resources or apiGroups \"*\")",
			"List the exact API groups, resources and verbs:\n\nrules:\n- apiGroups: [\"apps\"]\n  resources: [\"deployments\"]\n  verbs: [\"get\", \"list\", \"watch\"]",
			ctl("4.3.1", "5.1.3", "K03", "")),
		rule(ruleRBACEscalate, finding.High, "RBAC rule grants escalate, bind or impersonate",
			"Remove the escalate, bind and impersonate verbs:\n\nrules:\n- apiGroups: [\"rbac.authorization.k8s.io\"]\n  resources: [\"roles\"]\n  verbs: [\"get\", \"list\"]",
			ctl("4.3.1", "5.1.8", "K03", "")),
		rule(ruleRBACSecrets, finding.High, "RBAC rule can read Secrets (get, list or watch)",
			"Grant access to named secrets only, or none:\n\nrules:\n- apiGroups: [\"\"]\n  resources: [\"secrets\"]\n  resourceNames: [\"app-config\"]\n  verbs: [\"get\"]",
			ctl("4.3.1", "5.1.2", "K03", "")),
		rule(ruleRBACExec, finding.High, "RBAC rule can exec into or attach to pods",
			"Remove create on pods/exec and pods/attach:\n\nrules:\n- apiGroups: [\"\"]\n  resources: [\"pods\"]\n  verbs: [\"get\", \"list\"]",
			ctl("4.3.1", "5.1.3", "K03", "")),
		rule(ruleRBACNodesProxy, finding.High, "RBAC rule grants nodes/proxy (direct kubelet API access)",
			"Remove nodes/proxy:\n\nrules:\n- apiGroups: [\"\"]\n  resources: [\"nodes\"]\n  verbs: [\"get\", \"list\"]",
			ctl("4.3.1", "5.1.10", "K03", "")),
		rule(ruleRBACCreatePods, finding.Medium, "RBAC rule can create pods or workloads (escalation through a pod's service account and host access)",
			"Grant create on workloads only to deployment tooling:\n\nrules:\n- apiGroups: [\"apps\"]\n  resources: [\"deployments\"]\n  verbs: [\"get\", \"list\", \"watch\"]",
			ctl("4.3.1", "5.1.4", "K03", "")),
		rule(ruleBindClusterAdmin, finding.High, "Binding grants cluster-admin",
			"Bind a role with only the permissions needed:\n\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view",
			ctl("4.3.1", "5.1.1", "K03", "")),
		rule(ruleBindAnonymous, finding.Critical, "Binding grants permissions to anonymous or unauthenticated users",
			"Bind named users, groups or service accounts only:\n\nsubjects:\n- kind: ServiceAccount\n  name: app\n  namespace: app",
			ctl("4.3.2", "5.1.1", "K03", "")),
		rule(ruleBindDefaultSA, finding.Medium, "Binding grants permissions to a default service account",
			"Create a dedicated service account and bind that:\n\nsubjects:\n- kind: ServiceAccount\n  name: app\n  namespace: app",
			ctl("4.3.1", "5.1.5", "K03", "")),
		rule(ruleNoNetworkPolicy, finding.Medium, "Namespace has no NetworkPolicy in the scanned manifests",
			"Deny by default, then allow what is needed:\n\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: <namespace>\nspec:\n  podSelector: {}\n  policyTypes: [\"Ingress\", \"Egress\"]",
			ctl("4.3.3", "5.3.2", "K07", "")),
	}
}
