package cli

import (
	"time"

	"github.com/pavesec/pave/internal/report"
	jsonreport "github.com/pavesec/pave/internal/report/json"
	"github.com/pavesec/pave/internal/report/openvex"
	"github.com/pavesec/pave/internal/report/sarif"
	"github.com/pavesec/pave/internal/report/table"
	"github.com/pavesec/pave/internal/sbom/cyclonedx"
	"github.com/pavesec/pave/internal/sbom/spdx"
)

type sinkOptions struct {
	summary bool // scan: the findings and the overview rather than the package list
	color   bool
	// created is when a document is issued (SPDX created, OpenVEX
	// timestamp): SOURCE_DATE_EPOCH when set, else now.
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
	case "sarif":
		return sarif.New(out.w, sarif.Options{}), nil
	case "openvex":
		return openvex.New(out.w, openvex.Options{Timestamp: o.created}), nil
	case "table":
		mode := table.Packages
		if o.summary {
			mode = table.Summary
		}
		return table.New(out.w, table.Options{Mode: mode, Terminal: o.color}), nil
	}
	return nil, usageErr("unknown format %q", format)
}
