// Command gatewayd serves the AI gateway.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/ai-gateway/gateway/controlplane/daemon"
)

func main() { os.Exit(run()) }

func run() int {
	cfg, err := daemon.ParseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gatewayd:", err)
		return 2
	}
	log, err := cfg.Logger(os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gatewayd:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	_, done, err := daemon.Start(ctx, cfg, daemon.Options{Logger: log})
	if err != nil {
		log.Error("gatewayd cannot start", "error", err)
		return 1
	}
	if err := <-done; err != nil {
		log.Error("gatewayd stopped", "error", err)
		return 1
	}
	log.Info("gatewayd stopped")
	return 0
}
