package artifact

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pavesec/pave/internal/inventory"
)

// testRegistry serves go-containerregistry's in-process registry. With a
// user, every request needs basic auth; /v2/denied/ is always forbidden.
func testRegistry(t *testing.T, user, pass string) string {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v2/denied/") {
			http.Error(w, `{"errors":[{"code":"DENIED","message":"no"}]}`, http.StatusForbidden)
			return
		}
		if user != "" {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="pave-test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"login"}]}`, http.StatusUnauthorized)
				return
			}
		}
		reg.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// dockerConfig points the default keychain at a config holding auths.
func dockerConfig(t *testing.T, auths map[string]string) {
	dir := t.TempDir()
	var parts []string
	for host, up := range auths {
		parts = append(parts, `"`+host+`":{"auth":"`+base64.StdEncoding.EncodeToString([]byte(up))+`"}`)
	}
	cfg := `{"auths":{` + strings.Join(parts, ",") + `}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
}

func push(t *testing.T, ref string, img v1.Image, opts ...remote.Option) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, opts...); err != nil {
		t.Fatal(err)
	}
}

func TestRegistry(t *testing.T) {
	dockerConfig(t, nil)
	host := testRegistry(t, "", "")
	img := gzipImage(t)
	push(t, host+"/pave/test:1", img)

	arm := v1.Platform{OS: "linux", Architecture: "arm64"}
	armImg := zstdImage(t, arm)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &amd64}},
		mutate.IndexAddendum{Add: armImg, Descriptor: v1.Descriptor{Platform: &arm}})
	r, _ := name.ParseReference(host+"/pave/multi:1", name.Insecure)
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}

	var events []ProgressEvent
	var mu sync.Mutex
	opts := Options{InsecureRegistryUnsafe: true, Progress: func(e ProgressEvent) { mu.Lock(); events = append(events, e); mu.Unlock() }}
	src, err := Open(context.Background(), "registry:"+host+"/pave/test:1", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	d, _ := img.Digest()
	cfgName, _ := img.ConfigName()
	want := Ref{Kind: Registry, Name: host + "/pave/test:1", Digest: d.String(), ImageID: cfgName.String(), Platform: "linux/amd64", RepoTags: []string{host + "/pave/test:1"}}
	if diff := cmp.Diff(want, src.Ref()); diff != "" {
		t.Errorf("Ref (-want +got):\n%s", diff)
	}
	ls, _ := src.Layers(context.Background())
	var infos []inventory.Layer
	for _, l := range ls {
		infos = append(infos, l.Info())
	}
	if diff := cmp.Diff(layerIDs(t, img), infos); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}
	got, err := walkLayer(t, ls[1])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantTop(t), got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if len(events) < 2 || events[0].Step != "pull" || events[len(events)-1].Step != "layer" {
		t.Errorf("progress events: %+v", events)
	}

	// The multi-platform index, by platform.
	for _, tc := range []struct{ platform, want string }{{"linux/arm64", "linux/arm64"}, {"linux/amd64", "linux/amd64"}} {
		src, err := Open(context.Background(), "registry:"+host+"/pave/multi:1", Options{InsecureRegistryUnsafe: true, Platform: tc.platform})
		if err != nil {
			t.Fatal(err)
		}
		if src.Ref().Platform != tc.want {
			t.Errorf("platform %s: got %s", tc.platform, src.Ref().Platform)
		}
		ls, _ := src.Layers(context.Background())
		if _, err := walkLayer(t, ls[1]); err != nil {
			t.Errorf("%s: walk: %v", tc.platform, err)
		}
		src.Close()
	}

	for _, tc := range []struct {
		ref  string
		opts Options
		want error
	}{
		{host + "/pave/test:nosuch", Options{InsecureRegistryUnsafe: true}, ErrNotFound},
		{host + "/pave/nosuch:1", Options{InsecureRegistryUnsafe: true}, ErrNotFound},
		{host + "/denied/x:1", Options{InsecureRegistryUnsafe: true}, ErrRefused},
		{host + "/pave/multi:1", Options{InsecureRegistryUnsafe: true, Platform: "linux/s390x"}, ErrNotFound},
		{"UPPER/case::bad", Options{}, ErrUnknownFormat},
	} {
		_, err := Open(context.Background(), "registry:"+tc.ref, tc.opts)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.ref, err, tc.want)
		}
	}
	if _, err := Open(context.Background(), "registry:"+host+"/pave/test:1", Options{Offline: true}); err == nil || !strings.Contains(err.Error(), "offline") {
		t.Errorf("offline: err = %v", err)
	}
}

func TestRegistryAuth(t *testing.T) {
	host := testRegistry(t, "pave", "s3cret")
	img := gzipImage(t)
	dockerConfig(t, map[string]string{host: "pave:s3cret"})
	push(t, host+"/pave/private:1", img, remote.WithAuth(&authn.Basic{Username: "pave", Password: "s3cret"}))

	src, err := Open(context.Background(), "registry:"+host+"/pave/private:1", Options{InsecureRegistryUnsafe: true})
	if err != nil {
		t.Fatalf("with credentials: %v", err)
	}
	ls, _ := src.Layers(context.Background())
	if _, err := walkLayer(t, ls[0]); err != nil {
		t.Errorf("walk with credentials: %v", err)
	}
	src.Close()

	for _, creds := range []map[string]string{nil, {host: "pave:wrong"}} {
		dockerConfig(t, creds)
		_, err = Open(context.Background(), "registry:"+host+"/pave/private:1", Options{InsecureRegistryUnsafe: true})
		if !errors.Is(err, ErrRefused) || strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("credentials %v: err = %v, want a one-line ErrRefused", creds, err)
		}
	}
}

// fakeEngine serves the two Engine API calls pave makes, over a unix
// socket, with archive as the export of image "example.com/pave/test:1".
func fakeEngine(t *testing.T, archive string) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("unix socket: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/images/", func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/images/")
		switch {
		case p == testTag+"/json" || p == "example.com/pave/test/json":
			w.Write([]byte(`{"Id":"sha256:abc","RepoTags":["` + testTag + `"],"Size":1000}`))
		case p == testTag+"/get" || p == "example.com/pave/test:latest/get":
			http.ServeFile(w, r, archive)
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"No such image: ` + p + `"}`))
		}
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return "unix://" + sock
}

