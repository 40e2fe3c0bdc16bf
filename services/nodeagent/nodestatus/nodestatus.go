package nodestatus

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	"k8s.io/utils/clock"
)

// API is what the manager needs of the apiserver.
type API interface {
	Batch(ctx context.Context, in *gantryv1.BatchRequest, opts ...grpc.CallOption) (*gantryv1.BatchResponse, error)
	Get(ctx context.Context, kind, namespace, name string) (*gantryv1.Object, error)
	Update(ctx context.Context, obj *gantryv1.Object) (*gantryv1.Object, error)
}

// Node describes one node this agent registers.
type Node struct {
	Name        string
	Labels      map[string]string
	Capacity    map[string]string
	Allocatable map[string]string
	// Address is the InternalIP; Port the agent's gRPC port.
	Address string
	Port    int32
	Info    *gantryv1.NodeSystemInfo
	// PodCIDR is written into the Node's spec when it has none (a node
	// agent started with --pod-cidr, as a standalone kubelet is).
	PodCIDR string
}

// Config tunes heartbeats.
type Config struct {
	// Interval is the heartbeat period when nothing changes.
	Interval time.Duration
	// Flush is how soon a change is written.
	Flush    time.Duration
	MaxBatch int
	Timeout  time.Duration
	Clock    clock.WithTicker
	// Recorder returns the Recorder of a node's events (Starting,
	// NodeReady, NodeNotReady), whose source host is the node (nil: none).
	Recorder func(node string) events.Recorder
}

// DefaultConfig returns the defaults: a heartbeat every 40 s.
func DefaultConfig() Config {
	return Config{Interval: 40 * time.Second, Flush: 100 * time.Millisecond, MaxBatch: 500, Timeout: 10 * time.Second, Clock: clock.RealClock{}}
}

// Condition is a node condition the agent reports.
type Condition struct {
	Status          bool
	Reason, Message string
}

type nodeState struct {
	node       Node
	uid        string
	spec       *gantryv1.NodeSpec
	conditions map[string]Condition
	status     *gantryv1.NodeStatus // last written
	// sent is the status of the latest write, answered or not. The
	// agent's watch can show it before the write's answer arrives: that
	// is this agent's status, not someone else's.
	sent     *gantryv1.NodeStatus
	lastBeat time.Time
	dirty    bool
	// changes counts what made it dirty: a write clears dirty only if
	// nothing changed while it was in flight.
	changes uint64
	// announced: the Starting event was recorded.
	announced bool
}

// Manager registers nodes and keeps their status.
type Manager struct {
	cfg Config
	api API
	log *zap.Logger

	mu    sync.Mutex
	order []string
	nodes map[string]*nodeState
	wake  chan struct{}
}

// New returns a manager for nodes. Every node starts Ready; SetCondition
// changes that.
func New(cfg Config, api API, nodes []Node, logger *zap.Logger) *Manager {
	def := DefaultConfig()
	if cfg.Interval <= 0 {
		cfg.Interval = def.Interval
	}
	if cfg.Flush <= 0 {
		cfg.Flush = def.Flush
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = def.MaxBatch
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = def.Timeout
	}
	if cfg.Clock == nil {
		cfg.Clock = def.Clock
	}
	if cfg.Recorder == nil {
		cfg.Recorder = func(string) events.Recorder { return events.Discard }
	}
	m := &Manager{cfg: cfg, api: api, log: logger.Named("node"), nodes: map[string]*nodeState{}, wake: make(chan struct{}, 1)}
	for _, n := range nodes {
		m.order = append(m.order, n.Name)
		m.nodes[n.Name] = &nodeState{node: n, dirty: true, conditions: map[string]Condition{
			"Ready": {Status: true, Reason: "KubeletReady", Message: "kubelet is posting ready status"},
		}}
	}
	return m
}

// ErrUnknownNode is returned for a node the manager does not serve.
var ErrUnknownNode = errors.New("nodestatus: unknown node")

// SetCondition sets one of a node's conditions; a change is written soon.
func (m *Manager) SetCondition(node, typ string, c Condition) error {
	m.mu.Lock()
	st, ok := m.nodes[node]
	if !ok {
		m.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrUnknownNode, node)
	}
	if old, ok := st.conditions[typ]; !ok || old != c {
		st.conditions[typ], st.dirty = c, true
		st.changes++
	}
	m.mu.Unlock()
	m.poke()
	return nil
}

