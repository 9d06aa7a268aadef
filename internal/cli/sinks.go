package cli

import (
	"time"

	"github.com/pavesec/pave/internal/report"
	jsonreport "github.com/pavesec/pave/internal/report/json"
	"github.com/pavesec/pave/internal/report/table"
	"github.com/pavesec/pave/internal/sbom/cyclonedx"
	"github.com/pavesec/pave/internal/sbom/spdx"
)

type sinkOptions struct {
	summary bool // scan: a summary table rather than the package list
	color   bool
	created time.Time
}

func newSink(format string, out *output, o sinkOptions) (report.Sink, error) {
	switch format {
	case "json":
		return jsonreport.New(out.w, jsonreport.Options{}), nil
	case "cyclonedx-json":
		return cyclonedx.New(out.w, cyclonedx.Options{}), nil
	case "spdx-json":
		return spdx.New(out.w, spdx.Options{Created: o.created}), nil
	case "table":
		mode := table.Packages
		if o.summary {
			mode = table.Summary
		}
		return table.New(out.w, table.Options{Mode: mode, Terminal: o.color}), nil
	}
	return nil, usageErr("unknown format %q", format)
}
