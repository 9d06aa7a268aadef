package rules

import _ "embed"

// builtinYAML is pave's built-in rule set, in the Falco rules format.
//
//go:embed builtin.yaml
var builtinYAML []byte
