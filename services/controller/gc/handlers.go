package gc

import (
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/controller/ctrl"
)

// onUpsert updates the graph and queues the work the change calls for.
func (gc *Collector) onUpsert(obj *gantryv1.Object) {
	gc.mu.Lock()
	n, added, removed := gc.graph.upsert(obj)
	uid := n.id.uid
	// A dependent that names an owner the graph has not seen, or one
	// known to be absent or being deleted in foreground, needs a look.
	check, later := false, false
	for _, r := range added {
		owner := gc.graph.nodes[r.GetUid()]
		switch {
		case gc.absent.has(r.GetUid()), owner.observed && owner.deleting && owner.foreground:
			check = true
		case !owner.observed:
			later = true
		}
	}
	var owners []string
	for _, r := range removed {
		if o := gc.graph.nodes[r.GetUid()]; o != nil && o.foreground {
			owners = append(owners, r.GetUid())
		}
	}
	var dependents []string
	if n.deleting && n.foreground {
		for d := range n.dependents {
			dependents = append(dependents, d)
		}
	}
	deleting, foreground, orphan := n.deleting, n.foreground, n.orphan
	gc.mu.Unlock()

	if deleting && orphan {
		gc.queue.Add(itemOrphan + uid)
	}
	if deleting && foreground {
		gc.queue.Add(itemDelete + uid)
		for _, d := range dependents {
			gc.queue.Add(itemDelete + d)
		}
	}
	switch {
	case check:
		gc.queue.Add(itemDelete + uid)
	case later:
		gc.queue.AddAfter(itemDelete+uid, gc.cfg.UnobservedOwnerDelay)
	}
	// A foreground owner that lost a dependent may be done.
	for _, o := range owners {
		gc.queue.Add(itemDelete + o)
	}
}

// onDelete drops the object: its dependents lost an owner, and owners
// deleting in foreground may be done.
func (gc *Collector) onDelete(obj *gantryv1.Object) {
	uid := ctrl.Meta(obj).GetUid()
	gc.absent.add(uid)
	gc.mu.Lock()
	n := gc.graph.nodes[uid]
	var owners, dependents []string
	if n != nil {
		for _, r := range n.owners {
			if o := gc.graph.nodes[r.GetUid()]; o != nil && o.foreground {
				owners = append(owners, r.GetUid())
			}
		}
		for d := range n.dependents {
			dependents = append(dependents, d)
		}
		gc.graph.remove(uid)
	}
	gc.mu.Unlock()
	for _, d := range dependents {
		gc.queue.Add(itemDelete + d)
	}
	for _, o := range owners {
		gc.queue.Add(itemDelete + o)
	}
}
