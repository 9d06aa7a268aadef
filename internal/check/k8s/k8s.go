// Package k8s checks Kubernetes manifests: workload security settings
// (privileged containers, host namespaces, host paths, capabilities,
// seccomp, AppArmor, SELinux, users, images, resources, secrets in the
// environment), RBAC roles and bindings, and namespaces left without a
// NetworkPolicy.
//
// A file may hold many YAML documents (kubectl, Helm template and
// Kustomize build output) or one JSON object; List kinds are unwrapped.
// Documents without apiVersion and kind are not manifests and are skipped
// silently, as are unrendered Helm templates. Every finding points at the
// line and column of the offending field, or of the container or pod spec
// that lacks a setting.
//
// The NetworkPolicy rule looks only within one Check call: a namespace is
// reported when nothing in the same file or rendered stream is a
// NetworkPolicy for it, even if the cluster has one from elsewhere.
package k8s

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
)

// Check is the Kubernetes manifest check.
type Check struct {
	rules []finding.Rule
}

var _ check.FileCheck = (*Check)(nil)

// New returns the Kubernetes manifest check.
func New() *Check { return &Check{rules: catalogue()} }

// Name returns "kubernetes".
func (*Check) Name() string { return "kubernetes" }

// Rules lists every rule the check may report.
func (c *Check) Rules() []finding.Rule { return catalogue() }

// Match wants YAML and JSON files; whether one is a manifest is decided
// by its content.
func (*Check) Match(p string, info fs.FileInfo) bool {
	if info != nil && (info.IsDir() || info.Size() > maxFileSize) {
		return false
	}
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// ErrTooLarge is returned for a file over 10 MiB.
var ErrTooLarge = errors.New("kubernetes: file over 10 MiB")

// Check returns the findings in one file. A document that fails to parse
// is reported in the error, and the other documents are still checked.
func (c *Check) Check(ctx context.Context, p string, content []byte) ([]finding.Finding, error) {
	if len(content) > maxFileSize {
		return nil, fmt.Errorf("%s: %w", p, ErrTooLarge)
	}
	if !bytes.Contains(content, []byte("apiVersion")) || !bytes.Contains(content, []byte("kind")) {
		return nil, nil
	}
	parts, lines, err := splitDocuments(content)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: %s: %w", p, err)
	}
	r := &reporter{path: p, rules: c.rules}
	var errs []error
	budget := maxNodes
	for i, part := range parts {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if !bytes.Contains(part, []byte("apiVersion")) || !bytes.Contains(part, []byte("kind")) {
			continue
		}
		root, err := parseDocument(part, lines[i], &budget)
		if err != nil {
			if bytes.Contains(part, []byte("{{")) {
				continue // an unrendered Helm or Go template, not a manifest
			}
			errs = append(errs, fmt.Errorf("kubernetes: %s: %w", p, err))
			if errors.Is(err, errTooManyNodes) {
				break
			}
			continue
		}
		for _, o := range objects(root) {
			r.object(o)
		}
	}
	r.networkPolicies()
	slices.SortStableFunc(r.out, func(a, b finding.Finding) int {
		return cmp.Or(cmp.Compare(a.Location.StartLine, b.Location.StartLine),
			cmp.Compare(a.Location.Column, b.Location.Column), strings.Compare(a.Rule.ID, b.Rule.ID))
	})
	return r.out, firstError(errs)
}

// object is one Kubernetes object.
type object struct {
	kind, name, namespace string
	root                  *node
}

// ref names the object for messages: "Deployment prod/web".
func (o *object) ref() string {
	name := o.name
	if name == "" {
		name = "(unnamed)"
	}
	if o.namespace != "" {
		return o.kind + " " + o.namespace + "/" + name
	}
	return o.kind + " " + name
}

// short names the object for evidence: "Deployment/web".
func (o *object) short() string { return o.kind + "/" + o.name }

// objects returns the manifests in a document: the document itself when
// it has apiVersion and kind, the items of a List.
func objects(root *node) []*object {
	if root == nil || root.kind != mapNode {
		return nil
	}
	kind := root.get("kind").text()
	if kind == "" || root.get("apiVersion").text() == "" {
		return nil
	}
	if strings.HasSuffix(kind, "List") {
		if items := root.get("items"); items != nil {
			var out []*object
			for _, it := range items.seq() {
				if it.kind == mapNode && it.get("kind").text() != "" && it.get("apiVersion").text() != "" {
					out = append(out, newObject(it))
				}
			}
			return out
		}
	}
	return []*object{newObject(root)}
}

func newObject(n *node) *object {
	md := n.get("metadata")
	return &object{
		kind:      n.get("kind").text(),
		name:      md.get("name").text(),
		namespace: md.get("namespace").text(),
		root:      n,
	}
}

// reporter collects the findings of one Check call.
type reporter struct {
	path  string
	rules []finding.Rule
	out   []finding.Finding

	// For the NetworkPolicy rule: namespaces with workloads, in order of
	// first sight, where first seen, and which have a policy.
	nsOrder  []string
	nsFirst  map[string]*object
	policies map[string]bool
}

// add records a finding of rule id at n. sev overrides the rule's
// severity when not Unknown.
func (r *reporter) add(id string, sev finding.Severity, line, col int, msg, evidence string) {
	rl := check.Find(r.rules, id)
	if sev == finding.Unknown {
		sev = rl.Severity
	}
	r.out = append(r.out, finding.Finding{
		Rule:     rl,
		Severity: sev,
		Location: finding.Location{Path: r.path, StartLine: line, Column: col},
		Message:  msg,
		Evidence: evidence,
	})
}

// object dispatches one object to its checks.
func (r *reporter) object(o *object) {
	switch o.kind {
	case "Role", "ClusterRole":
		r.role(o)
		return
	case "RoleBinding", "ClusterRoleBinding":
		r.binding(o)
		return
	case "NetworkPolicy":
		r.sawPolicy(o.namespace)
		return
	case "Namespace":
		r.sawNamespace(o.name, o)
		return
	}
	if w := podSpecOf(o); w != nil {
		r.sawNamespace(o.namespace, o)
		r.workload(w)
	}
}

func (r *reporter) sawPolicy(ns string) {
	if r.policies == nil {
		r.policies = map[string]bool{}
	}
	r.policies[ns] = true
}

func (r *reporter) sawNamespace(ns string, o *object) {
	if r.nsFirst == nil {
		r.nsFirst = map[string]*object{}
	}
	if _, ok := r.nsFirst[ns]; !ok {
		r.nsFirst[ns] = o
		r.nsOrder = append(r.nsOrder, ns)
	}
}

// networkPolicies reports each namespace seen without a NetworkPolicy.
// The empty namespace is the one the manifests are applied to.
func (r *reporter) networkPolicies() {
	for _, ns := range r.nsOrder {
		if r.policies[ns] {
			continue
		}
		o := r.nsFirst[ns]
		name := ns
		if name == "" {
			name = "(the namespace the manifests are applied to)"
		}
		r.add(ruleNoNetworkPolicy, 0, o.root.line, o.root.col,
			fmt.Sprintf("%s: namespace %s has no NetworkPolicy in this file, so its pods accept and open any connection", o.ref(), name),
			"namespace: "+cmp.Or(ns, "(unset)"))
	}
}

// firstError keeps errors to one line: the first, and how many followed.
func firstError(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return fmt.Errorf("%w (and %d more documents failed)", errs[0], len(errs)-1)
}
