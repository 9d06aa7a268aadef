// Package promtext writes the pieces of Prometheus' text exposition format
// that pave's metrics endpoints (the sensor pipeline, the AI gateway) share:
// a metric family's HELP and TYPE lines, and quoted label values.
//
// It imports only the standard library.
package promtext

import (
	"fmt"
	"io"
	"strings"
)

// labelEscaper escapes a label value as the format requires.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// Family writes the HELP and TYPE lines that open a metric family; typ is
// "counter", "gauge", "histogram"...
func Family(w io.Writer, name, typ, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// Label quotes a label value: backslash, double quote and newline escaped.
func Label(s string) string {
	return `"` + labelEscaper.Replace(s) + `"`
}
