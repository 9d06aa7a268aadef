package dockerfile

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestRules(t *testing.T) {
	if err := check.Validate(New().Rules()); err != nil {
		t.Fatal(err)
	}
}

func TestMatch(t *testing.T) {
	c := New()
	for p, want := range map[string]bool{
		"Dockerfile": true, "app/Dockerfile": true, "Containerfile": true, "build/prod.Dockerfile": true,
		"Dockerfile.dev": true, "dockerfile": true, "Dockerfile.dockerignore": false, "Dockerfile.md": false,
		"docker-compose.yml": false, "Dockerfiles/readme": false, "main.go": false,
	} {
		if got := c.Match(p, nil); got != want {
			t.Errorf("Match(%q) = %v, want %v", p, got, want)
		}
	}
}

// golden is a finding without the rule's static text, for golden files.
type golden struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Line     int    `json:"line"`
	EndLine  int    `json:"endLine"`
	Column   int    `json:"column"`
	Evidence string `json:"evidence"`
	Message  string `json:"message"`
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/dockerfiles/*Dockerfile")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test Dockerfiles: %v", err)
	}
	c := New()
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			content, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			fs, err := c.Check(context.Background(), "Dockerfile", content)
			if err != nil {
				t.Fatal(err)
			}
			var got []golden
			for _, x := range fs {
				if x.Location.Path != "Dockerfile" || x.Location.StartLine < 1 || x.Location.Column < 1 || x.Location.EndLine < x.Location.StartLine {
					t.Errorf("%s: bad location %+v", x.Rule.ID, x.Location)
				}
				got = append(got, golden{x.Rule.ID, x.Severity.String(), x.Location.StartLine, x.Location.EndLine, x.Location.Column, x.Evidence, x.Message})
			}
			b, _ := json.MarshalIndent(got, "", "  ")
			b = append(b, '\n')
			gf := strings.TrimSuffix(f, filepath.Ext(f)) + ".golden.json"
			if strings.HasSuffix(f, "Dockerfile") && filepath.Ext(f) == "" {
				gf = f + ".golden.json"
			}
			if *update {
				if err := os.WriteFile(gf, b, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gf)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if d := cmp.Diff(string(want), string(b)); d != "" {
				t.Errorf("findings differ (-want +got):\n%s", d)
			}
		})
	}
}

func ids(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule.ID)
	}
	return out
}

func TestCases(t *testing.T) {
	const tail = "USER 1000\nHEALTHCHECK CMD true\n"
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"scratch exempt", "FROM scratch\n" + tail, nil},
		{"latest", "FROM alpine:latest\n" + tail, []string{RuleBaseUntagged}},
		{"registry port is not a tag", "FROM localhost:5000/app\n" + tail, []string{RuleBaseUntagged}},
		{"tag without digest", "FROM localhost:5000/app:1.2\n" + tail, []string{RuleBaseNoDigest}},
		{"arg default resolves", "ARG V=3.20\nFROM alpine:${V}\n" + tail, []string{RuleBaseNoDigest}},
		{"arg default latest", "ARG IMG=alpine\nFROM $IMG\n" + tail, []string{RuleBaseUntagged}},
		{"arg without default skipped", "ARG IMG\nFROM $IMG\n" + tail, nil},
		{"stage reference exempt", "FROM scratch AS Base\nFROM base\n" + tail, nil},
		{"user inherited from stage", "FROM scratch AS b\nUSER 1000\nFROM b\nHEALTHCHECK CMD true\n", nil},
		{"root in builder only", "FROM scratch AS b\nUSER root\nFROM scratch\n" + tail, nil},
		{"user 0:0", "FROM scratch\nUSER 0:0\nHEALTHCHECK CMD true\n", []string{RuleRootUser}},
		{"no user", "FROM scratch\nHEALTHCHECK CMD true\n", []string{RuleRootUser}},
		{"nonroot base", "FROM gcr.io/distroless/base:nonroot@sha256:ab\nHEALTHCHECK CMD true\n", nil},
		{"healthcheck none", "FROM scratch\nUSER 1\nHEALTHCHECK NONE\n", []string{RuleNoHealthcheck}},
		{"full OS", "FROM debian:12@sha256:ab\n" + tail, []string{RuleFullOSBase}},
		{"slim OS", "FROM debian:12-slim@sha256:ab\n" + tail, nil},
		{"curl to file ok", "FROM scratch\nRUN curl -o x https://e/x && sh x\n" + tail, nil},
		{"curl pipe", "FROM scratch\nRUN curl -s https://e/x|bash\n" + tail, []string{RuleCurlPipeShell}},
		{"sh -c subst", "FROM scratch\nRUN sh -c \"$(curl -fsSL https://e/x)\"\n" + tail, []string{RuleCurlPipeShell}},
		{"json run pipe", "FROM scratch\nRUN [\"sh\", \"-c\", \"wget -qO- https://e | sh\"]\n" + tail, []string{RuleCurlPipeShell}},
		{"quoted pipe is not a pipe", "FROM scratch\nRUN echo 'curl x | sh'\n" + tail, nil},
		{"add checksum", "FROM scratch\nADD --checksum=sha256:ab https://e/x.tgz /x\n" + tail, nil},
		{"secret placeholder", "FROM scratch\nENV PASSWORD=changeme TOKEN=\"\" SECRET=${S} API_KEY=<key>\n" + tail, []string{RuleSecretArgEnv}},
		{"apt cache mount", "FROM scratch\nRUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y --no-install-recommends a=1\n" + tail, nil},
		{"apt update alone", "FROM scratch\nRUN apt-get update\n" + tail, []string{RuleUpdateAlone}},
		{"apt -o recommends", "FROM scratch\nRUN apt-get -o APT::Install-Recommends=false install -y a=1 && rm -rf /var/lib/apt/lists/*\n" + tail, nil},
		{"apk no-cache", "FROM scratch\nRUN apk add --no-cache a=1\n" + tail, nil},
		{"pip env", "FROM scratch\nENV PIP_NO_CACHE_DIR=1\nRUN python3 -m pip install a==1\n" + tail, nil},
		{"python -m pip", "FROM scratch\nRUN python3 -m pip install a==1\n" + tail, []string{RulePipCache}},
		{"chmod 1777 ok", "FROM scratch\nRUN chmod 1777 /tmp && chmod 755 /x && chmod o+rx /y\n" + tail, nil},
		{"chmod o+w", "FROM scratch\nRUN chmod o+w /y\n" + tail, []string{RuleChmod777}},
		{"expose range", "FROM scratch\nEXPOSE 20-25\n" + tail, []string{RuleExposeSSH}},
		{"expose 2222", "FROM scratch\nEXPOSE 2222\n" + tail, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := New().Check(context.Background(), "Dockerfile", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, ids(fs)); d != "" {
				t.Errorf("rules (-want +got):\n%s\n%v", d, fs)
			}
		})
	}
}

// TestNoSecretInOutput: no part of a finding holds a secret's value.
func TestNoSecretInOutput(t *testing.T) {
	src := "FROM scratch\nARG GITHUB_TOKEN=ghp_Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LzXcVb\nENV DB_PASSWORD='Hunter2Hunter2'\nRUN echo hi\n"
	fs, err := New().Check(context.Background(), "Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(fs)
	for _, secret := range []string{"ghp_Zx9", "Hunter2"} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("output holds %q: %s", secret, b)
		}
	}
	if got := ids(fs); !cmp.Equal(got, []string{RuleRootUser, RuleNoHealthcheck, RuleSecretArgEnv, RuleSecretArgEnv}) {
		t.Errorf("rules = %v", got)
	}
}

func TestColumn(t *testing.T) {
	src := "FROM scratch\nRUN apt-get update && \\\n    curl -s https://e/x | sh\n"
	fs, err := New().Check(context.Background(), "Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Rule.ID == RuleCurlPipeShell {
			if got := fmt.Sprint(f.Location.StartLine, f.Location.EndLine, f.Location.Column); got != "3 3 5" {
				t.Errorf("location = %s, want 3 3 5", got)
			}
			return
		}
	}
	t.Errorf("no %s in %v", RuleCurlPipeShell, ids(fs))
}

func TestErrors(t *testing.T) {
	for _, src := range []string{"", "# only a comment\n", string(make([]byte, maxSize+1))} {
		if _, err := New().Check(context.Background(), "Dockerfile", []byte(src)); err == nil {
			t.Errorf("Check(%.20q) succeeded", src)
		}
	}
}

func FuzzCheck(f *testing.F) {
	files, _ := filepath.Glob("testdata/dockerfiles/*Dockerfile")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("FROM a\nRUN $(curl x)|`wget`\\\n'unterminated \"x\nENV = =\nARG =\nFROM ${\nEXPOSE 22-\n"))
	c := New()
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 {
			return
		}
		fs, err := c.Check(context.Background(), "Dockerfile", b)
		if err != nil && fs != nil {
			t.Fatal("findings with an error")
		}
		lines := bytes.Count(b, []byte("\n")) + 1
		for _, x := range fs {
			if x.Location.StartLine < 1 || x.Location.StartLine > lines || x.Location.Column < 1 || x.Rule.ID == "" {
				t.Fatalf("bad finding %+v (lines %d)", x.Location, lines)
			}
		}
	})
}

func FuzzSplitShell(f *testing.F) {
	f.Add("a | b && c; d $(e) <(f) `g` 'h' \"i\" # j\nk")
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range SplitShell(s) {
			if len(c.Words) == 0 {
				t.Fatal("empty command")
			}
			c.Program()
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	files, _ := filepath.Glob("testdata/dockerfiles/*Dockerfile")
	var srcs [][]byte
	for _, p := range files {
		s, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, s)
	}
	c := New()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := c.Check(context.Background(), "Dockerfile", srcs[i%len(srcs)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "dockerfiles/s")
}
