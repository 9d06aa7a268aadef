// Command pave secures containers across their life: it opens any image or
// directory, lists what is inside (SBOM) and reports what is wrong with it.
// See README.md and docs/ for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/pavesec/pave/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
