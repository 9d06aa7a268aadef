// Package sbom holds what the SBOM formats (sbom/cyclonedx, sbom/spdx)
// share: the JSON encoding their documents are written and hashed in.
package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MarshalJSON encodes doc as two-space indented JSON with a final newline
// and without HTML escaping ("<", ">" and "&" stay as written). The bytes
// are both what is written and what the formats hash for their document
// identifiers. Errors are prefixed with format: "spdx: encode: ...".
func MarshalJSON(format string, doc any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("%s: encode: %w", format, err)
	}
	return buf.Bytes(), nil
}
