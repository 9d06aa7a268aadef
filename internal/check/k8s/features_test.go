package k8s

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// positions returns "line:col rule" for each finding in src.
func positions(t *testing.T, src string) []string {
	t.Helper()
	fs, err := New().Check(context.Background(), "x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fs {
		if strings.Contains(f.Evidence, "hunter2") || strings.Contains(f.Message, "hunter2") {
			t.Errorf("evidence leaks a value: %q", f.Evidence)
		}
		out = append(out, fmt.Sprintf("%d:%d %s", f.Location.StartLine, f.Location.Column, f.Rule.ID))
	}
	return out
}

// A hardened container: only the rules that are about what it names.
const hardened = `    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
    resources: {limits: {cpu: 100m, memory: 64Mi}}
`

func TestFeatures(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{
			name: "helm output: Source comments, List, pod-level settings overridden by the container",
			src: `---
# Source: app/templates/np.yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny}
spec: {podSelector: {}}
---
# Source: app/templates/list.yaml
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: p}
  spec:
    automountServiceAccountToken: false
    securityContext:
      runAsNonRoot: true
      seccompProfile: {type: RuntimeDefault}
    containers:
    - name: a
      image: nginx@sha256:0123
      securityContext:
        runAsUser: 0
        privileged: yes
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {add: [SYS_ADMIN, NET_BIND_SERVICE], drop: [ALL]}
      resources: {limits: {cpu: 1, memory: 1Gi}}
      env:
      - {name: DB_PASSWORD, value: hunter2}
      - {name: PASSWORD_FILE, value: /run/secrets/pw}
`,
			want: []string{"24:9 PAVE-K8S-004", "25:9 PAVE-K8S-001", "28:30 PAVE-K8S-005", "31:29 PAVE-K8S-025"},
		},
		{
			name: "cronjob with init and ephemeral containers, annotations, host settings",
			src: `apiVersion: batch/v1
kind: CronJob
metadata: {name: c, namespace: ns}
spec:
  jobTemplate:
    spec:
      template:
        metadata:
          annotations:
            container.apparmor.security.beta.kubernetes.io/i: unconfined
            seccomp.security.alpha.kubernetes.io/pod: unconfined
        spec:
          automountServiceAccountToken: false
          hostIPC: true
          securityContext:
            runAsUser: 1000
            sysctls: [{name: kernel.msgmax, value: "1"}, {name: net.ipv4.tcp_syncookies, value: "1"}]
          volumes: [{name: s, hostPath: {path: /run/containerd/containerd.sock}}, {name: l, hostPath: {path: /var/log}}]
          initContainers:
          - name: i
            image: busybox:1.36@sha256:00
            securityContext:
              allowPrivilegeEscalation: false
              readOnlyRootFilesystem: true
              capabilities: {drop: [ALL]}
              procMount: Unmasked
            resources: {limits: {cpu: 100m, memory: 64Mi}}
            ports: [{containerPort: 80, hostPort: 8080}]
          containers: []
`,
			want: []string{"1:1 PAVE-K8S-035", "10:13 PAVE-K8S-015", "11:13 PAVE-K8S-013", "14:11 PAVE-K8S-008",
				"17:24 PAVE-K8S-018", "18:42 PAVE-K8S-010", "18:104 PAVE-K8S-010", "26:15 PAVE-K8S-017", "28:41 PAVE-K8S-011"},
		},
		{
			name: "rbac",
			src: `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r}
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
- apiGroups: [""]
  resources: [secrets, pods/exec, nodes/proxy, pods]
  verbs: [get, create, impersonate]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: Group, name: system:unauthenticated}
- {kind: ServiceAccount, name: default, namespace: kube-system}
`,
			want: []string{"7:11 PAVE-K8S-026", "9:15 PAVE-K8S-028", "9:24 PAVE-K8S-029", "9:35 PAVE-K8S-030",
				"9:48 PAVE-K8S-031", "10:24 PAVE-K8S-027", "15:73 PAVE-K8S-032", "17:23 PAVE-K8S-033", "18:32 PAVE-K8S-034"},
		},
		{
			name: "json, anchors and merge keys",
			src: `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j", "namespace": "x"},
 "spec": {"hostNetwork": true, "automountServiceAccountToken": false, "containers": []}}
---
apiVersion: v1
kind: Pod
metadata: {name: m, namespace: x}
base: &base {hostPID: true, automountServiceAccountToken: false, containers: []}
spec:
  <<: *base
  hostPID: false
`,
			want: []string{"1:2 PAVE-K8S-035", "2:11 PAVE-K8S-009"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := positions(t, tc.src)
			// Findings every unhardened container raises are not the point here.
			got = slices.DeleteFunc(got, func(s string) bool {
				for _, id := range []string{ruleMayRunAsRoot, ruleSeccompUnset, ruleImageMutableTag, ruleImageNoDigest} {
					if strings.HasSuffix(s, id) && !slices.Contains(tc.want, s) {
						return true
					}
				}
				return false
			})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings differ (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzCheck(f *testing.F) {
	for _, glob := range []string{"testdata/golden/*.yaml", "testdata/badpods/*/*/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("apiVersion: v1\nkind: Pod\nspec: &a {containers: [*a]}\n"))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: Pod, spec: {containers: [{name: a, securityContext: {privileged: true}}]}}]\n"))
	c := New()
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := c.Check(context.Background(), "f.yaml", b)
		lines := strings.Count(string(b), "\n") + 1
		for _, x := range fs {
			if x.Location.StartLine < 1 || x.Location.StartLine > lines || x.Location.Column < 1 {
				t.Errorf("finding %s at %d:%d outside the %d-line input", x.Rule.ID, x.Location.StartLine, x.Location.Column, lines)
			}
			if x.Location.Path != "f.yaml" || x.Rule.ID == "" || x.Message == "" {
				t.Errorf("incomplete finding %+v", x)
			}
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("multi-line error: %q", err)
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	var inputs [][]byte
	docs := 0
	files, _ := filepath.Glob("testdata/golden/*.yaml")
	more, _ := filepath.Glob("testdata/badpods/*/*/*.yaml")
	for _, p := range append(files, more...) {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		inputs = append(inputs, data)
		parts, _, _ := splitDocuments(data)
		docs += len(parts)
	}
	c := New()
	size := 0
	for _, in := range inputs {
		size += len(in)
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	for b.Loop() {
		for _, in := range inputs {
			if _, err := c.Check(context.Background(), "b.yaml", in); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(docs)*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}
