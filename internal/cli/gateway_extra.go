package cli

// gatewayExtraCommands are `pave gateway` subcommands kept apart from
// gateway.go: discovery mode adds `discover` and `ca` here, one entry
// each, e.g.
//
//	{"discover", "forward proxy that finds AI traffic", runGatewayDiscover},
func gatewayExtraCommands() []command {
	return nil
}
