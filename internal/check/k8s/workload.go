package k8s

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/pavesec/pave/internal/finding"
)

// workload is a pod spec found in an object.
type workload struct {
	obj         *object
	spec        *node  // the pod spec
	at          string // its field path, "spec.template.spec"
	annotations *node  // the pod's annotations (legacy seccomp and AppArmor)
}

// podSpecOf finds the pod spec of a Pod, of a pod template (Deployment,
// StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, any
// custom resource with spec.template) or of a CronJob's job template.
func podSpecOf(o *object) *workload {
	root := o.root
	try := []struct {
		spec, meta []string
	}{
		{[]string{"spec", "template", "spec"}, []string{"spec", "template", "metadata"}},
		{[]string{"spec", "jobTemplate", "spec", "template", "spec"}, []string{"spec", "jobTemplate", "spec", "template", "metadata"}},
		{[]string{"template", "spec"}, []string{"template", "metadata"}}, // PodTemplate
	}
	if o.kind == "Pod" {
		try = append(try[:0:0], struct{ spec, meta []string }{[]string{"spec"}, []string{"metadata"}})
	}
	for _, t := range try {
		s := root.path(t.spec...)
		if s == nil || s.kind != mapNode || (s.get("containers") == nil && s.get("initContainers") == nil) {
			continue
		}
		return &workload{obj: o, spec: s, at: strings.Join(t.spec, "."), annotations: root.path(t.meta...).get("annotations")}
	}
	return nil
}

// container is one container of a pod spec.
type container struct {
	n         *node
	name      string
	field     string // "spec.containers[app]"
	ephemeral bool
}

func (w *workload) containers() []container {
	var out []container
	for _, group := range []string{"initContainers", "containers", "ephemeralContainers"} {
		for i, c := range w.spec.get(group).seq() {
			if c.kind != mapNode {
				continue
			}
			name := c.get("name").text()
			label := name
			if label == "" {
				label = strconv.Itoa(i)
			}
			out = append(out, container{n: c, name: name, field: w.at + "." + group + "[" + label + "]", ephemeral: group == "ephemeralContainers"})
		}
	}
	return out
}

// who names the pod or container for a message.
func (w *workload) who(c *container) string {
	if c == nil {
		return w.obj.ref()
	}
	return fmt.Sprintf("%s container %q", w.obj.ref(), c.name)
}

// evidence formats "Deployment/web spec.template.spec.hostPID: true".
func (w *workload) evidence(field, value string) string {
	return w.obj.short() + " " + field + ": " + value
}

// workload runs every pod and container check.
func (r *reporter) workload(w *workload) {
	r.podLevel(w)
	for _, c := range w.containers() {
		r.containerLevel(w, &c)
	}
}

// at returns where an entry's key is, or where n starts.
func at(e *entry, n *node) (int, int) {
	if e != nil {
		return e.line, e.col
	}
	if n != nil {
		return n.line, n.col
	}
	return 0, 0
}

