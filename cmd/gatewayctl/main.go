// Command gatewayctl manages an AI gateway: apply, get, describe, delete and
// diff Endpoints and APIKeys, validate manifests offline, create APIKeys and
// chat with an Endpoint. See `gatewayctl --help`; the commands live in
// internal/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ai-gateway/gateway/cmd/gatewayctl/internal/cli"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.StdIO(version))
	stop()
	os.Exit(code)
}
