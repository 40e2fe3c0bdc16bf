package nodestatus

import (
	"context"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// blockingAPI accepts every write; the first status write waits until
// the test releases it.
type blockingAPI struct {
	inFlight chan struct{} // closed when the first status write arrives
	release  chan struct{} // closed by the test to let it finish

	mu     sync.Mutex
	writes []*gantryv1.NodeStatus
	wrote  chan struct{} // one send per status write
}

func (a *blockingAPI) Batch(_ context.Context, in *gantryv1.BatchRequest, _ ...grpc.CallOption) (*gantryv1.BatchResponse, error) {
	resp := &gantryv1.BatchResponse{}
	for _, op := range in.GetOps() {
		if c := op.GetCreate(); c != nil {
			c.GetNode().Metadata.Uid = "uid-" + c.GetNode().GetMetadata().GetName()
			resp.Results = append(resp.Results, &gantryv1.BatchResult{Object: c})
			continue
		}
		a.mu.Lock()
		first := len(a.writes) == 0
		a.writes = append(a.writes, op.GetUpdateStatus().GetNode().GetStatus())
		a.mu.Unlock()
		if first {
			close(a.inFlight)
			<-a.release
		}
		resp.Results = append(resp.Results, &gantryv1.BatchResult{Object: op.GetUpdateStatus()})
		a.wrote <- struct{}{}
	}
	return resp, nil
}

func (a *blockingAPI) Get(context.Context, string, string, string) (*gantryv1.Object, error) {
	panic("not used")
}

func (a *blockingAPI) Update(context.Context, *gantryv1.Object) (*gantryv1.Object, error) {
	panic("not used")
}

func readyOf(s *gantryv1.NodeStatus) string {
	for _, c := range s.GetConditions() {
		if c.GetType() == "Ready" {
			return c.GetStatus() + "/" + c.GetReason()
		}
	}
	return ""
}

// A condition that changes while the previous status is being written is
// written soon after, not at the next heartbeat: the write that was in
// flight must not mark the newer change as written. (The node agent sets
// Ready=True when its pod network is up, typically during the first status
// write; losing that change kept new nodes NotReady for a whole 40 s
// heartbeat interval.)
func TestChangeDuringWriteIsWritten(t *testing.T) {
	api := &blockingAPI{inFlight: make(chan struct{}), release: make(chan struct{}), wrote: make(chan struct{}, 10)}
	cfg := DefaultConfig()
	cfg.Interval, cfg.Flush = time.Hour, 5*time.Millisecond
	m := New(cfg, api, []Node{{Name: "n1"}}, zap.NewNop())
	if err := m.SetCondition("n1", "Ready", Condition{Reason: "KubeletNotReady"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.Register(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()

	<-api.inFlight
	if err := m.SetCondition("n1", "Ready", Condition{Status: true, Reason: "KubeletReady"}); err != nil {
		t.Fatal(err)
	}
	close(api.release)
	<-api.wrote // the first write, with Ready=False
	select {
	case <-api.wrote:
	case <-time.After(5 * time.Second):
		t.Fatal("the change made during the first write was not written (it waits for the next heartbeat)")
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	if got := readyOf(api.writes[0]); got != "False/KubeletNotReady" {
		t.Errorf("first write: Ready %s", got)
	}
	if got := readyOf(api.writes[1]); got != "True/KubeletReady" {
		t.Errorf("second write: Ready %s, want True/KubeletReady", got)
	}
}

// A status someone else wrote (the node lifecycle controller's Unknown,
// while the agent was stopped) is replaced by the agent's own soon, with
// a new transition time; a stored status like ours changes nothing.
func TestObservedStatusIsRewritten(t *testing.T) {
	api := &blockingAPI{inFlight: make(chan struct{}), release: make(chan struct{}), wrote: make(chan struct{}, 10)}
	close(api.release)
	cfg := DefaultConfig()
	cfg.Interval, cfg.Flush = time.Hour, 5*time.Millisecond
	m := New(cfg, api, []Node{{Name: "n1"}}, zap.NewNop())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.Register(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-api.wrote
	api.mu.Lock()
	first := api.writes[0]
	api.mu.Unlock()

	m.ObserveStatus("n1", first)
	m.ObserveStatus("other", first)
	select {
	case <-api.wrote:
		t.Fatal("our own status, observed, was written again")
	case <-time.After(50 * time.Millisecond):
	}
	unknown := proto.Clone(first).(*gantryv1.NodeStatus)
	unknown.Conditions[0].Status, unknown.Conditions[0].Reason = "Unknown", "NodeStatusUnknown"
	m.ObserveStatus("n1", unknown)
	select {
	case <-api.wrote:
	case <-time.After(5 * time.Second):
		t.Fatal("a status marked Unknown by someone else was not written again")
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	again := api.writes[1]
	if got := readyOf(again); got != "True/KubeletReady" {
		t.Errorf("rewritten Ready %s, want True/KubeletReady", got)
	}
	if !again.GetConditions()[0].GetLastTransitionTime().AsTime().After(first.GetConditions()[0].GetLastTransitionTime().AsTime()) {
		t.Error("the rewritten Ready condition kept its old transition time")
	}
}
