package nodestatus

import (
	"context"
	"fmt"
	"maps"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// Register creates the Nodes (in batches) or, for those that exist, merges
// our labels into them; it retries until every node is registered or ctx
// ends. Statuses follow with Run.
func (m *Manager) Register(ctx context.Context) error {
	defer m.started()
	for attempt := 0; ; attempt++ {
		pending := m.unregistered()
		if len(pending) == 0 {
			return nil
		}
		for start := 0; start < len(pending); start += m.cfg.MaxBatch {
			m.createBatch(ctx, pending[start:min(start+m.cfg.MaxBatch, len(pending))])
		}
		if len(m.unregistered()) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("register nodes: %w", ctx.Err())
		case <-m.cfg.Clock.After(min(time.Duration(attempt+1)*200*time.Millisecond, 5*time.Second)):
		}
	}
}

// started records, once per process, that each registered node's agent
// started (the kubelet's "Starting kubelet.").
func (m *Manager) started() {
	m.mu.Lock()
	type ref struct{ name, uid string }
	var refs []ref
	for _, n := range m.order {
		if st := m.nodes[n]; st.uid != "" && !st.announced {
			st.announced = true
			refs = append(refs, ref{n, st.uid})
		}
	}
	m.mu.Unlock()
	for _, r := range refs {
		m.cfg.Recorder(r.name).Event(nodeRef(r.name, r.uid), events.Normal, "Starting", "Starting node agent.")
	}
}

func (m *Manager) unregistered() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, n := range m.order {
		if m.nodes[n].uid == "" {
			out = append(out, n)
		}
	}
	return out
}

func (m *Manager) newNode(name string) *gantryv1.Object {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.nodes[name].node
	spec := &gantryv1.NodeSpec{}
	if n.PodCIDR != "" {
		spec.PodCidr, spec.PodCidrs = n.PodCIDR, []string{n.PodCIDR}
	}
	return &gantryv1.Object{Kind: &gantryv1.Object_Node{Node: &gantryv1.Node{
		Metadata: &gantryv1.ObjectMeta{Name: name, Labels: maps.Clone(n.Labels)}, Spec: spec}}}
}

func (m *Manager) createBatch(ctx context.Context, names []string) {
	req := &gantryv1.BatchRequest{}
	for _, n := range names {
		req.Ops = append(req.Ops, &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Create{Create: m.newNode(n)}})
	}
	cctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	resp, err := m.api.Batch(cctx, req)
	if err != nil || len(resp.GetResults()) != len(names) {
		m.log.Warn("node registration failed; retrying", zap.Int("nodes", len(names)), zap.Error(err))
		return
	}
	for i, res := range resp.GetResults() {
		switch codes.Code(res.GetCode()) {
		case codes.OK:
			m.registered(res.GetObject().GetNode())
		case codes.AlreadyExists:
			if err := m.adopt(cctx, names[i]); err != nil {
				m.log.Warn("adopt existing node", zap.String("node", names[i]), zap.Error(err))
			}
		default:
			m.log.Warn("node registration refused", zap.String("node", names[i]), zap.String("error", res.GetMessage()))
		}
	}
}

// registerOne registers one node again (after it was deleted).
func (m *Manager) registerOne(ctx context.Context, name string) error {
	m.mu.Lock()
	m.nodes[name].uid = ""
	m.mu.Unlock()
	m.createBatch(ctx, []string{name})
	if m.UID(name) == "" {
		return fmt.Errorf("node %s not registered", name)
	}
	return nil
}

// adopt takes over an existing Node of our name: our labels are merged in
// and a pod CIDR we were given is set if it has none.
func (m *Manager) adopt(ctx context.Context, name string) error {
	for attempt := 0; attempt < 5; attempt++ {
		o, err := m.api.Get(ctx, "Node", "", name)
		if err != nil {
			return err
		}
		node := proto.Clone(o.GetNode()).(*gantryv1.Node)
		want := m.newNode(name).GetNode()
		changed := false
		if node.Metadata.Labels == nil {
			node.Metadata.Labels = map[string]string{}
		}
		for k, v := range want.GetMetadata().GetLabels() {
			if node.Metadata.Labels[k] != v {
				node.Metadata.Labels[k], changed = v, true
			}
		}
		if node.GetSpec().GetPodCidr() == "" && want.GetSpec().GetPodCidr() != "" {
			if node.Spec == nil {
				node.Spec = &gantryv1.NodeSpec{}
			}
			node.Spec.PodCidr, node.Spec.PodCidrs, changed = want.Spec.PodCidr, want.Spec.PodCidrs, true
		}
		if !changed {
			m.registered(node)
			return nil
		}
		node.Status = nil
		stored, err := m.api.Update(ctx, &gantryv1.Object{Kind: &gantryv1.Object_Node{Node: node}})
		if isCode(err, codes.Aborted) {
			continue
		}
		if err != nil {
			return err
		}
		m.registered(stored.GetNode())
		return nil
	}
	return fmt.Errorf("node %s kept changing", name)
}

func (m *Manager) registered(n *gantryv1.Node) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.nodes[n.GetMetadata().GetName()]
	if !ok {
		return
	}
	st.uid, st.spec, st.dirty = n.GetMetadata().GetUid(), n.GetSpec(), true
	st.changes++
	st.status = n.GetStatus()
}
