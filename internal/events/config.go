package events

import (
	"errors"
	"fmt"
	"time"

	"github.com/gantryio/gantry/internal/workqueue"
)

// Config tunes a Broadcaster; the defaults are client-go's where it has one.
type Config struct {
	// QueueSize bounds the events waiting for the writer; more are dropped.
	QueueSize int
	// BatchSize bounds the writes of one Batch call.
	BatchSize int
	// MaxPending bounds the Events waiting to be written or retried; past
	// it the oldest is given up.
	MaxPending int
	// WriteQPS bounds the Event writes a second, WriteBurst those at once
	// (0 QPS: no bound), as the kubelet's --event-qps and --event-burst.
	WriteQPS   float64
	WriteBurst int
	// CacheSize bounds each of the correlator's caches (spam buckets,
	// similar-event records, recent Events).
	CacheSize int
	// SpamBurst events per source and object at once, then one every
	// SpamRefill.
	SpamBurst  int
	SpamRefill time.Duration
	// AggregateMaxEvents different messages of one reason within
	// AggregateWindow start a combined event.
	AggregateMaxEvents int
	AggregateWindow    time.Duration
	// MaxAttempts bounds the writes of one Event that fail in a row;
	// RetryBackoff is the wait after the first, doubling to RetryMaxBackoff.
	MaxAttempts                   int
	RetryBackoff, RetryMaxBackoff time.Duration
	// RequestTimeout bounds one Batch or Get call; FlushTimeout bounds the
	// last writes after Run's context ends.
	RequestTimeout, FlushTimeout time.Duration
	// Clock stamps events and times retries (real when nil).
	Clock workqueue.Clock
}

// DefaultConfig returns client-go's limits: a queue of 1000, caches of
// 4096, a burst of 25 events per object then one per 5 minutes, 10
// similar events per 10 minutes before combining, 12 tries per event;
// and the kubelet's 50 event writes a second (bursts of 250).
func DefaultConfig() Config {
	return Config{
		QueueSize: 1000, BatchSize: 250, MaxPending: 4096, CacheSize: 4096, WriteQPS: 50, WriteBurst: 250,
		SpamBurst: 25, SpamRefill: 5 * time.Minute,
		AggregateMaxEvents: 10, AggregateWindow: 10 * time.Minute,
		MaxAttempts: 12, RetryBackoff: 500 * time.Millisecond, RetryMaxBackoff: 10 * time.Second,
		RequestTimeout: 10 * time.Second, FlushTimeout: 2 * time.Second,
		Clock: workqueue.RealClock{},
	}
}

// maxBatchOps is the apiserver's limit of ops per Batch call.
const maxBatchOps = 1000

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("events: invalid config")

func (c *Config) validate() error {
	if c.Clock == nil {
		c.Clock = workqueue.RealClock{}
	}
	switch {
	case c.QueueSize < 1 || c.MaxPending < 1 || c.CacheSize < 1:
		return fmt.Errorf("%w: QueueSize, MaxPending and CacheSize must be positive", ErrConfig)
	case c.BatchSize < 1 || c.BatchSize > maxBatchOps:
		return fmt.Errorf("%w: BatchSize %d not in [1, %d]", ErrConfig, c.BatchSize, maxBatchOps)
	case c.WriteQPS < 0 || c.WriteQPS > 0 && c.WriteBurst < 1:
		return fmt.Errorf("%w: WriteQPS must not be negative, and WriteBurst positive with a WriteQPS", ErrConfig)
	case c.SpamBurst < 1 || c.SpamRefill <= 0:
		return fmt.Errorf("%w: SpamBurst and SpamRefill must be positive", ErrConfig)
	case c.AggregateMaxEvents < 2 || c.AggregateWindow <= 0:
		return fmt.Errorf("%w: AggregateMaxEvents must be at least 2 and AggregateWindow positive", ErrConfig)
	case c.MaxAttempts < 1 || c.RetryBackoff <= 0 || c.RetryMaxBackoff < c.RetryBackoff:
		return fmt.Errorf("%w: MaxAttempts and RetryBackoff must be positive, RetryMaxBackoff >= RetryBackoff", ErrConfig)
	case c.RequestTimeout <= 0 || c.FlushTimeout < 0:
		return fmt.Errorf("%w: RequestTimeout must be positive and FlushTimeout not negative", ErrConfig)
	}
	return nil
}