func (r *reporter) podLevel(w *workload) {
	s := w.spec
	for _, h := range []struct{ key, id, what string }{
		{"hostPID", ruleHostPID, "shares the host's process namespace: it sees and can signal every process on the node"},
		{"hostIPC", ruleHostIPC, "shares the host's IPC namespace: it can read shared memory of host processes"},
		{"hostNetwork", ruleHostNetwork, "uses the host's network: it reaches node-local services and sniffs host traffic, and NetworkPolicy does not apply"},
	} {
		if e := s.entry(h.key); e != nil && e.value.isTrue() {
			r.add(h.id, 0, e.line, e.col, w.who(nil)+" "+h.what, w.evidence(w.at+"."+h.key, e.value.str))
		}
	}
	for i, v := range s.get("volumes").seq() {
		e := v.get("hostPath").entry("path")
		if e == nil {
			continue
		}
		p := e.value.text()
		sev, why := hostPathSeverity(p)
		name := v.get("name").text()
		if name == "" {
			name = strconv.Itoa(i)
		}
		r.add(ruleHostPath, sev, e.line, e.col,
			fmt.Sprintf("%s mounts host path %s (volume %q)%s", w.who(nil), p, name, why),
			w.evidence(w.at+".volumes["+name+"].hostPath.path", p))
	}
	ps := s.get("securityContext")
	for _, sc := range ps.get("sysctls").seq() {
		e := sc.entry("name")
		if e == nil || safeSysctls[e.value.text()] {
			continue
		}
		r.add(ruleUnsafeSysctl, 0, e.line, e.col,
			fmt.Sprintf("%s sets sysctl %s, which is not in the Pod Security Standards' safe set", w.who(nil), e.value.text()),
			w.evidence(w.at+".securityContext.sysctls[].name", e.value.text()))
	}
	r.seLinux(w, nil, ps, w.at+".securityContext")
	if e := s.entry("automountServiceAccountToken"); e == nil || !e.value.isFalse() {
		line, col := at(e, s)
		val := "(unset)"
		if e != nil {
			val = e.value.str
		}
		r.add(ruleSATokenMount, 0, line, col,
			w.who(nil)+" gets a service account token mounted; a compromised container can call the API server with it",
			w.evidence(w.at+".automountServiceAccountToken", val))
	}
}

// Host paths that give the node away: container runtime sockets and the
// directories holding them, the root, configuration, kernel interfaces,
// kubelet and runtime state.
var criticalHostPaths = map[string]bool{
	"/": true, "/etc": true, "/proc": true, "/sys": true, "/dev": true, "/boot": true, "/root": true,
	"/var/lib/kubelet": true, "/var/lib/docker": true, "/var/lib/containerd": true, "/var/lib/containers": true,
	"/var/run": true, "/run": true, "/var": true, "/usr": true, "/etc/kubernetes": true,
	"/var/run/docker.sock": true, "/run/docker.sock": true, "/var/run/docker": true,
	"/var/run/containerd": true, "/run/containerd": true,
	"/var/run/containerd/containerd.sock": true, "/run/containerd/containerd.sock": true,
	"/var/run/crio": true, "/run/crio": true, "/var/run/crio/crio.sock": true, "/run/crio/crio.sock": true,
	"/var/run/cri-dockerd.sock": true, "/run/cri-dockerd.sock": true,
	"/run/k3s/containerd/containerd.sock": true, "/var/run/dockershim.sock": true,
}

func hostPathSeverity(p string) (finding.Severity, string) {
	clean := path.Clean("/" + strings.TrimSpace(p))
	if criticalHostPaths[clean] {
		if strings.HasSuffix(clean, ".sock") {
			return finding.Critical, ": the container runtime socket, which controls every container on the node"
		}
		return finding.Critical, ": node takeover through host configuration, credentials or kernel interfaces"
	}
	return finding.High, ""
}

// The Pod Security Standards' safe sysctls (baseline, Kubernetes 1.29+).
var safeSysctls = map[string]bool{
	"kernel.shm_rmid_forced":              true,
	"net.ipv4.ip_local_port_range":        true,
	"net.ipv4.ip_unprivileged_port_start": true,
	"net.ipv4.tcp_syncookies":             true,
	"net.ipv4.ping_group_range":           true,
	"net.ipv4.ip_local_reserved_ports":    true,
	"net.ipv4.tcp_keepalive_time":         true,
	"net.ipv4.tcp_fin_timeout":            true,
	"net.ipv4.tcp_keepalive_intvl":        true,
	"net.ipv4.tcp_keepalive_probes":       true,
}

// eff returns the container's setting of key, else the pod's: the
// container's securityContext overrides the pod's.
func eff(cs, ps *node, key string) (*entry, string) {
	if e := cs.entry(key); e != nil {
		return e, "securityContext"
	}
	if e := ps.entry(key); e != nil {
		return e, "pod securityContext"
	}
	return nil, ""
}

