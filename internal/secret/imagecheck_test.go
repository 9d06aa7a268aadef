package secret

import (
	"context"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pavesec/pave/internal/check"
)

func TestImageCheck(t *testing.T) {
	// Random values in real token shapes (generated like the corpus),
	// never real credentials.
	body := "4kT9qLm2Xv8Rw3Zp6Yc1Hb5Nd7Fj0G"
	tok := "ghp_" + body + base62CRC(body)
	npmBody := "9qLm2Xv8Rw3Zp6Yc1Hb5Nd7Fj0GsTx"
	cfg := &v1.ConfigFile{
		Config: v1.Config{
			Env:    []string{"PATH=/usr/local/bin:/usr/bin", "GH_TOKEN=" + tok, "APP_MODE=production"},
			Labels: map[string]string{"org.opencontainers.image.source": "https://github.com/example/app"},
			Cmd:    []string{"/app/server"},
		},
		History: []v1.History{
			{CreatedBy: "/bin/sh -c #(nop) ADD file:0123 in / "},
			{CreatedBy: "ENV GH_TOKEN=" + tok},
			{CreatedBy: "RUN |1 NPM_TOKEN=npm_" + npmBody + base62CRC(npmBody) + " /bin/sh -c npm ci # buildkit"},
		},
	}
	fs, err := (&ImageCheck{}).Check(context.Background(), &check.Image{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	var where []string
	for _, f := range fs {
		where = append(where, f.Location.Path)
		if strings.Contains(f.Evidence, tok[5:]) || strings.Contains(f.Message, tok[5:]) {
			t.Errorf("secret in clear in %s", f.Location.Path)
		}
	}
	got := strings.Join(where, "; ")
	// The ENV value is reported once, in Env; the build argument only
	// survives in history.
	if got != "config: Env[GH_TOKEN]; history: step 3" {
		t.Errorf("findings at %q, want the Env entry and history step 3", got)
	}
	if fs, _ := (&ImageCheck{}).Check(context.Background(), &check.Image{}); fs != nil {
		t.Errorf("a directory (no config) gave %d findings", len(fs))
	}
}
