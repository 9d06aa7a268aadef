package rules

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/sensor/event"
)

// Hand-built events for the tests: a container "web" from nginx:1.27, the
// process's parent chain given by name.

const testCID = "4f1c2d3e4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d"

type evOpt func(*event.Event)

func newEv(t event.Type, comm string, opts ...evOpt) *event.Event {
	ev := &event.Event{
		Time:        time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC),
		Type:        t,
		CgroupID:    4242,
		ContainerID: testCID,
		Container: &event.Container{ID: testCID, Name: "web", Runtime: "docker", Image: "docker.io/library/nginx:1.27",
			ImageDigest: "sha256:aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999"},
		Proc: event.Process{PID: 4321, TID: 4321, PPID: 4000, VPID: 42, UID: 0, EUID: 0, Comm: comm,
			Exe: "/usr/bin/" + comm, Args: []string{comm}, LoginUID: 4294967295,
			Ancestors: []event.Ancestor{{PID: 4000, Comm: "nginx", Exe: "/usr/sbin/nginx"}}},
	}
	for _, o := range opts {
		o(ev)
	}
	return ev
}

func args(a ...string) evOpt {
	return func(ev *event.Event) { ev.Proc.Args = append([]string{ev.Proc.Comm}, a...) }
}

func exe(p string) evOpt { return func(ev *event.Event) { ev.Proc.Exe = p } }

// parents sets the ancestor chain, nearest first; none leaves it empty.
func parents(names ...string) evOpt {
	return func(ev *event.Event) {
		ev.Proc.Ancestors = nil
		for i, n := range names {
			ev.Proc.Ancestors = append(ev.Proc.Ancestors, event.Ancestor{PID: uint32(4000 - i), Comm: n, Exe: "/usr/bin/" + n})
		}
	}
}

func tty(ev *event.Event) { ev.Proc.TTY = true }

func onHost(ev *event.Event) { ev.Host, ev.Container, ev.ContainerID = true, nil, "" }

func euid(u uint32) evOpt { return func(ev *event.Event) { ev.Proc.UID, ev.Proc.EUID = u, u } }

func vpid(p uint32) evOpt { return func(ev *event.Event) { ev.Proc.VPID = p } }

func ret(r int64) evOpt { return func(ev *event.Event) { ev.Ret = r } }

func execEv(comm string, opts ...evOpt) *event.Event { return newEv(event.Exec, comm, opts...) }

// openEv opens path for reading, or for writing with O_WRONLY|O_CREAT|O_TRUNC.
func openEv(comm, path string, write bool, opts ...evOpt) *event.Event {
	ev := newEv(event.Open, comm, opts...)
	ev.File = &event.File{Path: path}
	if write {
		ev.File.Write, ev.File.Flags = true, 0o1101
	}
	if ev.Ret == 0 {
		ev.Ret = 3
	}
	return ev
}

func connectEv(comm, family, addr string, port uint16, opts ...evOpt) *event.Event {
	ev := newEv(event.Connect, comm, opts...)
	ev.Net = &event.Net{Family: family, Protocol: "tcp", SrcAddr: "172.17.0.2", SrcPort: 40000, DstAddr: addr, DstPort: port}
	if family == "unix" {
		ev.Net = &event.Net{Family: "unix", DstAddr: addr}
	}
	return ev
}

func changeEv(t event.Type, comm string, ch event.Change, opts ...evOpt) *event.Event {
	ev := newEv(t, comm, opts...)
	ev.Change = &ch
	return ev
}

func u32(v uint32) *uint32 { return &v }

// firedIDs runs the engine and returns the rule ids that fired, sorted.
func firedIDs(e *Engine, ev *event.Event) []string {
	var ids []string
	for _, f := range e.Analyze(ev) {
		ids = append(ids, f.Rule.ID)
	}
	sort.Strings(ids)
	return slices.Compact(ids)
}

func builtinEngine(t testing.TB) *Engine {
	t.Helper()
	e, rep, err := Load(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, dis := rep.Counts(); dis != 0 {
		t.Fatalf("built-in rules disabled:\n%s", rep)
	}
	return e
}