func (r *reporter) containerLevel(w *workload, c *container) {
	cs := c.n.get("securityContext")
	ps := w.spec.get("securityContext")
	csAt := c.field + ".securityContext"
	// Where to point when a setting is missing: the container's
	// securityContext if it has one, else the container.
	missLine, missCol := at(c.n.entry("securityContext"), c.n)
	ev := func(field, value string) string { return w.evidence(field, value) }

	if e := cs.entry("privileged"); e != nil && e.value.isTrue() {
		r.add(rulePrivileged, 0, e.line, e.col,
			w.who(c)+" runs privileged: it has every capability and device of the node and can escape to it",
			ev(csAt+".privileged", e.value.str))
	}
	if e := cs.path("windowsOptions").entry("hostProcess"); e != nil && e.value.isTrue() {
		r.add(ruleHostProcess, 0, e.line, e.col, w.who(c)+" runs as a Windows host process, with the node's privileges",
			ev(csAt+".windowsOptions.hostProcess", e.value.str))
	} else if e := ps.path("windowsOptions").entry("hostProcess"); e != nil && e.value.isTrue() {
		r.add(ruleHostProcess, 0, e.line, e.col, w.who(c)+" runs as a Windows host process, with the node's privileges",
			ev(w.at+".securityContext.windowsOptions.hostProcess", e.value.str))
	}
	if e := cs.entry("allowPrivilegeEscalation"); e == nil || !e.value.isFalse() {
		line, col, val := missLine, missCol, "(unset)"
		if e != nil {
			line, col, val = e.line, e.col, e.value.str
		}
		r.add(ruleAllowPrivEsc, 0, line, col,
			w.who(c)+" allows privilege escalation: setuid binaries and file capabilities can raise its privileges",
			ev(csAt+".allowPrivilegeEscalation", val))
	}
	r.runAs(w, c, cs, ps, missLine, missCol)
	r.capabilities(w, c, cs, missLine, missCol)
	if e := cs.entry("readOnlyRootFilesystem"); e == nil || !e.value.isTrue() {
		line, col, val := missLine, missCol, "(unset)"
		if e != nil {
			line, col, val = e.line, e.col, e.value.str
		}
		r.add(ruleWritableRootFS, 0, line, col,
			w.who(c)+" can write to its root filesystem: an attacker can drop and run tools",
			ev(csAt+".readOnlyRootFilesystem", val))
	}
	if e := cs.entry("procMount"); e != nil && e.value.text() == "Unmasked" {
		r.add(ruleProcMount, 0, e.line, e.col, w.who(c)+" mounts /proc unmasked, exposing host kernel interfaces",
			ev(csAt+".procMount", e.value.str))
	}
	r.seccomp(w, c, cs, ps, missLine, missCol)
	r.appArmor(w, c, cs, ps)
	r.seLinux(w, c, cs, csAt)
	if !c.ephemeral {
		r.ports(w, c)
		r.limits(w, c)
	}
	r.image(w, c)
	r.env(w, c)
}

func (r *reporter) runAs(w *workload, c *container, cs, ps *node, missLine, missCol int) {
	ue, uwhere := eff(cs, ps, "runAsUser")
	if ue != nil && ue.value.text() == "0" {
		r.add(ruleRunAsUID0, 0, ue.line, ue.col, fmt.Sprintf("%s runs as root (runAsUser: 0 in its %s)", w.who(c), uwhere),
			w.evidence(fieldOf(w, c, uwhere)+".runAsUser", "0"))
		return
	}
	ne, nwhere := eff(cs, ps, "runAsNonRoot")
	if ne != nil && ne.value.isTrue() {
		return
	}
	if ue != nil {
		if uid, err := strconv.ParseInt(ue.value.text(), 10, 64); err == nil && uid > 0 {
			return // a non-root UID, which the image cannot override
		}
	}
	line, col, val := missLine, missCol, "(unset)"
	field := c.field + ".securityContext"
	if ne != nil {
		line, col, val = ne.line, ne.col, ne.value.str
		field = fieldOf(w, c, nwhere)
	}
	r.add(ruleMayRunAsRoot, 0, line, col,
		w.who(c)+" may run as root: runAsNonRoot is not true and no non-zero runAsUser is set, so the image's USER decides",
		w.evidence(field+".runAsNonRoot", val))
}

