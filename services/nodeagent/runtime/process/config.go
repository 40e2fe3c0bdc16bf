package process

import (
	"context"
	"errors"
	"time"
)

// Network gives pods their own network namespace and address. The process
// runtime calls it for pods that do not use the host network.
type Network interface {
	// Setup creates the pod's network namespace and attaches it; it
	// returns the namespace's path and the pod's IP.
	Setup(ctx context.Context, uid, namespace, name string) (netns, ip string, err error)
	// Teardown detaches and removes the namespace; missing parts are fine.
	Teardown(ctx context.Context, uid, netns string) error
}

// Config configures the process runtime.
type Config struct {
	// DataDir holds pod state and logs (required).
	DataDir string
	// LogMaxBytes caps one container log file; it rotates to one older
	// file, so a container keeps at most about twice this much.
	LogMaxBytes int64
	// ShimPath is the binary re-executed as the shim; it must link this
	// package. Default: /proc/self/exe.
	ShimPath string
	// Poll is how often adopted containers (started by an earlier agent)
	// are checked, and how often a followed log is read.
	Poll time.Duration
	// StartTimeout bounds the wait for a shim to report its container.
	StartTimeout time.Duration
	// Network, when set, gives pods without hostNetwork their own network.
	Network Network
}

// DefaultConfig returns the defaults without a data directory.
func DefaultConfig() Config {
	return Config{LogMaxBytes: 10 << 20, ShimPath: "/proc/self/exe", Poll: 200 * time.Millisecond, StartTimeout: 10 * time.Second}
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("process runtime: invalid config")
