package sensortest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseEnv(t *testing.T) {
	in := "PAVE_TEST_DIR=/var/tmp/pave-test\n\n# comment\nPAVE_TEST_DOCKER=unix:///var/run/docker.sock\nEMPTY=\nA=b=c\n=novalue\n"
	got, err := ParseEnv(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := Env{
		"PAVE_TEST_DIR":    "/var/tmp/pave-test",
		"PAVE_TEST_DOCKER": "unix:///var/run/docker.sock",
		"EMPTY":            "",
		"A":                "b=c",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseEnv (-want +got):\n%s", diff)
	}
}

// TestRunContainerCgroup starts a real container and checks that the
// cgroup directory CgroupID names is the one holding its init process.
func TestRunContainerCgroup(t *testing.T) {
	img := RuntimeImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := RunContainer(t, ctx, RunOptions{Image: img, Labels: map[string]string{"pave.test": "sensortest"}})
	pid := PID(t, ctx, id)
	path := CgroupPath(t, id)
	if !strings.Contains(path, id) {
		t.Errorf("cgroup path %q does not name container %s", path, id)
	}
	dir := filepath.Join(Cgroup2Mount(t), path)
	procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Fields(string(procs)), strconv.Itoa(pid)) {
		t.Errorf("%s/cgroup.procs = %q, want pid %d in it", dir, procs, pid)
	}
	if got := CgroupDir(t, id); got != dir {
		t.Errorf("CgroupDir = %q, want %q", got, dir)
	}
	if got := CgroupDir(t, strings.Repeat("0", 64)); got != "" {
		t.Errorf("CgroupDir of an unknown id = %q", got)
	}
	ino := CgroupID(t, id)
	want, err := Inode(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ino != want || ino == 0 {
		t.Errorf("CgroupID = %d, want inode %d of %s", ino, want, dir)
	}
	out, err := Exec(ctx, id, "/bin/sh", "-c", "echo $((6*7)); cat /proc/self/cgroup")
	if err != nil || !strings.HasPrefix(out, "42\n") || !strings.Contains(out, id) {
		t.Errorf("Exec = %q, %v; want 42 and the container's cgroup", out, err)
	}
	if _, err := Exec(ctx, id, "/bin/sh", "-c", "exit 4"); err == nil || !strings.Contains(err.Error(), "exit status 4") {
		t.Errorf("Exec of a failing command: %v", err)
	}
	label, err := Docker(ctx, "container", "inspect", "--format", `{{index .Config.Labels "pave.test"}}`, id)
	if err != nil || label != "sensortest" {
		t.Errorf("label = %q, %v; want sensortest", label, err)
	}
}

// TestWaitRemoved: a --rm container that exits is waited for and gone.
func TestWaitRemoved(t *testing.T) {
	img := RuntimeImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := RunContainer(t, ctx, RunOptions{Image: img, Remove: true, Cmd: []string{"/bin/sh", "-c", "sleep 0.2; exit 3"}})
	code, err := WaitExit(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if code != 3 && code != -1 {
		t.Errorf("exit code %d, want 3 (or -1 when already removed)", code)
	}
	if err := WaitGone(ctx, id); err != nil {
		t.Fatal(err)
	}
}