func fieldOf(w *workload, c *container, where string) string {
	if where == "pod securityContext" {
		return w.at + ".securityContext"
	}
	return c.field + ".securityContext"
}

// Capabilities the Pod Security Standards' baseline allows to add.
var baselineCaps = map[string]bool{
	"AUDIT_WRITE": true, "CHOWN": true, "DAC_OVERRIDE": true, "FOWNER": true, "FSETID": true, "KILL": true,
	"MKNOD": true, "NET_BIND_SERVICE": true, "SETFCAP": true, "SETGID": true, "SETPCAP": true, "SETUID": true,
	"SYS_CHROOT": true,
}

// capSeverity rates an added capability: the ones that amount to root on
// the node are critical.
func capSeverity(capName string) finding.Severity {
	switch capName {
	case "ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO", "SYS_PTRACE", "DAC_READ_SEARCH", "BPF", "SYS_BOOT":
		return finding.Critical
	case "NET_ADMIN", "SYS_TIME", "SYS_RESOURCE", "MAC_ADMIN", "MAC_OVERRIDE", "SYSLOG", "LINUX_IMMUTABLE", "PERFMON", "DAC_OVERRIDE", "SETFCAP", "CHECKPOINT_RESTORE":
		return finding.High
	}
	if baselineCaps[capName] {
		return finding.Low
	}
	return finding.Medium
}

func (r *reporter) capabilities(w *workload, c *container, cs *node, missLine, missCol int) {
	caps := cs.get("capabilities")
	for _, a := range caps.get("add").seq() {
		name := strings.TrimPrefix(strings.ToUpper(a.text()), "CAP_")
		if name == "" || name == "NET_BIND_SERVICE" {
			continue
		}
		r.add(ruleCapAdded, capSeverity(name), a.line, a.col,
			fmt.Sprintf("%s adds capability %s", w.who(c), name),
			w.evidence(c.field+".securityContext.capabilities.add[]", a.text()))
	}
	for _, d := range caps.get("drop").seq() {
		if strings.EqualFold(d.text(), "ALL") || strings.EqualFold(d.text(), "CAP_ALL") {
			return
		}
	}
	line, col := missLine, missCol
	if e := caps.entry("drop"); e != nil {
		line, col = e.line, e.col
	} else if e := cs.entry("capabilities"); e != nil {
		line, col = e.line, e.col
	}
	r.add(ruleCapNoDropAll, 0, line, col,
		w.who(c)+" keeps the runtime's default capabilities (such as NET_RAW): drop ALL and add back only what it needs",
		w.evidence(c.field+".securityContext.capabilities.drop", "(no ALL)"))
}

func (r *reporter) seccomp(w *workload, c *container, cs, ps *node, missLine, missCol int) {
	var typ string
	var line, col int
	var field string
	if e := cs.path("seccompProfile").entry("type"); e != nil {
		typ, line, col, field = e.value.text(), e.line, e.col, c.field+".securityContext.seccompProfile.type"
	} else if e := w.annotations.entry("container.seccomp.security.alpha.kubernetes.io/" + c.name); e != nil {
		typ, line, col, field = e.value.text(), e.line, e.col, "annotations[container.seccomp.security.alpha.kubernetes.io/"+c.name+"]"
	} else if e := ps.path("seccompProfile").entry("type"); e != nil {
		typ, line, col, field = e.value.text(), e.line, e.col, w.at+".securityContext.seccompProfile.type"
	} else if e := w.annotations.entry("seccomp.security.alpha.kubernetes.io/pod"); e != nil {
		typ, line, col, field = e.value.text(), e.line, e.col, "annotations[seccomp.security.alpha.kubernetes.io/pod]"
	}
	switch {
	case field == "":
		r.add(ruleSeccompUnset, 0, missLine, missCol,
			w.who(c)+" sets no seccomp profile: unless the kubelet defaults to RuntimeDefault, every system call is allowed",
			w.evidence(c.field+".securityContext.seccompProfile", "(unset)"))
	case strings.EqualFold(typ, "Unconfined"):
		r.add(ruleSeccompUnconf, 0, line, col, w.who(c)+" disables seccomp: every system call reaches the shared kernel",
			w.evidence(field, typ))
	}
}

