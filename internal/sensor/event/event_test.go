package event

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Events are written as JSON lines and read back by replay: every field
// must survive the round trip, and optional sections must stay out of the
// line when unset.
func TestJSONRoundTrip(t *testing.T) {
	uid, capEff := uint32(0), uint64(0x1ff)
	tests := []struct {
		name    string
		ev      Event
		absent  []string // keys the line must not carry
		present []string
	}{
		{
			name: "exec in a container",
			ev: Event{
				Time: time.Date(2026, 12, 7, 23, 49, 20, 452849572, time.UTC), Type: Exec, CgroupID: 66088,
				ContainerID: "0ea7c0f87d64",
				Container: &Container{ID: "0ea7c0f87d64", Name: "web", Runtime: "docker", Image: "nginx:1.27",
					ImageID: "sha256:4d4c", Labels: map[string]string{"io.kubernetes.pod.name": "web-0"},
					PodName: "web-0", PodNamespace: "shop"},
				Proc: Process{PID: 4242, TID: 4242, PPID: 4200, VPID: 1, UID: 1000, GID: 1000, EUID: 1000,
					LoginUID: 4294967295, Comm: "busybox", Exe: "/proc/self/exe", ExeInode: 1234, ExeDev: 66,
					Args: []string{"sh", "-c", "id"}, Cwd: "/", CapEffective: capEff, TTY: true,
					Ancestors: []Ancestor{{PID: 4200, Comm: "containerd-shim", Exe: "/usr/bin/containerd-shim-runc-v2"}}},
			},
			absent:  []string{`"host"`, `"file"`, `"net"`, `"change"`, `"killed"`, `"ret"`},
			present: []string{`"type":"execve"`, `"exeInode":1234`, `"podNamespace":"shop"`},
		},
		{
			name: "host connect",
			ev: Event{Time: time.Unix(1, 0).UTC(), Type: Connect, CgroupID: 1, Host: true,
				Proc: Process{PID: 1, Comm: "curl"},
				Net:  &Net{Family: "ipv6", Protocol: "tcp", DstAddr: "2001:db8::1", DstPort: 443}},
			absent:  []string{`"container"`, `"file"`},
			present: []string{`"host":true`, `"dstPort":443`},
		},
		{
			name: "setuid killed",
			ev: Event{Time: time.Unix(2, 0).UTC(), Type: Setuid, Proc: Process{PID: 7, UID: 1000},
				Change: &Change{NewUID: &uid, CapEffective: &capEff, Flags: []string{"CLONE_NEWNS"}},
				Ret:    -1, Killed: true},
			present: []string{`"newUid":0`, `"killed":true`, `"ret":-1`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, err := json.Marshal(&tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			var got Event
			if err := json.Unmarshal(line, &got); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.ev, got); d != "" {
				t.Errorf("round trip (-want +got):\n%s", d)
			}
			for _, k := range tt.absent {
				if strings.Contains(string(line), k) {
					t.Errorf("line carries %s: %s", k, line)
				}
			}
			for _, k := range tt.present {
				if !strings.Contains(string(line), k) {
					t.Errorf("line lacks %s: %s", k, line)
				}
			}
		})
	}
}
