package nodelifecycle

import (
	"fmt"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"go.uber.org/zap"
)

// disruption is the cluster's health as the brake sees it.
type disruption struct {
	unhealthy, total int
	// braked: no new taints and no evictions.
	braked bool
}

func (d disruption) String() string {
	return fmt.Sprintf("%d of %d nodes unhealthy", d.unhealthy, d.total)
}

// unhealthy says whether a node looks down: its signs of life are older
// than the grace period, or it is not Ready.
func (c *Controller) unhealthy(n *gantryv1.Node, now time.Time) bool {
	name := n.GetMetadata().GetName()
	return now.Sub(c.seen.lastSeen(name, now)) >= c.cfg.GracePeriod || readyStatus(n) != StatusTrue
}

// assess counts the unhealthy nodes, decides the brake, records it for
// the metrics and logs when the brake engages or releases. When more
// than the threshold of the nodes — or every node — looks down, the
// likelier story is that this controller (or its masters) is cut off from
// them, not that they all died: evicting then would only move every pod
// to nowhere.
func (c *Controller) assess(now time.Time) disruption {
	var d disruption
	for _, o := range c.nodes.List() {
		n := o.GetNode()
		if n.GetMetadata().GetDeletionTimestamp() != nil {
			continue
		}
		d.total++
		if c.unhealthy(n, now) {
			d.unhealthy++
		}
	}
	d.braked = d.total > 0 && d.unhealthy > 0 &&
		(d.unhealthy == d.total || float64(d.unhealthy)/float64(d.total) > c.cfg.UnhealthyThreshold)
	c.record(d)
	return d
}

// record publishes d and logs brake changes.
func (c *Controller) record(d disruption) {
	c.unhealthyNodes.Store(int64(d.unhealthy))
	c.totalNodes.Store(int64(d.total))
	was := c.braked.Swap(d.braked)
	switch {
	case d.braked && !was:
		c.log.Warn("evictions stopped: too many nodes look unhealthy at once, which more likely means this controller is cut off from them",
			zap.Int("unhealthy", d.unhealthy), zap.Int("nodes", d.total), zap.Float64("threshold", c.cfg.UnhealthyThreshold))
	case !d.braked && was:
		c.log.Info("evictions resumed", zap.Int("unhealthy", d.unhealthy), zap.Int("nodes", d.total))
		c.enqueueAll()
	}
}
