package secret

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
)

// ImageCheck runs an Engine over an image's configuration: environment
// variables, labels, the command and entrypoint, and every build-history
// step (where `ARG`/`ENV` values and `RUN … --password …` are kept even
// when the layer that used them is gone). Files are FileCheck's job.
type ImageCheck struct {
	Engine *Engine // Default() when nil
}

var _ check.ImageCheck = (*ImageCheck)(nil)

// Name is "secret-config".
func (c *ImageCheck) Name() string { return "secret-config" }

func (c *ImageCheck) engine() *Engine {
	if c.Engine != nil {
		return c.Engine
	}
	return Default()
}

// Rules are the engine's rules; they are FileCheck's too, so the
// catalogue lists them once under "secret".
func (c *ImageCheck) Rules() []finding.Rule { return nil }

// Check scans the configuration's text fields. Each finding's location
// names the field ("config: Env[HTTP_TOKEN]", "history: step 4").
func (c *ImageCheck) Check(ctx context.Context, img *check.Image) ([]finding.Finding, error) {
	if img.Config == nil {
		return nil, nil
	}
	cfg := img.Config
	type field struct{ where, text string }
	var fields []field
	for _, e := range cfg.Config.Env {
		name, _, _ := strings.Cut(e, "=")
		fields = append(fields, field{"config: Env[" + name + "]", e})
	}
	labels := make([]string, 0, len(cfg.Config.Labels))
	for k := range cfg.Config.Labels {
		labels = append(labels, k)
	}
	slices.Sort(labels)
	for _, k := range labels {
		fields = append(fields, field{"config: Labels[" + k + "]", k + "=" + cfg.Config.Labels[k]})
	}
	if len(cfg.Config.Entrypoint) > 0 {
		fields = append(fields, field{"config: Entrypoint", strings.Join(cfg.Config.Entrypoint, " ")})
	}
	if len(cfg.Config.Cmd) > 0 {
		fields = append(fields, field{"config: Cmd", strings.Join(cfg.Config.Cmd, " ")})
	}
	for i, h := range cfg.History {
		if h.CreatedBy != "" {
			fields = append(fields, field{fmt.Sprintf("history: step %d", i+1), h.CreatedBy})
		}
	}
	var out []finding.Finding
	seen := map[string]bool{}
	for _, f := range fields {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		for _, m := range c.engine().Scan([]byte(f.text)) {
			// The same value set by ENV shows in Env and in history: report
			// it once, where it is first seen.
			if seen[m.Rule.ID+m.Hash] {
				continue
			}
			seen[m.Rule.ID+m.Hash] = true
			out = append(out, finding.Finding{
				Rule:     m.Rule.FindingRule(),
				Severity: m.Severity,
				Location: finding.Location{Path: f.where},
				Evidence: m.Masked,
				Message:  fmt.Sprintf("%s in the image configuration (%s)", m.Rule.Title, m.Hash),
			})
		}
	}
	return out, nil
}
