package main

import (
	"context"

	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/events"
	"go.uber.org/zap"
)

// startEvents runs the process's event Broadcaster, writing through c,
// until ctx ends; stop ends it and waits for its last writes, so call it
// before c is closed.
func startEvents(ctx context.Context, c *client.Client, log *zap.Logger) (b *events.Broadcaster, stop func(), err error) {
	b, err = events.New(events.DefaultConfig(), events.NewSink(c.Resources()), log)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { b.Run(ctx); close(done) }()
	return b, func() { cancel(); <-done }, nil
}
