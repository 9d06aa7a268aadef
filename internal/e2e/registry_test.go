package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// homeWithAuth returns a HOME directory whose .docker/config.json holds
// user:password for registry, as `docker login` writes it.
func homeWithAuth(t *testing.T, registry, user, password string) string {
	t.Helper()
	home := t.TempDir()
	cfg := map[string]any{"auths": map[string]any{
		registry: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + password))},
	}}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(home, ".docker"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".docker", "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

// push writes the image to the test registry over TLS, trusting only its
// self-signed certificate.
func push(t *testing.T, env testEnv, im *builtImage, repo string) string {
	t.Helper()
	pem, err := os.ReadFile(env.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s: no certificate", env.CA)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	ref, err := name.ParseReference(env.Registry + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err = remote.Write(ref, im.img.Image, remote.WithContext(ctx), remote.WithTransport(tr),
		remote.WithAuth(&authn.Basic{Username: env.User, Password: env.Password}))
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return ref.String()
}

func TestRegistry(t *testing.T) {
	env := loadEnv(t)
	im := e2eImage(t, env)
	ref := push(t, env, im, "pave-e2e/sample:1")

	good := []string{"HOME=" + homeWithAuth(t, env.Registry, env.User, env.Password), "SSL_CERT_FILE=" + env.CA}
	fromArchive := sbom(t, nil, im.dockerTar, "--offline")
	fromRegistry := sbom(t, good, "registry:"+ref)
	checkExpected(t, fromRegistry, im.expected, true)
	if diff := cmp.Diff(pkgLines(fromArchive), pkgLines(fromRegistry)); diff != "" {
		t.Errorf("packages (-docker-archive +registry:%s):\n%s", ref, diff)
	}

	tests := []struct {
		name string
		env  []string
		args []string
	}{
		{"wrong password", []string{"HOME=" + homeWithAuth(t, env.Registry, env.User, "wrong"), "SSL_CERT_FILE=" + env.CA}, nil},
		{"no credentials", []string{"HOME=" + t.TempDir(), "SSL_CERT_FILE=" + env.CA}, nil},
		{"untrusted certificate", []string{"HOME=" + homeWithAuth(t, env.Registry, env.User, env.Password)}, nil},
		{"offline", good, []string{"--offline"}},
		{"missing tag", good, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "sbom.json")
			target := "registry:" + ref
			if tc.name == "missing tag" {
				target = "registry:" + env.Registry + "/pave-e2e/sample:does-not-exist"
			}
			args := append([]string{"sbom", "--format", "json", "--output", out}, tc.args...)
			r := pave(t, tc.env, append(args, target)...)
			checkOneLineError(t, r, 2)
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s: --output file created on failure", tc.name)
			}
		})
	}
}