func TestDaemon(t *testing.T) {
	img := gzipImage(t)
	host := fakeEngine(t, writeDockerArchive(t, img))
	tmp := t.TempDir()
	var steps []string
	opts := Options{DockerHost: host, TempDir: tmp, Progress: func(e ProgressEvent) { steps = append(steps, e.Step) }}
	src, err := Open(context.Background(), "docker:"+testTag, opts)
	if err != nil {
		t.Fatal(err)
	}
	cfgName, _ := img.ConfigName()
	want := Ref{Kind: Daemon, Name: testTag, ImageID: cfgName.String(), Platform: "linux/amd64", RepoTags: []string{testTag}}
	if diff := cmp.Diff(want, src.Ref()); diff != "" {
		t.Errorf("Ref (-want +got):\n%s", diff)
	}
	ls, _ := src.Layers(context.Background())
	got, err := walkLayer(t, ls[1])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantTop(t), got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 1 {
		t.Errorf("temp dir holds %d entries while open, want 1", len(ents))
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("temp dir holds %v after Close", ents)
	}
	if len(steps) == 0 || steps[0] != "spool" {
		t.Errorf("progress steps %v", steps)
	}

	_, err = Open(context.Background(), "docker:nosuch:1", opts)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "not in the Docker engine") {
		t.Errorf("missing image: err = %v", err)
	}
	_, err = Open(context.Background(), "docker:x", Options{DockerHost: "unix://" + filepath.Join(t.TempDir(), "none.sock")})
	if err == nil || !strings.Contains(err.Error(), "cannot reach the Docker engine") {
		t.Errorf("no engine: err = %v", err)
	}
}