func (r *reporter) appArmor(w *workload, c *container, cs, ps *node) {
	if e := cs.path("appArmorProfile").entry("type"); e != nil {
		if e.value.text() == "Unconfined" {
			r.add(ruleAppArmorUnconf, 0, e.line, e.col, w.who(c)+" runs without AppArmor confinement",
				w.evidence(c.field+".securityContext.appArmorProfile.type", e.value.text()))
		}
		return
	}
	if e := w.annotations.entry("container.apparmor.security.beta.kubernetes.io/" + c.name); e != nil {
		if e.value.text() == "unconfined" {
			r.add(ruleAppArmorUnconf, 0, e.line, e.col, w.who(c)+" runs without AppArmor confinement",
				w.evidence("annotations[container.apparmor.security.beta.kubernetes.io/"+c.name+"]", e.value.text()))
		}
		return
	}
	if e := ps.path("appArmorProfile").entry("type"); e != nil && e.value.text() == "Unconfined" {
		r.add(ruleAppArmorUnconf, 0, e.line, e.col, w.who(c)+" runs without AppArmor confinement",
			w.evidence(w.at+".securityContext.appArmorProfile.type", e.value.text()))
	}
}

// SELinux types the baseline allows.
var allowedSELinuxTypes = map[string]bool{"": true, "container_t": true, "container_init_t": true, "container_kvm_t": true, "container_engine_t": true}

// seLinux checks one securityContext's seLinuxOptions (c is nil for the
// pod's).
func (r *reporter) seLinux(w *workload, c *container, sc *node, field string) {
	opts := sc.get("seLinuxOptions")
	if e := opts.entry("type"); e != nil && !allowedSELinuxTypes[e.value.text()] {
		r.add(ruleSELinuxCustom, 0, e.line, e.col,
			fmt.Sprintf("%s sets SELinux type %s, outside the container types", w.who(c), e.value.text()),
			w.evidence(field+".seLinuxOptions.type", e.value.text()))
	}
	for _, k := range []string{"user", "role"} {
		if e := opts.entry(k); e != nil && e.value.text() != "" {
			r.add(ruleSELinuxCustom, 0, e.line, e.col,
				fmt.Sprintf("%s sets a custom SELinux %s %s", w.who(c), k, e.value.text()),
				w.evidence(field+".seLinuxOptions."+k, e.value.text()))
		}
	}
}

func (r *reporter) ports(w *workload, c *container) {
	for _, p := range c.n.get("ports").seq() {
		e := p.entry("hostPort")
		if e == nil || e.value.text() == "0" || e.value.text() == "" {
			continue
		}
		r.add(ruleHostPort, 0, e.line, e.col,
			fmt.Sprintf("%s binds host port %s on its node, bypassing Services and NetworkPolicy", w.who(c), e.value.text()),
			w.evidence(c.field+".ports[].hostPort", e.value.text()))
	}
}

