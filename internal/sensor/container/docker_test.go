package container

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/sensor/event"
)

const (
	webID   = "94ed2ce0a7bf0402a74f1278cb3e87630b41a90cd57f02e371b8a6e48beb3cd1"
	privID  = "e1035708318651f9a2017d3cc394bee0b57e8673d1b8cb6204aa7829b2ed09b2"
	imageID = "sha256:4d4c3905cf45e47d9421c5e72629b7060755316582594813805fbe30254feceb"
	tarSum  = "3deacd02407ea8f433aee7fe7b8212d5fc79915d8c18a051c506caa4054c800e"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDecodeInspect(t *testing.T) {
	tests := []struct {
		file string
		want *event.Container
	}{
		{"container-labels.json", &event.Container{
			ID: webID, Name: "pave-capture-web", Runtime: RuntimeDocker,
			Image: "pave-test/runtime:bookworm", ImageID: imageID,
			Labels: map[string]string{
				"app":                          "web",
				"io.kubernetes.container.name": "web",
				"io.kubernetes.pod.name":       "web-7d9f",
				"io.kubernetes.pod.namespace":  "shop",
				"pave.test.tarball-sha256":     tarSum,
			},
			PodName: "web-7d9f", PodNamespace: "shop",
		}},
		{"container-privileged.json", &event.Container{
			ID: privID, Name: "pave-capture-priv", Runtime: RuntimeDocker,
			Image: "pave-test/runtime:bookworm", ImageID: imageID,
			Labels:     map[string]string{"pave.test.tarball-sha256": tarSum},
			Privileged: true,
		}},
	}
	for _, tt := range tests {
		got, err := decodeInspect(readTestdata(t, tt.file))
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.file, diff)
		}
	}
}

func TestDecodeInspectErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"null",
		"[]",
		`{"Id": 5}`,
		`{"Id": "abc"}`, // not an id
		string(readTestdata(t, "error-404.json")), // an error body
		`{"Id": "` + webID + `", "Config": {"Labels": ["a"]}}`,
	} {
		if c, err := decodeInspect([]byte(in)); err == nil {
			t.Errorf("decodeInspect(%q) = %+v, want an error", in, c)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("decodeInspect(%q): multi-line error %q", in, err)
		}
	}
	// Labels, Config and HostConfig may be null.
	c, err := decodeInspect([]byte(`{"Id":"` + webID + `","Name":"/x","Config":{"Labels":null},"HostConfig":null}`))
	if err != nil || c.Name != "x" || c.Labels != nil || c.Privileged {
		t.Errorf("nulls: %+v, %v", c, err)
	}
}

func TestDecodeImageDigest(t *testing.T) {
	tests := []struct{ in, want string }{
		{string(readTestdata(t, "image-runtime.json")), "sha256:def077c3a5942982ea11cf286495522470d3bc6a55b9996a584695d2a4b70388"},
		{`{"Id":"sha256:x","RepoDigests":[]}`, ""},
		{`{"Id":"sha256:x","RepoDigests":null}`, ""},
		{`{"RepoDigests":["bad","x@md5:1","x@sha256:short","r@sha256:` + tarSum + `"]}`, "sha256:" + tarSum},
	}
	for _, tt := range tests {
		got, err := decodeImageDigest([]byte(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("decodeImageDigest(%.60q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := decodeImageDigest([]byte(`{"RepoDigests":"x"}`)); err == nil {
		t.Error("RepoDigests as a string: no error")
	}
}

// TestDecodeEvents reads the event stream the engine sent while two
// containers were created and one ran `true` under --rm.
func TestDecodeEvents(t *testing.T) {
	sc := bufio.NewScanner(bytes.NewReader(readTestdata(t, "events.jsonl")))
	var got []string
	var web *event.Container
	for sc.Scan() {
		ev, ok, err := decodeEvent(sc.Bytes())
		if err != nil || !ok {
			t.Fatalf("decodeEvent(%q) = %v, %v", sc.Text(), ok, err)
		}
		got = append(got, ev.Action+" "+ev.Actor.ID[:12])
		if ev.Action == "create" && ev.Actor.ID == webID {
			web = ev.draft()
		}
		if ev.TimeNano <= 0 {
			t.Errorf("%s: no timeNano", sc.Text())
		}
	}
	want := []string{
		"create 94ed2ce0a7bf", "start 94ed2ce0a7bf", "create f8957027f805",
		"create 7a0b8c14249a", "start 7a0b8c14249a", "die 7a0b8c14249a", "destroy 7a0b8c14249a",
		"destroy f8957027f805", "die 94ed2ce0a7bf", "destroy 94ed2ce0a7bf",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	wantWeb := &event.Container{
		ID: webID, Name: "pave-capture-web", Runtime: RuntimeDocker, Image: "pave-test/runtime:bookworm",
		Labels: map[string]string{
			"app": "web", "io.kubernetes.container.name": "web", "io.kubernetes.pod.name": "web-7d9f",
			"io.kubernetes.pod.namespace": "shop", "pave.test.tarball-sha256": tarSum,
		},
		PodName: "web-7d9f", PodNamespace: "shop",
	}
	if diff := cmp.Diff(wantWeb, web); diff != "" {
		t.Errorf("draft from the create event (-want +got):\n%s", diff)
	}
	for _, in := range []string{`{"Type":"network","Action":"connect","Actor":{"ID":"` + webID + `"}}`, `{"Type":"container","Actor":{"ID":"x"}}`} {
		if _, ok, err := decodeEvent([]byte(in)); ok || err != nil {
			t.Errorf("decodeEvent(%q) = %v, %v; want skipped", in, ok, err)
		}
	}
	if _, _, err := decodeEvent([]byte(`{"Type":`)); err == nil {
		t.Error("truncated event: no error")
	}
}

func FuzzDecodeInspect(f *testing.F) {
	f.Add(readTestdata(f, "container-labels.json"))
	f.Add(readTestdata(f, "container-privileged.json"))
	f.Add(readTestdata(f, "error-404.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := decodeInspect(data)
		if err == nil && (c == nil || !isID(c.ID) || strings.HasPrefix(c.Name, "/")) {
			t.Fatalf("decodeInspect accepted %+v", c)
		}
	})
}

func FuzzDecodeImageDigest(f *testing.F) {
	f.Add(readTestdata(f, "image-runtime.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dg, err := decodeImageDigest(data)
		if err == nil && dg != "" && (!strings.HasPrefix(dg, "sha256:") || len(dg) != 71) {
			t.Fatalf("digest %q", dg)
		}
	})
}

func FuzzDecodeEvent(f *testing.F) {
	sc := bufio.NewScanner(bytes.NewReader(readTestdata(f, "events.jsonl")))
	for sc.Scan() {
		f.Add(bytes.Clone(sc.Bytes()))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, ok, err := decodeEvent(data)
		if ok && (err != nil || !isID(ev.Actor.ID)) {
			t.Fatalf("ok with %v, id %q", err, ev.Actor.ID)
		}
		if ok {
			if c := ev.draft(); c.ID != ev.Actor.ID || c.Labels["name"] != "" || c.Labels["image"] != "" {
				t.Fatalf("draft %+v", c)
			}
		}
	})
}
