package localcluster

import (
	"math"
	"strconv"
	"time"
)

// NodeFailure sets how fast the cluster notices a node that stopped and
// moves its pods; zero fields keep the components' defaults (40 s and
// 300 s, Kubernetes').
type NodeFailure struct {
	// Grace is how long a node's lease may go unrenewed before the node is
	// Unknown and tainted (the controller's --node-monitor-grace-period);
	// node agents then renew their leases four times per Grace.
	Grace time.Duration
	// EvictionTimeout is how long pods stay on such a node (the
	// apiservers' default not-ready and unreachable tolerations, whole
	// seconds rounded up).
	EvictionTimeout time.Duration
}

// masterArgs are the apiserver flags for f.
func (f NodeFailure) masterArgs() []string {
	if f.EvictionTimeout <= 0 {
		return nil
	}
	secs := strconv.FormatInt(int64(math.Ceil(f.EvictionTimeout.Seconds())), 10)
	return []string{"--default-not-ready-toleration-seconds", secs, "--default-unreachable-toleration-seconds", secs}
}

// controllerArgs are the controller manager flags for f.
func (f NodeFailure) controllerArgs() []string {
	if f.Grace <= 0 {
		return nil
	}
	return []string{"--node-monitor-grace-period", f.Grace.String(), "--node-monitor-period", min(f.Grace, 5*time.Second).String()}
}

// nodeArgs are the node agent flags for f.
func (f NodeFailure) nodeArgs() []string {
	if f.Grace <= 0 {
		return nil
	}
	renew := max(f.Grace/4, 100*time.Millisecond)
	return []string{"--lease-duration", f.Grace.String(), "--lease-renew-interval", renew.String()}
}
