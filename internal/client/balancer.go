package client

import (
	"sync"
	"sync/atomic"

	"github.com/gantryio/gantry/internal/apistatus"
	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/endpointsharding"
	"google.golang.org/grpc/balancer/pickfirst"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver"
)

// balancerName is the client's load-balancing policy: round robin over
// every master for reads and watches (as gRPC's round_robin: one pick-first
// child per master, client-side health checks), and writes to the leader
// when the masters' answers have said which master leads.
const balancerName = "gantry_leader_writes"

func init() { balancer.Register(leaderWritesBuilder{}) }

type leaderWritesBuilder struct{}

func (leaderWritesBuilder) Name() string { return balancerName }

func (leaderWritesBuilder) Build(cc balancer.ClientConn, opts balancer.BuildOptions) balancer.Balancer {
	b := &leaderWrites{ClientConn: cc, routes: &routes{ids: map[string]string{}}}
	b.child = endpointsharding.NewBalancer(b, opts, balancer.Get(pickfirst.Name).Build, endpointsharding.Options{})
	return b
}

// leaderWrites wraps endpointsharding: the children (one per master) and
// their connection states are endpointsharding's; only the picker is ours.
// It is its children's ClientConn, so it sees every state they report.
type leaderWrites struct {
	balancer.ClientConn
	child  balancer.Balancer
	routes *routes
}

func (b *leaderWrites) UpdateClientConnState(s balancer.ClientConnState) error {
	return b.child.UpdateClientConnState(balancer.ClientConnState{
		ResolverState: pickfirst.EnableHealthListener(s.ResolverState),
	})
}

func (b *leaderWrites) ResolverError(err error) { b.child.ResolverError(err) }

func (b *leaderWrites) UpdateSubConnState(sc balancer.SubConn, s balancer.SubConnState) {
	b.child.UpdateSubConnState(sc, s)
}

func (b *leaderWrites) Close()    { b.child.Close() }
func (b *leaderWrites) ExitIdle() { b.child.ExitIdle() }

// UpdateState replaces endpointsharding's round-robin picker with one that
// knows the ready masters by address.
func (b *leaderWrites) UpdateState(s balancer.State) {
	var ready []readyMaster
	for _, c := range endpointsharding.ChildStatesFromPicker(s.Picker) {
		if c.State.ConnectivityState == connectivity.Ready {
			ready = append(ready, readyMaster{addr: addrOf(c.Endpoint), picker: c.State.Picker})
		}
	}
	if len(ready) == 0 {
		b.ClientConn.UpdateState(s)
		return
	}
	b.ClientConn.UpdateState(balancer.State{
		ConnectivityState: connectivity.Ready,
		Picker:            &leaderPicker{all: s.Picker, ready: ready, routes: b.routes},
	})
}

type readyMaster struct {
	addr   string
	picker balancer.Picker
}

// leaderPicker sends reads round robin and writes to the master last named
// as leader, learning names from the trailers of the writes it routes.
type leaderPicker struct {
	all    balancer.Picker // endpointsharding's round robin
	ready  []readyMaster
	routes *routes
	next   atomic.Uint32
}

func (p *leaderPicker) Pick(info balancer.PickInfo) (balancer.PickResult, error) {
	if !apistatus.LeaderWrite(info.FullMethodName) {
		return p.all.Pick(info)
	}
	m := p.leader()
	if m == nil {
		m = &p.ready[p.next.Add(1)%uint32(len(p.ready))]
	}
	res, err := m.picker.Pick(info)
	if err != nil {
		return res, err
	}
	done, addr := res.Done, m.addr
	res.Done = func(di balancer.DoneInfo) {
		p.routes.learn(addr, di.Trailer)
		if done != nil {
			done(di)
		}
	}
	return res, nil
}

func (p *leaderPicker) leader() *readyMaster {
	addr := p.routes.leaderAddr.Load()
	if addr == nil {
		return nil
	}
	for i := range p.ready {
		if p.ready[i].addr == *addr {
			return &p.ready[i]
		}
	}
	return nil
}

// routes is what the masters' answers said: which member each address is
// and which member leads. It outlives pickers (they are rebuilt on every
// connection change) and is bounded by the number of masters dialed.
type routes struct {
	mu     sync.Mutex
	ids    map[string]string // address -> member id
	leader string            // member id
	// leaderAddr is the address of the leader, when known: read on every
	// write pick, so it is an atomic rather than under mu.
	leaderAddr atomic.Pointer[string]
}

func (r *routes) learn(addr string, tr metadata.MD) {
	member, leader := first(tr, apistatus.MemberTrailer), first(tr, apistatus.LeaderTrailer)
	if member == "" && leader == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if known, ok := r.ids[addr]; known == member && r.leader == leader {
		return
	} else if member != "" && (ok || len(r.ids) < maxRoutedMasters) {
		r.ids[addr] = member
	}
	r.leader = leader
	r.leaderAddr.Store(nil)
	if leader == "" {
		return
	}
	for a, id := range r.ids {
		if id == leader {
			r.leaderAddr.Store(&a)
			return
		}
	}
}

// maxRoutedMasters bounds routes.ids; a cluster has a handful of masters,
// so hitting it means addresses are churning, and the oldest hints matter
// least (writes then simply fall back to round robin with forwarding).
const maxRoutedMasters = 64

func first(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// addrOf is the address gRPC connects to for an endpoint.
func addrOf(e resolver.Endpoint) string {
	if len(e.Addresses) == 0 {
		return ""
	}
	return e.Addresses[0].Addr
}
