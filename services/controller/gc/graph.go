package gc

import (
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"google.golang.org/protobuf/proto"
)

// identity names an object.
type identity struct {
	kind, namespace, name, uid string
}

// node is one object of the graph, or a virtual one: an owner that some
// dependent names but that no cache has shown (yet).
type node struct {
	id       identity
	observed bool
	owners   []*gantryv1.OwnerReference
	// dependents by uid.
	dependents map[string]*node
	deleting   bool
	foreground bool
	orphan     bool
}

// graph holds the nodes by uid; callers hold the collector's mutex.
type graph struct {
	nodes map[string]*node
}

func newGraph() *graph { return &graph{nodes: map[string]*node{}} }

// ownerIdentity is the identity ref names, seen from a dependent in
// namespace ns.
func ownerIdentity(ref *gantryv1.OwnerReference, ns string) identity {
	id := identity{kind: ref.GetKind(), name: ref.GetName(), uid: ref.GetUid()}
	if info, ok := apimeta.Lookup(ref.GetKind()); ok && info.Namespaced {
		id.namespace = ns
	}
	return id
}

// upsert records obj and returns its node and the owner references it
// gained and lost.
func (g *graph) upsert(obj *gantryv1.Object) (n *node, added, removed []*gantryv1.OwnerReference) {
	m := ctrl.Meta(obj)
	n = g.nodes[m.GetUid()]
	if n == nil {
		n = &node{dependents: map[string]*node{}}
		g.nodes[m.GetUid()] = n
	}
	n.id = identity{kind: apimeta.KindOf(obj), namespace: m.GetNamespace(), name: m.GetName(), uid: m.GetUid()}
	n.observed = true
	n.deleting = m.GetDeletionTimestamp() != nil
	n.foreground = ctrl.HasFinalizer(m, FinalizerForeground)
	n.orphan = ctrl.HasFinalizer(m, FinalizerOrphan)
	added, removed = diffOwners(n.owners, m.GetOwnerReferences())
	n.owners = cloneRefs(m.GetOwnerReferences())
	for _, r := range removed {
		g.unlink(r.GetUid(), n)
	}
	for _, r := range added {
		owner := g.nodes[r.GetUid()]
		if owner == nil {
			owner = &node{id: ownerIdentity(r, m.GetNamespace()), dependents: map[string]*node{}}
			g.nodes[r.GetUid()] = owner
		}
		owner.dependents[n.id.uid] = n
	}
	return n, added, removed
}

// unlink removes dep from the dependents of ownerUID, dropping a virtual
// owner nobody names any more.
func (g *graph) unlink(ownerUID string, dep *node) {
	owner := g.nodes[ownerUID]
	if owner == nil {
		return
	}
	delete(owner.dependents, dep.id.uid)
	if !owner.observed && len(owner.dependents) == 0 {
		delete(g.nodes, ownerUID)
	}
}

// remove drops a deleted object and returns its node (nil when unknown).
// Its dependents keep their references; the node stays as a virtual one
// while they name it.
func (g *graph) remove(uid string) *node {
	n := g.nodes[uid]
	if n == nil {
		return nil
	}
	for _, r := range n.owners {
		g.unlink(r.GetUid(), n)
	}
	n.owners = nil
	n.observed, n.deleting, n.foreground, n.orphan = false, false, false, false
	if len(n.dependents) == 0 {
		delete(g.nodes, uid)
	}
	return n
}

func diffOwners(old, cur []*gantryv1.OwnerReference) (added, removed []*gantryv1.OwnerReference) {
	in := func(refs []*gantryv1.OwnerReference, uid string) bool {
		for _, r := range refs {
			if r.GetUid() == uid {
				return true
			}
		}
		return false
	}
	for _, r := range cur {
		if !in(old, r.GetUid()) {
			added = append(added, r)
		}
	}
	for _, r := range old {
		if !in(cur, r.GetUid()) {
			removed = append(removed, r)
		}
	}
	return added, removed
}

func cloneRefs(refs []*gantryv1.OwnerReference) []*gantryv1.OwnerReference {
	out := make([]*gantryv1.OwnerReference, len(refs))
	for i, r := range refs {
		out[i] = proto.Clone(r).(*gantryv1.OwnerReference)
	}
	return out
}

// snapshot is a copy of a node that workers use outside the lock.
type snapshot struct {
	id                           identity
	observed                     bool
	owners                       []*gantryv1.OwnerReference
	deleting, foreground, orphan bool
	dependents                   []identity
	// blocking are the dependents whose reference to this node has
	// blockOwnerDeletion.
	blocking []identity
}

func (n *node) snapshot() *snapshot {
	s := &snapshot{id: n.id, observed: n.observed, owners: n.owners, deleting: n.deleting, foreground: n.foreground, orphan: n.orphan}
	for _, d := range n.dependents {
		s.dependents = append(s.dependents, d.id)
		for _, r := range d.owners {
			if r.GetUid() == n.id.uid && r.GetBlockOwnerDeletion() {
				s.blocking = append(s.blocking, d.id)
			}
		}
	}
	return s
}
