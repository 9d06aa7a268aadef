package k8s

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pavesec/pave/internal/finding"
)

// policyRule is one entry of a Role's rules.
type policyRule struct {
	n                                  *node
	index                              int
	apiGroups, resources, verbs, names []*node
}

func texts(ns []*node) []string {
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		out = append(out, n.text())
	}
	return out
}

// find returns the first item equal to one of want, or nil.
func find(items []*node, want ...string) *node {
	for _, it := range items {
		if slices.Contains(want, strings.ToLower(it.text())) {
			return it
		}
	}
	return nil
}

func (r *reporter) role(o *object) {
	for i, rn := range o.root.get("rules").seq() {
		p := policyRule{n: rn, index: i,
			apiGroups: rn.get("apiGroups").seq(), resources: rn.get("resources").seq(),
			verbs: rn.get("verbs").seq(), names: rn.get("resourceNames").seq()}
		r.policyRule(o, &p)
	}
}

func (r *reporter) policyRule(o *object, p *policyRule) {
	field := fmt.Sprintf("rules[%d]", p.index)
	ev := func(sub string, n *node) string { return o.short() + " " + field + "." + sub + ": " + n.text() }
	desc := fmt.Sprintf("%s rule %d (apiGroups %v, resources %v, verbs %v)", o.ref(), p.index,
		texts(p.apiGroups), texts(p.resources), texts(p.verbs))

	wv, wr, wg := find(p.verbs, "*"), find(p.resources, "*"), find(p.apiGroups, "*")
	if wv != nil || wr != nil || wg != nil {
		first, sub := wv, "verbs"
		if first == nil {
			first, sub = wr, "resources"
		}
		if first == nil {
			first, sub = wg, "apiGroups"
		}
		sev := finding.Unknown
		if wv != nil && wr != nil {
			sev = finding.Critical // every verb on every resource: cluster-admin
		}
		r.add(ruleRBACWildcard, sev, first.line, first.col,
			desc+": a wildcard grants everything that exists now and every resource added later", ev(sub, first))
	}
	core := len(p.apiGroups) == 0 || find(p.apiGroups, "", "*") != nil
	if v := find(p.verbs, "escalate", "bind", "impersonate"); v != nil {
		r.add(ruleRBACEscalate, 0, v.line, v.col,
			desc+": "+v.text()+" lets the holder gain permissions it was not given", ev("verbs", v))
	}
	if core && len(p.names) == 0 {
		if res := find(p.resources, "secrets"); res != nil && find(p.verbs, "get", "list", "watch", "*") != nil {
			r.add(ruleRBACSecrets, 0, res.line, res.col,
				desc+": reads every Secret in scope, service account tokens included", ev("resources", res))
		}
	}
	if core {
		if res := find(p.resources, "pods/exec", "pods/attach", "pods/*"); res != nil && find(p.verbs, "create", "get", "*") != nil {
			r.add(ruleRBACExec, 0, res.line, res.col,
				desc+": runs commands inside pods (WebSocket exec needs only get), with their service accounts and secrets", ev("resources", res))
		}
		if res := find(p.resources, "nodes/proxy", "nodes/*"); res != nil && len(p.verbs) > 0 {
			r.add(ruleRBACNodesProxy, 0, res.line, res.col,
				desc+": reaches the kubelet API directly, which can run commands in any pod on the node and bypasses audit", ev("resources", res))
		}
	}
	if find(p.verbs, "create", "*") != nil && wv == nil {
		podMakers := []string{"deployments", "daemonsets", "statefulsets", "replicasets", "jobs", "cronjobs", "replicationcontrollers"}
		var res *node
		if core {
			res = find(p.resources, "pods", "replicationcontrollers")
		}
		if res == nil && (len(p.apiGroups) == 0 || find(p.apiGroups, "apps", "batch", "extensions", "*") != nil) {
			res = find(p.resources, podMakers...)
		}
		if res != nil {
			r.add(ruleRBACCreatePods, 0, res.line, res.col,
				desc+": creating pods lets the holder mount any secret and use any service account of the namespace, and host access where admission allows it",
				ev("resources", res))
		}
	}
}

func (r *reporter) binding(o *object) {
	ref := o.root.get("roleRef")
	if e := ref.entry("name"); e != nil && e.value.text() == "cluster-admin" && ref.get("kind").text() == "ClusterRole" {
		r.add(ruleBindClusterAdmin, 0, e.value.line, e.value.col,
			o.ref()+" grants cluster-admin: full control of the cluster", o.short()+" roleRef.name: cluster-admin")
	}
	for i, s := range o.root.get("subjects").seq() {
		kind, name := s.get("kind").text(), s.get("name").text()
		e := s.entry("name")
		if e == nil {
			continue
		}
		field := fmt.Sprintf("%s subjects[%d].name: %s", o.short(), i, name)
		switch {
		case name == "system:anonymous" || name == "system:unauthenticated":
			r.add(ruleBindAnonymous, 0, e.value.line, e.value.col,
				fmt.Sprintf("%s grants %s to %s %s: anyone who reaches the API server", o.ref(), ref.get("name").text(), kind, name), field)
		case name == "system:authenticated" && kind == "Group":
			r.add(ruleBindAnonymous, finding.High, e.value.line, e.value.col,
				fmt.Sprintf("%s grants %s to every authenticated identity (Group system:authenticated)", o.ref(), ref.get("name").text()), field)
		case kind == "ServiceAccount" && name == "default":
			r.add(ruleBindDefaultSA, 0, e.value.line, e.value.col,
				fmt.Sprintf("%s grants %s to the default service account, which every pod without its own account uses", o.ref(), ref.get("name").text()), field)
		}
	}
}
