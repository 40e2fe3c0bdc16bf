package cache

import (
	"errors"
	"fmt"
	"sync"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/scheduler/framework"
)

// Errors of Assume.
var (
	// ErrPodKnown: the pod is already bound or assumed.
	ErrPodKnown = errors.New("cache: pod already placed")
	// ErrNoNode: the node is not (or no longer) known.
	ErrNoNode = errors.New("cache: no such node")
)

// podState is where one pod is counted.
type podState struct {
	info    *framework.PodInfo
	node    string
	assumed bool
}

// Cache holds the NodeInfos. The zero value is not usable; call New.
type Cache struct {
	mu sync.RWMutex
	// nodes holds every NodeInfo, including placeholders for nodes that
	// are gone (or not seen yet) while pods still name them.
	nodes map[string]*framework.NodeInfo
	// list holds the NodeInfos of known nodes, in no particular order;
	// index maps a name to its position.
	list  []*framework.NodeInfo
	index map[string]int
	pods  map[string]*podState
	// assumed counts pods in pods with assumed set.
	assumed int
}

// New returns an empty cache.
func New() *Cache {
	return &Cache{nodes: map[string]*framework.NodeInfo{}, index: map[string]int{}, pods: map[string]*podState{}}
}

// View calls fn with the known nodes under the read lock. fn must not
// keep or change them, and must not call other Cache methods.
func (c *Cache) View(fn func(nodes []*framework.NodeInfo)) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	fn(c.list)
}

// Stats returns the number of known nodes, pods counted on nodes and
// pods among them that are assumed.
func (c *Cache) Stats() (nodes, pods, assumed int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.list), len(c.pods), c.assumed
}

// NodeRequested returns what the pods on node request, and whether the
// node is known.
func (c *Cache) NodeRequested(node string) (framework.Resources, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	ni, ok := c.nodes[node]
	if !ok || ni.Node == nil {
		return framework.Resources{}, false
	}
	r := ni.Requested
	r.Scalar = nil
	return r, true
}

// SetNode adds node or records its new state.
func (c *Cache) SetNode(node *gantryv1.Node) {
	name := node.GetMetadata().GetName()
	c.mu.Lock()
	defer c.mu.Unlock()
	ni := c.nodeInfo(name)
	ni.SetNode(node)
	if _, ok := c.index[name]; !ok {
		c.index[name] = len(c.list)
		c.list = append(c.list, ni)
	}
}

// RemoveNode forgets node; pods still on it stay counted on a
// placeholder until they go.
func (c *Cache) RemoveNode(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.index[name]
	if !ok {
		return
	}
	last := len(c.list) - 1
	c.list[i] = c.list[last]
	c.index[c.list[i].Name] = i
	c.list[last] = nil
	c.list = c.list[:last]
	delete(c.index, name)
	ni := c.nodes[name]
	ni.Node = nil
	c.dropIfEmpty(ni)
}

// nodeInfo returns the NodeInfo called name, creating a placeholder.
func (c *Cache) nodeInfo(name string) *framework.NodeInfo {
	ni, ok := c.nodes[name]
	if !ok {
		ni = framework.NewNodeInfo(name)
		c.nodes[name] = ni
	}
	return ni
}

// dropIfEmpty deletes a placeholder that no pod needs any more.
func (c *Cache) dropIfEmpty(ni *framework.NodeInfo) {
	if ni.Node == nil && ni.PodCount() == 0 {
		delete(c.nodes, ni.Name)
	}
}

// place counts pi on node.
func (c *Cache) place(pi *framework.PodInfo, node string, assumed bool) {
	c.nodeInfo(node).AddPod(pi)
	c.pods[pi.Key] = &podState{info: pi, node: node, assumed: assumed}
	if assumed {
		c.assumed++
	}
}

// unplace stops counting the pod in s.
func (c *Cache) unplace(s *podState) {
	ni := c.nodes[s.node]
	ni.RemovePod(s.info)
	c.dropIfEmpty(ni)
	delete(c.pods, s.info.Key)
	if s.assumed {
		c.assumed--
	}
}

// Assume counts pi on node before the API knows: the scheduler picked it.
func (c *Cache) Assume(pi *framework.PodInfo, node string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.pods[pi.Key]; ok {
		return fmt.Errorf("%w: %s on %s", ErrPodKnown, pi.Key, s.node)
	}
	if _, ok := c.index[node]; !ok {
		return fmt.Errorf("%w: %s", ErrNoNode, node)
	}
	c.place(pi, node, true)
	return nil
}

// Forget releases an assumption whose binding failed. It does nothing
// (and returns false) unless the pod with this uid is still assumed: once
// the informer confirmed the pod, the API's word stands.
func (c *Cache) Forget(key, uid string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.pods[key]
	if !ok || !s.assumed || s.info.UID != uid {
		return false
	}
	c.unplace(s)
	return true
}

// IsAssumed reports whether the pod is assumed and not yet confirmed.
func (c *Cache) IsAssumed(key string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok := c.pods[key]
	return ok && s.assumed
}

// AddPod records a pod the API shows bound to node (from the informer):
// it confirms an assumption, moves a pod that changed node or uid, and
// recounts a pod whose requests changed.
func (c *Cache) AddPod(pi *framework.PodInfo, node string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.pods[pi.Key]; ok {
		c.unplace(s)
	}
	c.place(pi, node, false)
}

// RemovePod stops counting a pod (deleted, finished, or no longer bound).
func (c *Cache) RemovePod(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.pods[key]; ok {
		c.unplace(s)
	}
}
