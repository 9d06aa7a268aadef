package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// docker runs the docker CLI against the engine setup.sh started.
func docker(t *testing.T, env testEnv, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(cleanEnv(), "DOCKER_HOST="+env.Docker)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestDockerDaemon(t *testing.T) {
	env := loadEnv(t)
	if env.Docker == "" {
		t.Skip("setup.sh ran with PAVE_TEST_NO_DOCKER=1: no Docker engine")
	}
	im := e2eImage(t, env)
	dockerEnv := []string{"DOCKER_HOST=" + env.Docker}

	docker(t, env, "load", "-i", im.dockerTar)
	t.Cleanup(func() {
		cmd := exec.Command("docker", "rmi", "-f", im.tag)
		cmd.Env = append(cleanEnv(), "DOCKER_HOST="+env.Docker)
		_ = cmd.Run()
	})
	id := strings.TrimSpace(docker(t, env, "image", "inspect", "--format", "{{.Id}}", im.tag))
	if id != im.expected.ImageID {
		t.Fatalf("docker loaded image %s, built %s", id, im.expected.ImageID)
	}

	fromArchive := sbom(t, nil, im.dockerTar, "--offline")
	fromDaemon := sbom(t, dockerEnv, "docker:"+im.tag)
	checkExpected(t, fromDaemon, im.expected, false)
	// pkgLines compares layers by diff ID: the engine exports layers
	// uncompressed, so compressed digests differ.
	if diff := cmp.Diff(pkgLines(fromArchive), pkgLines(fromDaemon)); diff != "" {
		t.Errorf("packages (-docker-archive +docker:%s):\n%s", im.tag, diff)
	}
	if fromDaemon.Target.ImageID != im.expected.ImageID {
		t.Errorf("daemon target image ID %q, want %s", fromDaemon.Target.ImageID, im.expected.ImageID)
	}

	t.Run("missing image", func(t *testing.T) {
		r := pave(t, dockerEnv, "sbom", "--format", "json", "docker:pave-e2e/does-not-exist:0")
		checkOneLineError(t, r, 2)
	})
}
