package cicd

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/check"
)

// hit is a finding reduced to rule and line.
func hits(t *testing.T, c check.FileCheck, path, in string) []string {
	t.Helper()
	fs, err := c.Check(context.Background(), path, []byte(in))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s@%d", f.Rule.ID, f.Location.StartLine))
	}
	slices.Sort(out)
	return out
}

// perms is a header that keeps PAVE-GHA-008 quiet in snippets about
// something else.
const perms = "permissions:\n  contents: read\n"

func TestGitHubRules(t *testing.T) {
	refs := map[string]map[string]string{"actions/checkout": {
		"v4":     "11d5960a326750d5838078e36cf38b85af677262",
		"v4.2.2": "11bd71901bbe5b1630ceea73d27597364c9af683",
	}}
	gh := NewGitHubActionsWith(Options{Refs: refs})
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"pinned, local and digest refs are fine", perms + `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - uses: ./.github/actions/setup-go
      - uses: docker://alpine@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
`, nil},
		{"unpinned: security tool, third party, GitHub-owned, docker tag", perms + `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: aquasecurity/trivy-action@0.28.0
      - uses: tj-actions/changed-files@v35
      - uses: actions/setup-go@v5
      - uses: github/codeql-action/upload-sarif@v3
      - uses: docker://alpine:3.20
      - uses: docker/login-action@v3
`, []string{"PAVE-GHA-001@11", "PAVE-GHA-001@13", "PAVE-GHA-001@8", "PAVE-GHA-002@9", "PAVE-GHA-003@10", "PAVE-GHA-004@12"}},
		{"reusable workflow unpinned, secrets inherit", perms + `on: push
jobs:
  call:
    uses: octo-org/shared/.github/workflows/build.yml@main
    secrets: inherit
`, []string{"PAVE-GHA-002@6", "PAVE-GHA-011@7"}},
		{"tag drift", perms + `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: 'actions/checkout@692973e3d937129bcbf40652eb9f2f61becf3332' # actions/checkout@v4
        with: {persist-credentials: false}
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with: {persist-credentials: false}
`, []string{"PAVE-GHA-005@8"}},
		{"pull_request_target checks out the head", `on: pull_request_target
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
        with:
          ref: ${{ github.event.pull_request.head.sha }}
          persist-credentials: false
      - run: gh pr checkout ${{ github.event.pull_request.number }}
`, []string{"PAVE-GHA-006@11", "PAVE-GHA-006@9"}},
		{"pull_request checkout of head is fine", perms + `on: pull_request
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
        with:
          ref: ${{ github.event.pull_request.head.sha }}
          persist-credentials: false
`, nil},
		{"script injection in run and github-script; env is the fix", perms + `on: issues
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "ok"
          echo "${{ github.event.issue.title }}"
      - env:
          BODY: ${{ github.event.issue.body }}
        run: echo "$BODY"
      - uses: actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea
        with:
          script: console.log("${{ github.event.comment.body }}")
      - run: echo "${{ github.head_ref }} ${{ github.event.issue.number }}"
`, []string{"PAVE-GHA-007@10", "PAVE-GHA-007@16", "PAVE-GHA-007@17"}},
		{"no permissions; write-all; workflow-wide write", `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    permissions: write-all
    steps: []
  b:
    runs-on: ubuntu-latest
    steps: []
`, []string{"PAVE-GHA-008@1", "PAVE-GHA-009@5"}},
		{"every job sets permissions: no PAVE-GHA-008", `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    permissions: {contents: read}
    steps: []
`, nil},
		{"workflow-wide write", `on: push
permissions:
  contents: write
  packages: write
  pull-requests: read
jobs: {}
`, []string{"PAVE-GHA-010@2"}},
		{"workflow_call only leaves permissions to the caller", `on: workflow_call
jobs:
  a:
    runs-on: ubuntu-latest
    steps: []
`, nil},
		{"self-hosted on public trigger", perms + `on: [pull_request, push]
jobs:
  a:
    runs-on: [self-hosted, linux]
    steps: []
  b:
    runs-on: ubuntu-latest
    steps: []
`, []string{"PAVE-GHA-012@6"}},
		{"self-hosted on workflow_dispatch is fine", perms + `on: workflow_dispatch
jobs:
  a:
    runs-on: self-hosted
    steps: []
`, nil},
		{"checkout persists credentials", perms + `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
`, []string{"PAVE-GHA-013@8"}},
		{"cache poisoning", `on: [pull_request_target]
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-go@d35c59abb061a4a6fb18e82ac0862c26744d6ab5
      - uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020
      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065
        with: {cache: pip}
      - uses: actions/cache@5a3ec84eff668545956fd18022155c47e93e2684
        with:
          path: ~/.cache
          key: ${{ github.head_ref }}
`, []string{"PAVE-GHA-014@14", "PAVE-GHA-014@7", "PAVE-GHA-014@9"}},
		{"download and run without verification; curl | bash", perms + `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: |
          curl -sfLo kustomize https://github.com/kubernetes-sigs/kustomize/releases/download/kustomize%2Fv5.4.3/kustomize_v5.4.3_linux_amd64.tar.gz
          chmod u+x ./kustomize
      - run: curl -fsSL https://get.docker.com | sudo sh
      - run: |
          curl -sSLO https://github.com/sigstore/cosign/releases/download/v2.4.1/cosign-linux-amd64
          echo "8b24b946dd5809c6bd93de08033bcf6bc0ed7d336b7785787c080f574b89249b  cosign-linux-amd64" | sha256sum -c -
          sudo install cosign-linux-amd64 /usr/local/bin/cosign
`, []string{"PAVE-GHA-015@9", "PAVE-GHA-016@11"}},
		{"unsecure commands", perms + `on: push
env:
  ACTIONS_ALLOW_UNSECURE_COMMANDS: true
jobs: {}
`, []string{"PAVE-GHA-017@5"}},
		{"secret echoed, directly and derived; piped is fine", perms + `on: workflow_dispatch
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - env:
          GCP_SERVICE_ACCOUNT_KEY: ${{ secrets.GCP_SERVICE_ACCOUNT_KEY }}
        run: |
          PRIVATE_KEY=$(echo $GCP_SERVICE_ACCOUNT_KEY | jq -r '.private_key')
          echo "Using the private key for some operation"
          echo "GCP Private Key: $PRIVATE_KEY"
          echo "${{ secrets.NPM_TOKEN }}"
          echo "${{ secrets.REGISTRY_TOKEN }}" | docker login -u bot --password-stdin ghcr.io
          echo "::add-mask::$PRIVATE_KEY"
`, []string{"PAVE-GHA-018@13", "PAVE-GHA-018@14"}},
		{"composite action", `name: setup
runs:
  using: composite
  steps:
    - uses: actions/setup-go@v5
    - shell: bash
      run: echo "${{ github.event.pull_request.title }}"
`, []string{"PAVE-GHA-003@5", "PAVE-GHA-007@7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if diff := cmp.Diff(want, hits(t, gh, ".github/workflows/x.yml", tt.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestGitLabRules(t *testing.T) {
	gl := NewGitLabCI()
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"images and services", `image: golang:1.23-alpine@sha256:c694a4d291a13a9f9d94933395673494fc2cc9d4777b85df3a7e70b3492d3574
build:
  image: docker:latest
  services:
    - docker:dind
    - name: postgres
    - name: redis:7@sha256:eaea8264f74a95ea9a0767c794da50788cbd9cf5223951674d491fa1b3f4f2d2
  script: [make]
test:
  image:
    name: $CI_REGISTRY_IMAGE/test:$CI_COMMIT_SHA
`, []string{"PAVE-GL-001@3", "PAVE-GL-001@6", "PAVE-GL-002@5"}},
		{"includes", `include:
  - local: /.gitlab/ci/build.gitlab-ci.yml
  - template: Jobs/SAST.gitlab-ci.yml
  - remote: https://example.com/ci.yml
  - remote: https://example.com/pinned.yml
    integrity: sha256-L3/GAoKaw0Arw6hDCKeKQlV1QPEgHYxGBHsH4zG1IY8=
  - https://example.com/short.yml
  - project: gitlab-com/gl-security/oidc-modules
    ref: 3.4.0
    file: templates/gcp_auth.yaml
  - project: my-group/templates
    file: /build.yml
  - project: my-group/templates
    ref: 1d1ba8bc2b4d3b0a0b1b2c3d4e5f60718293a4b5
    file: /build.yml
  - component: ${CI_SERVER_FQDN}/components/sast/sast@3.4.0
  - component: gitlab.com/components/secret-detection/secret-detection@~latest
  - component: gitlab.com/components/opentofu/full-pipeline@1d1ba8bc2b4d3b0a0b1b2c3d4e5f60718293a4b5
`, []string{"PAVE-GL-003@4", "PAVE-GL-003@7", "PAVE-GL-004@11", "PAVE-GL-004@9", "PAVE-GL-005@16", "PAVE-GL-005@17"}},
		{"scripts", `docs:
  before_script:
    - wget https://gitlab.com/gitlab-org/gitlab/-/raw/master/scripts/trigger-build.rb
    - chmod 755 trigger-build.rb
  script:
    - curl -sSfL https://raw.githubusercontent.com/anchore/syft/main/install.sh | sh -s -- -b /usr/local/bin
    - echo "token is $CI_JOB_TOKEN"
    - echo "$CI_REGISTRY_PASSWORD" | docker login -u "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
`, []string{"PAVE-GL-006@6", "PAVE-GL-007@3", "PAVE-GL-009@7"}},
		{"verified download is fine", `job:
  script:
    - curl -fsSLo tool.tgz https://example.com/tool.tgz
    - echo "4f3a8c52d3b6c9a0f6f1c6b6c0c9a4b6e1b2c3d4e5f60718293a4b5c6d7e8f90  tool.tgz" | sha256sum -c -
    - tar xzf tool.tgz
`, nil},
		{"literal secrets, masked", `variables:
  POSTGRES_PASSWORD: "runner-test-password"
  API_TOKEN:
    value: "glpat-abcdefghijklmnopqrst"
    description: token
  DEPLOY_TOKEN: $DEPLOY_TOKEN_FROM_SETTINGS
  SECRET_DETECTION_DISABLED: "true"
  DOCKER_TLS_CERTDIR: /certs
job:
  variables:
    DB_PASS: hunter2hunter2
  script: [make]
`, []string{"PAVE-GL-008@11", "PAVE-GL-008@2", "PAVE-GL-008@3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if diff := cmp.Diff(want, hits(t, gl, ".gitlab-ci.yml", tt.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestSecretsNeverInEvidence checks literal secret values stay out of
// every field of a finding.
func TestSecretsNeverInEvidence(t *testing.T) {
	const value = "glpat-abcdefghijklmnopqrst"
	fs, err := NewGitLabCI().Check(context.Background(), ".gitlab-ci.yml", []byte("variables:\n  API_TOKEN: "+value+"\n"))
	if err != nil || len(fs) != 1 {
		t.Fatalf("got %v, %v", fs, err)
	}
	if s := fmt.Sprintf("%+v", fs[0]); strings.Contains(s, value) || strings.Contains(s, value[:8]) {
		t.Errorf("secret leaked into finding: %s", s)
	}
}

// TestOrderAndPosition checks the worst finding comes first and that
// findings point at the exact uses: value.
func TestOrderAndPosition(t *testing.T) {
	in := perms + "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-go@v5\n      - uses: aquasecurity/trivy-action@master\n"
	fs, err := NewGitHubActions().Check(context.Background(), "w.yml", []byte(in))
	if err != nil || len(fs) != 2 {
		t.Fatalf("got %v, %v", fs, err)
	}
	if fs[0].Rule.ID != ghaSecurityToolUnpinned || fs[0].Location.StartLine != 9 || fs[0].Location.Column != 15 {
		t.Errorf("first finding %s at %d:%d, want %s at 9:15", fs[0].Rule.ID, fs[0].Location.StartLine, fs[0].Location.Column, ghaSecurityToolUnpinned)
	}
}
