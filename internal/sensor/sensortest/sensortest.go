// Package sensortest holds test helpers for the runtime sensor's packages:
// the machine scripts/setup.sh prepared (its env file), the runtime test
// image, containers started through the real Docker engine with the docker
// CLI, and the cgroup v2 directory a container runs in.
//
// Helpers skip the test when the machine lacks what they need (no env file,
// no image, no engine), except under CI (the CI environment variable set),
// where a missing piece fails the test instead. `go test -short` skips them.
package sensortest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// DefaultEnvFile is where scripts/setup.sh writes its KEY=VALUE file;
// PAVE_TEST_ENV overrides it.
const DefaultEnvFile = "/var/tmp/pave-test/env"

// Env is the env file scripts/setup.sh wrote, as KEY → VALUE.
type Env map[string]string

// ParseEnv reads KEY=VALUE lines; other lines are ignored.
func ParseEnv(r io.Reader) (Env, error) {
	env := Env{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && k != "" {
			env[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sensortest: read env: %w", err)
	}
	return env, nil
}

// missing skips the test, or fails it under CI.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// LoadEnv reads the env file (PAVE_TEST_ENV or DefaultEnvFile). It skips
// the test with -short, and when the file is absent (fails under CI).
func LoadEnv(t testing.TB) Env {
	t.Helper()
	if testing.Short() {
		t.Skip("sensortest: needs the machine scripts/setup.sh prepares: skipped with -short")
	}
	file := os.Getenv("PAVE_TEST_ENV")
	if file == "" {
		file = DefaultEnvFile
	}
	f, err := os.Open(file)
	if err != nil {
		missing(t, "%v: run scripts/setup.sh (as root) to start the Docker engine and build the runtime image", err)
	}
	defer f.Close()
	env, err := ParseEnv(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return env
}

// DockerSocket is the engine's unix socket path from the env file
// (PAVE_TEST_DOCKER=unix:///var/run/docker.sock); it skips (fails under
// CI) when setup ran without the engine.
func DockerSocket(t testing.TB) string {
	t.Helper()
	v := LoadEnv(t)["PAVE_TEST_DOCKER"]
	if v == "" {
		missing(t, "sensortest: no PAVE_TEST_DOCKER in the env file: setup.sh ran without the Docker engine")
	}
	path, ok := strings.CutPrefix(v, "unix://")
	if !ok {
		t.Fatalf("sensortest: PAVE_TEST_DOCKER=%q is not a unix:// socket", v)
	}
	return path
}

// RuntimeImage is the runtime test image's reference
// (PAVE_TEST_RUNTIME_IMAGE, pave-test/runtime:bookworm), checked to be in
// the engine. It skips (fails under CI) when the env file does not name it
// or the engine does not have it.
func RuntimeImage(t testing.TB) string {
	t.Helper()
	img := LoadEnv(t)["PAVE_TEST_RUNTIME_IMAGE"]
	if img == "" {
		missing(t, "sensortest: no PAVE_TEST_RUNTIME_IMAGE in the env file: rerun scripts/setup.sh")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := Docker(ctx, "image", "inspect", "--format", "{{.Id}}", img); err != nil {
		missing(t, "sensortest: runtime image %s: %v: rerun scripts/setup.sh", img, err)
	}
	return img
}

// Docker runs the docker CLI and returns its trimmed standard output; the
// error carries standard error.
func Docker(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// RunOptions say how RunContainer starts a container.
type RunOptions struct {
	Image string // default: RuntimeImage(t)
	Name  string // optional --name
	// Labels become --label k=v.
	Labels map[string]string
	// Remove is --rm: the engine deletes the container when it exits.
	Remove bool
	// Privileged is --privileged (some sandboxes cannot start these).
	Privileged bool
	// Network is --network; default "none" (engines started with
	// --bridge=none have no bridge). Inside, loopback still works.
	Network string
	// Cmd is the command and its arguments; default sleep 300.
	Cmd []string
	// Args are extra docker run flags placed before the image.
	Args []string
}

// RunContainer starts a detached container with the docker CLI and returns
// its full id once the engine reports it started. Unless opts.Remove is
// set, the container is removed (forcibly) when the test ends.
func RunContainer(t testing.TB, ctx context.Context, opts RunOptions) string {
	t.Helper()
	if opts.Image == "" {
		opts.Image = RuntimeImage(t)
	}
	args := []string{"run", "--detach"}
	if opts.Name != "" {
		args = append(args, "--name", opts.Name)
	}
	for _, k := range slices.Sorted(maps.Keys(opts.Labels)) {
		args = append(args, "--label", k+"="+opts.Labels[k])
	}
	if opts.Remove {
		args = append(args, "--rm")
	}
	if opts.Privileged {
		args = append(args, "--privileged")
	}
	network := opts.Network
	if network == "" {
		network = "none"
	}
	args = append(args, "--network", network)
	args = append(args, opts.Args...)
	args = append(args, opts.Image)
	cmd := opts.Cmd
	if len(cmd) == 0 {
		cmd = []string{"sleep", "300"}
	}
	args = append(args, cmd...)
	out, err := Docker(ctx, args...)
	if err != nil {
		t.Fatalf("sensortest: %v", err)
	}
	id := lastLine(out)
	if len(id) != 64 {
		t.Fatalf("sensortest: docker run printed %q, not a container id", out)
	}
	if !opts.Remove {
		t.Cleanup(func() { RemoveContainer(t, id) })
	}
	return id
}

// RemoveContainer force-removes a container; a container already gone is
// not an error.
func RemoveContainer(t testing.TB, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := Docker(ctx, "rm", "--force", id); err != nil && !strings.Contains(err.Error(), "No such container") {
		t.Errorf("sensortest: %v", err)
	}
}

// WaitExit waits for a container to exit and returns its exit code
// (docker wait). A container started with --rm may be gone before the wait
// starts: then it returns -1 and no error.
func WaitExit(ctx context.Context, id string) (int, error) {
	out, err := Docker(ctx, "wait", id)
	if err != nil {
		if strings.Contains(err.Error(), "No such container") {
			return -1, nil
		}
		return 0, fmt.Errorf("sensortest: %w", err)
	}
	code, err := strconv.Atoi(lastLine(out))
	if err != nil {
		return 0, fmt.Errorf("sensortest: docker wait %s printed %q", id, out)
	}
	return code, nil
}

// WaitGone polls until the engine no longer knows the container (removed
// with --rm or docker rm), or ctx ends.
func WaitGone(ctx context.Context, id string) error {
	for {
		_, err := Docker(ctx, "container", "inspect", "--format", "{{.Id}}", id)
		if err != nil && strings.Contains(err.Error(), "No such") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sensortest: container %s still present: %w", id, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Exec runs a command in a running container (docker exec) and returns
// its trimmed standard output; the error carries standard error and the
// exit status.
func Exec(ctx context.Context, id string, cmd ...string) (string, error) {
	return Docker(ctx, append([]string{"exec", id}, cmd...)...)
}

// PID is the host pid of a running container's init process.
func PID(t testing.TB, ctx context.Context, id string) int {
	t.Helper()
	out, err := Docker(ctx, "container", "inspect", "--format", "{{.State.Pid}}", id)
	if err != nil {
		t.Fatalf("sensortest: %v", err)
	}
	pid, err := strconv.Atoi(out)
	if err != nil || pid <= 0 {
		t.Fatalf("sensortest: container %s has pid %q (not running?)", id, out)
	}
	return pid
}

// CgroupPath is the cgroup v2 path (as in /proc/<pid>/cgroup's "0::" line,
// relative to the unified hierarchy's mount) of a running container's init
// process.
func CgroupPath(t testing.TB, containerID string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pid := PID(t, ctx, containerID)
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatalf("sensortest: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p
		}
	}
	t.Fatalf("sensortest: /proc/%d/cgroup has no cgroup v2 line:\n%s", pid, data)
	return ""
}

// Cgroup2Mount is where the unified (v2) hierarchy is mounted: the
// cgroup2 entry of /proc/self/mountinfo (/sys/fs/cgroup, or
// /sys/fs/cgroup/unified on a hybrid host).
func Cgroup2Mount(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatalf("sensortest: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		// id parent major:minor root mountpoint options ... - fstype source super
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) >= 5 && len(qf) >= 1 && qf[0] == "cgroup2" {
			return pf[4]
		}
	}
	missing(t, "sensortest: no cgroup2 mount in /proc/self/mountinfo")
	return ""
}

// CgroupID is the inode of a running container's cgroup v2 directory: the
// value bpf_get_current_cgroup_id returns for its processes.
func CgroupID(t testing.TB, containerID string) uint64 {
	t.Helper()
	dir := filepath.Join(Cgroup2Mount(t), CgroupPath(t, containerID))
	ino, err := Inode(dir)
	if err != nil {
		t.Fatalf("sensortest: %v", err)
	}
	return ino
}

// CgroupDir finds a container's cgroup v2 directory by its id in the
// directory name (/docker/<id>, …/docker-<id>.scope, …/pod<uid>/<id>),
// without asking the engine: quicker than CgroupID for a container about
// to exit. It returns "" when no directory names the id.
func CgroupDir(t testing.TB, containerID string) string {
	t.Helper()
	mount := Cgroup2Mount(t)
	for _, pattern := range []string{"/*/*%s*", "/*/*/*%s*", "/*/*/*/*%s*"} {
		matches, err := filepath.Glob(mount + fmt.Sprintf(pattern, containerID))
		if err != nil {
			t.Fatalf("sensortest: %v", err)
		}
		if len(matches) > 0 {
			return matches[0]
		}
	}
	return ""
}

// Inode is a file's inode number.
func Inode(path string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, fmt.Errorf("sensortest: stat %s: %w", path, err)
	}
	return st.Ino, nil
}

// ErrNoEngine is returned by Ping when the docker CLI cannot reach the engine.
var ErrNoEngine = errors.New("sensortest: docker engine not answering")

// Ping checks that the engine answers (docker version).
func Ping(ctx context.Context) error {
	if _, err := Docker(ctx, "version", "--format", "{{.Server.Version}}"); err != nil {
		return fmt.Errorf("%w: %v", ErrNoEngine, err)
	}
	return nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}
