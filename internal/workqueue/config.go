package workqueue

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes a queue.
type Config struct {
	// Name identifies the queue in logs and metrics.
	Name string
	// BaseDelay is the delay of an item's first AddRateLimited; each
	// further failure doubles it, up to MaxDelay.
	BaseDelay, MaxDelay time.Duration
	// MaxLen bounds the items that are ready and not yet handed to a
	// worker: Add blocks while that many are queued (0: no bound beyond
	// one entry per distinct item).
	MaxLen int
	// Clock is the time source (RealClock when nil).
	Clock Clock
}

// DefaultConfig returns client-go's per-item backoff (5 ms doubling) capped
// at two minutes, and room for a million ready items.
func DefaultConfig() Config {
	return Config{BaseDelay: 5 * time.Millisecond, MaxDelay: 2 * time.Minute, MaxLen: 1 << 20, Clock: RealClock{}}
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("workqueue: invalid config")

func (c Config) validate() error {
	switch {
	case c.BaseDelay <= 0 || c.MaxDelay < c.BaseDelay:
		return fmt.Errorf("%w: need 0 < BaseDelay (%s) <= MaxDelay (%s)", ErrConfig, c.BaseDelay, c.MaxDelay)
	case c.MaxLen < 0:
		return fmt.Errorf("%w: MaxLen %d < 0", ErrConfig, c.MaxLen)
	}
	return nil
}