// UID returns the registered node's uid ("" before registration).
func (m *Manager) UID(node string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if st, ok := m.nodes[node]; ok {
		return st.uid
	}
	return ""
}

// Spec returns the node's spec as last read or written.
func (m *Manager) Spec(node string) *gantryv1.NodeSpec {
	m.mu.Lock()
	defer m.mu.Unlock()
	if st, ok := m.nodes[node]; ok {
		return st.spec
	}
	return nil
}

// ObserveSpec records a newer spec of a node (from a watch).
func (m *Manager) ObserveSpec(node string, spec *gantryv1.NodeSpec) {
	m.mu.Lock()
	if st, ok := m.nodes[node]; ok {
		st.spec = spec
	}
	m.mu.Unlock()
}

// ObserveStatus compares a node's stored status (from a watch) with the
// one this agent last wrote. When a condition's status differs — the node
// lifecycle controller marked the node Unknown while this agent was
// stopped or cut off — the status is written again soon, with new
// transition times, rather than at the next heartbeat (40 s on). The
// status of this agent's latest write is its own even before the write
// answers; taking it for someone else's rewrote it for nothing and, worse,
// lost the NodeReady/NodeNotReady event of the change it carried.
func (m *Manager) ObserveStatus(node string, s *gantryv1.NodeStatus) {
	m.mu.Lock()
	st, ok := m.nodes[node]
	if !ok || st.status == nil || sameConditions(st.status, s) || (st.sent != nil && sameConditions(st.sent, s)) {
		m.mu.Unlock()
		return
	}
	seen := proto.Clone(st.status).(*gantryv1.NodeStatus)
	seen.Conditions = proto.Clone(s).(*gantryv1.NodeStatus).GetConditions()
	st.status, st.dirty = seen, true
	st.changes++
	m.mu.Unlock()
	m.log.Info("node status changed by someone else; writing ours again", zap.String("node", node), zap.String("ready", readyStatus(s)))
	m.poke()
}

// sameConditions reports whether got has every condition of ours with
// the same status.
func sameConditions(ours, got *gantryv1.NodeStatus) bool {
	have := map[string]string{}
	for _, c := range got.GetConditions() {
		have[c.GetType()] = c.GetStatus()
	}
	for _, c := range ours.GetConditions() {
		if s, ok := have[c.GetType()]; !ok || s != c.GetStatus() {
			return false
		}
	}
	return true
}

func readyStatus(s *gantryv1.NodeStatus) string {
	for _, c := range s.GetConditions() {
		if c.GetType() == "Ready" {
			return c.GetStatus()
		}
	}
	return ""
}

func (m *Manager) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run writes statuses: changed ones within Flush, the others every
// Interval, until ctx ends. Nodes deleted meanwhile are registered again.
func (m *Manager) Run(ctx context.Context) error {
	tick := m.cfg.Clock.NewTicker(m.cfg.Interval / 10)
	defer tick.Stop()
	for {
		m.writeDue(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C():
		case <-m.wake:
			select {
			case <-ctx.Done():
				return nil
			case <-m.cfg.Clock.After(m.cfg.Flush):
			}
		}
	}
}

// due returns the nodes whose status must be written now.
func (m *Manager) due() []string {
	now := m.cfg.Clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, n := range m.order {
		st := m.nodes[n]
		if st.uid != "" && (st.dirty || now.Sub(st.lastBeat) >= m.cfg.Interval) {
			out = append(out, n)
		}
	}
	return out
}

func (m *Manager) writeDue(ctx context.Context) {
	names := m.due()
	for start := 0; start < len(names) && ctx.Err() == nil; start += m.cfg.MaxBatch {
		m.writeStatuses(ctx, names[start:min(start+m.cfg.MaxBatch, len(names))])
	}
}