func (r *reporter) limits(w *workload, c *container) {
	lim := c.n.path("resources", "limits")
	var missing []string
	for _, k := range []string{"cpu", "memory"} {
		if lim.get(k) == nil {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return
	}
	line, col := at(c.n.entry("resources"), c.n)
	m := strings.Join(missing, " and ")
	r.add(ruleNoLimits, 0, line, col,
		fmt.Sprintf("%s has no %s limit: it can starve the node and its neighbours", w.who(c), m),
		w.evidence(c.field+".resources.limits", "no "+m))
}

// splitImage returns an image reference's tag and digest.
func splitImage(img string) (tag, digest string) {
	if i := strings.IndexByte(img, '@'); i >= 0 {
		img, digest = img[:i], img[i+1:]
	}
	last := img[strings.LastIndexByte(img, '/')+1:]
	if i := strings.LastIndexByte(last, ':'); i >= 0 {
		tag = last[i+1:]
	}
	return tag, digest
}

func (r *reporter) image(w *workload, c *container) {
	e := c.n.entry("image")
	if e == nil || e.value.text() == "" {
		return
	}
	img := e.value.text()
	tag, digest := splitImage(img)
	field := c.field + ".image"
	switch {
	case digest != "":
		return
	case tag == "" || tag == "latest":
		r.add(ruleImageMutableTag, 0, e.value.line, e.value.col,
			fmt.Sprintf("%s uses image %s: no fixed version, so what runs changes with every push", w.who(c), img),
			w.evidence(field, img))
		if pe := c.n.entry("imagePullPolicy"); pe != nil && (pe.value.text() == "IfNotPresent" || pe.value.text() == "Never") {
			r.add(ruleImagePullPolicy, 0, pe.line, pe.col,
				fmt.Sprintf("%s pulls the mutable image %s with imagePullPolicy %s: nodes run whatever version they cached", w.who(c), img, pe.value.text()),
				w.evidence(c.field+".imagePullPolicy", pe.value.text()))
		}
	default:
		r.add(ruleImageNoDigest, 0, e.value.line, e.value.col,
			fmt.Sprintf("%s uses image %s by tag only: a tag can be moved to other content", w.who(c), img),
			w.evidence(field, img))
	}
}

// Environment variable names that hold secrets, matched per word.
var (
	secretWord   = regexp.MustCompile(`^(PASSWORD|PASSWD|PASS|PWD|SECRET|SECRETS|TOKEN|KEY|APIKEY|PASSPHRASE|CREDENTIALS?|PRIVATEKEY|ACCESSKEY|SECRETKEY|AUTHTOKEN|CLIENTSECRET)$`)
	notSecretEnd = regexp.MustCompile(`^(FILE|PATH|DIR|NAME|URL|URI|ID|ENDPOINT|HOST|PORT|LENGTH|TTL|TYPE|ENABLED|HEADER|REF|ALGORITHM|SIZE|VERSION)$`)
	wordSplit    = regexp.MustCompile(`[^A-Za-z0-9]+|([a-z0-9])([A-Z])`)
)

// secretName reports whether an environment variable name says it holds
// a secret: DB_PASSWORD, apiToken, AWS_SECRET_ACCESS_KEY, but not
// PASSWORD_FILE or PUBLIC_KEY.
func secretName(name string) bool {
	words := strings.Fields(strings.ToUpper(wordSplit.ReplaceAllString(name, "$1 $2")))
	if len(words) == 0 || notSecretEnd.MatchString(words[len(words)-1]) {
		return false
	}
	hit := false
	for _, w := range words {
		if w == "PUBLIC" || w == "PUB" {
			return false
		}
		if secretWord.MatchString(w) {
			hit = true
		}
	}
	return hit
}

// placeholderValue reports values that are not secrets: empty, booleans,
// references to other variables, paths.
func placeholderValue(v string) bool {
	switch strings.ToLower(v) {
	case "", "true", "false", "yes", "no", "none", "null", "0", "1":
		return true
	}
	return strings.HasPrefix(v, "$(") || strings.HasPrefix(v, "${") || strings.HasPrefix(v, "/")
}

func (r *reporter) env(w *workload, c *container) {
	for _, ev := range c.n.get("env").seq() {
		name := ev.get("name").text()
		e := ev.entry("value")
		if e == nil || !secretName(name) || placeholderValue(e.value.text()) {
			continue
		}
		r.add(ruleEnvSecret, 0, e.line, e.col,
			fmt.Sprintf("%s sets %s to a literal value: anyone who can read the manifest or the pod spec reads the secret", w.who(c), name),
			w.evidence(c.field+".env["+name+"].value", fmt.Sprintf("<redacted, %d characters>", len(e.value.text()))))
	}
}
