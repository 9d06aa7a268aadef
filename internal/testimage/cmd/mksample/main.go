// Command mksample rebuilds the quick-start sample image,
// testdata/images/sample-debian.tar, from real Debian bookworm packages and
// a small real application, and writes what a scan of it must find to
// testdata/images/sample-debian.expected.json.
//
// Run it from the repository root after scripts/setup.sh has downloaded
// the .deb files:
//
//	go run ./internal/testimage/cmd/mksample
//
// It needs the Go module proxy (or a warm module cache) to build the
// application binary. The output is committed: the README's quick start
// scans it offline.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/pavesec/pave/internal/testimage"
)

// The sample's layers. Layer 0 is a minimal Debian base; layer 1 adds
// language packages that Debian installs (so the SBOM shows OS-owned
// language packages); layer 2 is an application with lockfiles and a Go
// binary, and removes a package and a base file.
var (
	baseDebs = []string{"base-files", "gcc-12-base", "libgcc-s1", "libc6", "debianutils", "zlib1g", "netbase", "mawk"}
	langDebs = []string{"python3-six", "python3-idna", "node-semver", "node-ms", "ruby-rainbow", "ruby-sdbm", "libcommons-cli-java"}
)

const appDir = "internal/testimage/cmd/mksample/testdata/app"

func main() {
	debs := flag.String("debs", "/var/tmp/pave-test/debs", "directory holding the .deb files (scripts/setup.sh fills it)")
	out := flag.String("out", "testdata/images/sample-debian.tar", "docker-archive to write")
	expected := flag.String("expected", "testdata/images/sample-debian.expected.json", "expected inventory to write")
	tag := flag.String("tag", "sample-debian:1", "image tag recorded in the archive")
	flag.Parse()
	if err := run(context.Background(), *debs, *out, *expected, *tag); err != nil {
		fmt.Fprintln(os.Stderr, "mksample:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, debDir, out, expectedFile, tag string) error {
	if _, err := os.Stat(appDir); err != nil {
		return errors.New("run from the repository root")
	}
	base, err := testimage.FindDebs(debDir, baseDebs...)
	if err != nil {
		return err
	}
	lang, err := testimage.FindDebs(debDir, langDebs...)
	if err != nil {
		return err
	}
	hello, err := buildHello(ctx)
	if err != nil {
		return err
	}
	app, err := appFiles(hello)
	if err != nil {
		return err
	}
	spec := testimage.Spec{
		Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"},
		User:       "1000",
		WorkingDir: "/srv",
		Cmd:        []string{"/usr/local/bin/hello"},
		Labels:     map[string]string{"org.opencontainers.image.title": "pave sample (Debian bookworm)"},
		Layers: []testimage.Layer{
			{
				CreatedBy: "ADD rootfs.tar / # debian:bookworm minimal",
				Debs:      base,
				After:     []string{"ENV LANG=C.UTF-8"},
			},
			{
				CreatedBy: "RUN /bin/sh -c apt-get install -y --no-install-recommends python3-six python3-idna node-semver node-ms ruby-rainbow ruby-sdbm libcommons-cli-java # buildkit",
				Debs:      lang,
			},
			{
				CreatedBy: "RUN /bin/sh -c dpkg --purge mawk && rm /etc/issue.net && cp -r /src/app /srv # buildkit",
				Purge:     []string{"mawk"},
				Delete:    []string{"etc/issue.net"},
				Files:     app,
				After:     []string{"WORKDIR /srv", "USER 1000", `CMD ["/usr/local/bin/hello"]`},
			},
		},
	}
	im, err := testimage.Build(ctx, spec)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := testimage.WriteDockerArchive(out, im.Image, tag); err != nil {
		return err
	}
	exp := im.Expected
	for i := range exp.Packages {
		exp.Packages[i].Files = nil
	}
	for i := range exp.Removed {
		exp.Removed[i].Files = nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(exp); err != nil {
		return err
	}
	if err := os.WriteFile(expectedFile, b.Bytes(), 0o644); err != nil {
		return err
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Printf("mksample: wrote %s (%d bytes, image %s) and %s\n", out, st.Size(), exp.ImageID, expectedFile)
	return nil
}

// buildHello builds the sample's Go program, reproducibly.
func buildHello(ctx context.Context) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "mksample-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "hello")
	// -buildvcs=false: the app sits inside pave's repository, and stamping
	// pave's commit into the binary would change the image with every
	// pave commit.
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", bin, ".")
	cmd.Dir = filepath.Join(appDir, "cmd/hello")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=-mod=readonly", "GOWORK=off")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go build hello: %w", err)
	}
	return os.ReadFile(bin)
}

// appFiles lists the application layer: lockfiles and manifests as a
// developer commits them, and the built binary.
func appFiles(hello []byte) ([]testimage.File, error) {
	var files []testimage.File
	for _, f := range []struct{ src, dst string }{
		{"web/package.json", "srv/web/package.json"},
		{"web/package-lock.json", "srv/web/package-lock.json"},
		{"api/requirements.txt", "srv/api/requirements.txt"},
		{"cmd/hello/go.mod", "srv/hello/go.mod"},
		{"cmd/hello/go.sum", "srv/hello/go.sum"},
	} {
		b, err := os.ReadFile(filepath.Join(appDir, f.src))
		if err != nil {
			return nil, err
		}
		files = append(files, testimage.File{Path: f.dst, Data: b})
	}
	files = append(files, testimage.File{Path: "usr/local/bin/hello", Data: hello, Mode: 0o755})
	return files, nil
}