func (m *Manager) writeStatuses(ctx context.Context, names []string) {
	now := m.cfg.Clock.Now()
	req := &gantryv1.BatchRequest{}
	changes := make([]uint64, len(names))
	for i, n := range names {
		var obj *gantryv1.Object
		obj, changes[i] = m.statusObject(n, now)
		req.Ops = append(req.Ops, &gantryv1.BatchOp{Op: &gantryv1.BatchOp_UpdateStatus{UpdateStatus: obj}})
	}
	cctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	resp, err := m.api.Batch(cctx, req)
	if err != nil || len(resp.GetResults()) != len(names) {
		m.log.Warn("node status write failed", zap.Int("nodes", len(names)), zap.Error(err))
		return
	}
	for i, res := range resp.GetResults() {
		switch codes.Code(res.GetCode()) {
		case codes.OK:
			m.wrote(names[i], req.Ops[i].GetUpdateStatus().GetNode().GetStatus(), now, changes[i])
		case codes.NotFound, codes.FailedPrecondition:
			m.log.Warn("node object gone; registering again", zap.String("node", names[i]))
			if err := m.registerOne(ctx, names[i]); err != nil {
				m.log.Warn("register node", zap.String("node", names[i]), zap.Error(err))
			}
		default:
			m.log.Warn("node status refused", zap.String("node", names[i]), zap.String("error", res.GetMessage()))
		}
	}
}

// wrote records a status written; it stays dirty if it changed since
// the status was taken (changes then).
func (m *Manager) wrote(node string, s *gantryv1.NodeStatus, now time.Time, changes uint64) {
	m.mu.Lock()
	st := m.nodes[node]
	before, uid := readyStatus(st.status), st.uid
	st.status, st.lastBeat = s, now
	if st.changes == changes {
		st.dirty = false
	}
	m.mu.Unlock()
	// As the kubelet: an event each time Ready changes, the first status
	// of a new Node included.
	if after := readyStatus(s); after != before {
		reason := "NodeNotReady"
		if after == "True" {
			reason = "NodeReady"
		}
		m.cfg.Recorder(node).Eventf(nodeRef(node, uid), events.Normal, reason, "Node %s status is now: %s", node, reason)
	}
}

// nodeRef refers to a Node in events.
func nodeRef(name, uid string) *gantryv1.ObjectReference {
	return &gantryv1.ObjectReference{Kind: "Node", ApiVersion: "v1", Name: name, Uid: uid}
}

// statusObject is the node's status with heartbeat time now, to be sent;
// conditions keep their transition time while their status stays. It
// also returns the node's change count it reflects.
func (m *Manager) statusObject(node string, now time.Time) (*gantryv1.Object, uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.nodes[node]
	n := st.node
	s := &gantryv1.NodeStatus{
		Capacity: maps.Clone(n.Capacity), Allocatable: maps.Clone(n.Allocatable),
		Addresses:       []*gantryv1.NodeAddress{{Type: "InternalIP", Address: n.Address}, {Type: "Hostname", Address: n.Name}},
		DaemonEndpoints: &gantryv1.NodeDaemonEndpoints{KubeletEndpoint: &gantryv1.DaemonEndpoint{Port: n.Port}},
		NodeInfo:        proto.Clone(n.Info).(*gantryv1.NodeSystemInfo),
	}
	for _, typ := range conditionOrder(st.conditions) {
		c := st.conditions[typ]
		cond := &gantryv1.Condition{Type: typ, Status: boolStatus(c.Status), Reason: c.Reason, Message: c.Message,
			LastHeartbeatTime: timestamppb.New(now), LastTransitionTime: timestamppb.New(now)}
		for _, old := range st.status.GetConditions() {
			if old.GetType() == typ && old.GetStatus() == cond.GetStatus() {
				cond.LastTransitionTime = old.GetLastTransitionTime()
			}
		}
		s.Conditions = append(s.Conditions, cond)
	}
	st.sent = s
	return &gantryv1.Object{Kind: &gantryv1.Object_Node{Node: &gantryv1.Node{
		Metadata: &gantryv1.ObjectMeta{Name: node, Uid: st.uid}, Status: s}}}, st.changes
}

func boolStatus(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// conditionOrder lists the kubelet's conditions first, then the others.
func conditionOrder(cs map[string]Condition) []string {
	known := []string{"MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable", "Ready"}
	var out []string
	for _, k := range known {
		if _, ok := cs[k]; ok {
			out = append(out, k)
		}
	}
	for k := range cs {
		isKnown := false
		for _, kk := range known {
			isKnown = isKnown || k == kk
		}
		if !isKnown {
			out = append(out, k)
		}
	}
	return out
}

// isCode reports whether err is a gRPC status with code c.
func isCode(err error, c codes.Code) bool { return status.Code(err) == c }
