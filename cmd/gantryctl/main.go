// Command gantryctl is the command-line client of Gantry (see internal/ctl).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/gantryio/gantry/internal/ctl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := ctl.Execute(ctx, ctl.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}
