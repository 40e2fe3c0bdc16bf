package nodeipam

import (
	"errors"
	"fmt"

	"github.com/gantryio/gantry/internal/workqueue"
	"github.com/gantryio/gantry/services/controller/ctrl"
)

// Name is the controller's name in status and logs.
const Name = "nodeipam"

// Config tunes the allocator.
type Config struct {
	// ClusterCIDR is split into node subnets of NodeMaskSize bits.
	ClusterCIDR  string
	NodeMaskSize int
	// Workers write Nodes in parallel (their writes are batched).
	Workers int
	// Queue tunes the work queue (its Clock is replaced by Deps.Clock).
	Queue workqueue.Config
}

// DefaultConfig returns 10.244.0.0/16 split into /24s (256 nodes), as
// flannel and kubeadm default to.
func DefaultConfig() Config {
	return Config{ClusterCIDR: "10.244.0.0/16", NodeMaskSize: 24, Workers: 10, Queue: workqueue.DefaultConfig()}
}

// Deps are the controller's collaborators.
type Deps struct {
	Client ctrl.Client
	Nodes  ctrl.Cache
	Clock  workqueue.Clock
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("nodeipam: invalid config")

func (c Config) validate(d Deps) error {
	switch {
	case c.Workers < 1:
		return fmt.Errorf("%w: Workers must be positive", ErrConfig)
	case d.Client == nil || d.Nodes == nil:
		return fmt.Errorf("%w: Client and Nodes are required", ErrConfig)
	}
	return nil
}
