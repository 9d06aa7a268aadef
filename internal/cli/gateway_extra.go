package cli

// gatewayExtraCommands are `pave gateway` subcommands kept apart from
// gateway.go: discovery mode's `discover` and `ca` (gateway_discover.go).
func gatewayExtraCommands() []command {
	return discoverCommands()
}
