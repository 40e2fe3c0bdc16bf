package client

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// Config says which masters to dial and how patient to be with them.
type Config struct {
	// Servers are the masters' host:port addresses. Every master serves
	// every RPC, so the order does not matter.
	Servers []string
	// DialTimeout bounds one attempt to connect to one master.
	DialTimeout time.Duration
	// RequestTimeout bounds one attempt of a unary call when the caller's
	// context has no earlier deadline. Zero disables it. Watches have none.
	RequestTimeout time.Duration
	// MaxRetries is how many times a failed call is tried again (so a call
	// makes at most MaxRetries+1 attempts). For watches it bounds the
	// consecutive failed attempts to reopen the stream without progress.
	MaxRetries int
	// RetryBackoff spaces the retries.
	RetryBackoff Backoff
	// KeepaliveTime is how long a connection may be quiet before the client
	// pings the master; KeepaliveTimeout is how long it waits for the
	// answer before it declares the connection dead. Servers must permit
	// pings this often (keepalive.EnforcementPolicy.MinTime <= KeepaliveTime,
	// PermitWithoutStream) or they will close the connection.
	KeepaliveTime, KeepaliveTimeout time.Duration
	// MaxRecvMsgSize and MaxSendMsgSize bound single gRPC messages.
	MaxRecvMsgSize, MaxSendMsgSize int
	// WatchBuffer is how many responses a Watcher holds for a slow reader
	// before it stops reading from the server.
	WatchBuffer int
	// WatchIdleTimeout, when positive, abandons a watch stream that has
	// delivered nothing (not even a bookmark) for that long and resumes it,
	// possibly on another master. Use it only with servers that send
	// periodic bookmarks to watches with allow_bookmarks.
	WatchIdleTimeout time.Duration
	// HealthCheck enables gRPC client-side health checking (grpc.health.v1,
	// service ""): a master reporting NOT_SERVING gets no new calls.
	// Masters without the health service count as healthy.
	HealthCheck bool
	// Credentials secure the connections; nil means plaintext.
	Credentials credentials.TransportCredentials
	// DialOptions are appended to the client's own (interceptors, stats
	// handlers, a custom dialer).
	DialOptions []grpc.DialOption
}

// Backoff describes jittered exponential backoff.
type Backoff struct {
	// Initial is the delay before the first retry.
	Initial time.Duration
	// Max caps every delay.
	Max time.Duration
	// Multiplier grows the delay per attempt (values below 1 count as 1).
	Multiplier float64
	// Jitter in [0,1] is the fraction of each delay that is random: the
	// delay is uniformly drawn from [d*(1-Jitter), d].
	Jitter float64
}

// DefaultBackoff is the backoff of DefaultConfig.
func DefaultBackoff() Backoff {
	return Backoff{Initial: 50 * time.Millisecond, Max: 2 * time.Second, Multiplier: 2, Jitter: 0.5}
}

// Delay returns the delay before retry number attempt (0 for the first).
func (b Backoff) Delay(attempt int) time.Duration {
	mult := math.Max(b.Multiplier, 1)
	d := float64(b.Initial) * math.Pow(mult, float64(max(attempt, 0)))
	if b.Max > 0 && d > float64(b.Max) {
		d = float64(b.Max)
	}
	if j := min(max(b.Jitter, 0), 1); j > 0 {
		d -= d * j * rand.Float64()
	}
	if d < 0 || d > math.MaxInt64 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(d)
}

// DefaultConfig returns a configuration without servers.
func DefaultConfig() Config {
	return Config{
		DialTimeout:      5 * time.Second,
		RequestTimeout:   15 * time.Second,
		MaxRetries:       8,
		RetryBackoff:     DefaultBackoff(),
		KeepaliveTime:    10 * time.Second,
		KeepaliveTimeout: 5 * time.Second,
		MaxRecvMsgSize:   64 << 20,
		MaxSendMsgSize:   16 << 20,
		WatchBuffer:      64,
		HealthCheck:      true,
	}
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("client: invalid config")

func (c Config) validate() error {
	switch {
	case len(c.Servers) == 0:
		return fmt.Errorf("%w: no servers", ErrConfig)
	case c.MaxRetries < 0:
		return fmt.Errorf("%w: MaxRetries %d < 0", ErrConfig, c.MaxRetries)
	case c.WatchBuffer < 0:
		return fmt.Errorf("%w: WatchBuffer %d < 0", ErrConfig, c.WatchBuffer)
	}
	for _, s := range c.Servers {
		if s == "" {
			return fmt.Errorf("%w: empty server address", ErrConfig)
		}
	}
	return nil
}
