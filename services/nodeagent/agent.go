package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/clientconfig"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/services/nodeagent/admit"
	"github.com/gantryio/gantry/services/nodeagent/lease"
	"github.com/gantryio/gantry/services/nodeagent/network"
	"github.com/gantryio/gantry/services/nodeagent/nodestatus"
	"github.com/gantryio/gantry/services/nodeagent/podworker"
	"github.com/gantryio/gantry/services/nodeagent/prober"
	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"github.com/gantryio/gantry/services/nodeagent/serviceenv"
	"github.com/gantryio/gantry/services/nodeagent/status"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/reflection"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// node is one node this agent plays.
type node struct {
	name  string
	rt    runtime.Runtime
	admit *admit.Admitter
	pods  *podworker.Manager
	// probes is nil for simulated nodes.
	probes *prober.Manager
	// events records the node's events (its pods': podworker, prober).
	events events.Recorder
	alloc  map[string]string
}

// Agent is a running node agent.
type Agent struct {
	cfg     Config
	log     *zap.Logger
	client  *client.Client
	lis     net.Listener
	grpc    *grpc.Server
	health  *health.Server
	http    *http.Server
	nodes   []*node
	byName  map[string]*node
	status  *status.Manager
	deleter *status.Deleter
	leases  *lease.Renewer
	nodeSt  *nodestatus.Manager
	net     *network.Manager // nil: pods use the host network
	podInf  *informer.Informer
	// svcEnv caches every Service for the containers' Service variables;
	// nil for simulated nodes, which run nothing to read them.
	svcEnv *serviceenv.Source
	labels map[string]string
	// events writes what the agent's nodes and pods record.
	events *events.Broadcaster
	// execs holds a token per running exec session (at most maxExecs).
	execs chan struct{}
}

// apiAdapter gives the lease and node managers the calls they use.
type apiAdapter struct{ *client.Client }

func (a apiAdapter) Batch(ctx context.Context, in *gantryv1.BatchRequest, opts ...grpc.CallOption) (*gantryv1.BatchResponse, error) {
	return a.Resources().Batch(ctx, in, opts...)
}

// New prepares an agent: it binds its ports, opens its runtime (adopting
// running containers) and sets up, but does not start, its loops.
func New(cfg Config, logger *zap.Logger) (*Agent, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if len(cfg.Servers) == 0 {
		servers, err := configuredServers()
		if err != nil {
			return nil, err
		}
		cfg.Servers = servers
	}
	ccfg := client.DefaultConfig()
	ccfg.Servers = cfg.Servers
	c, err := client.New(ccfg, logger)
	if err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, log: logger.Named("nodeagent"), client: c, byName: map[string]*node{}}
	if err := a.setup(); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func configuredServers() ([]string, error) {
	path, err := clientconfig.Path()
	if err != nil {
		return nil, err
	}
	cc, err := clientconfig.Load(path)
	if err != nil {
		return nil, fmt.Errorf("no --servers and %w", err)
	}
	return cc.Servers, nil
}

func (a *Agent) setup() error {
	var err error
	if a.lis, err = net.Listen("tcp", a.cfg.Listen); err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Listen, err)
	}
	if err := a.setupNetwork(); err != nil {
		return err
	}
	capa, err := capacity(a.cfg)
	if err != nil {
		return err
	}
	api := apiAdapter{a.client}
	scfg := status.DefaultConfig()
	scfg.Interval, scfg.Clock = a.cfg.StatusInterval, a.cfg.Clock
	a.status = status.New(scfg, a.client.Resources(), a.log)
	a.deleter = status.NewDeleter(a.client.Resources(), 50*time.Millisecond, 500)
	if a.events, err = events.New(events.DefaultConfig(), events.NewSink(a.client.Resources()), a.log); err != nil {
		return err
	}
	if a.cfg.Simulate == 0 {
		if a.svcEnv, err = serviceenv.New(a.client, a.client, a.log); err != nil {
			return err
		}
	}
	var nodes []nodestatus.Node
	for _, name := range a.nodeNames() {
		n, err := a.newNode(name, capa)
		if err != nil {
			return err
		}
		a.nodes, a.byName[name] = append(a.nodes, n), n
		nodes = append(nodes, a.describe(name, capa))
	}
	ncfg := nodestatus.DefaultConfig()
	ncfg.Interval, ncfg.Clock = a.cfg.HeartbeatInterval, a.cfg.Clock
	ncfg.Recorder = func(node string) events.Recorder {
		if n, ok := a.byName[node]; ok {
			return n.events
		}
		return events.Discard
	}
	a.nodeSt = nodestatus.New(ncfg, api, nodes, a.log)
	a.setNetworkConditions()
	lcfg := lease.DefaultConfig()
	lcfg.Duration, lcfg.RenewInterval, lcfg.Clock = a.cfg.LeaseDuration, a.cfg.LeaseRenewInterval, a.cfg.Clock
	a.leases = lease.New(lcfg, api, a.log)
	if err := a.setupPodInformer(); err != nil {
		return err
	}
	a.setupServers()
	return nil
}

// nodeNames are the nodes this agent plays.
func (a *Agent) nodeNames() []string {
	if a.cfg.Simulate == 0 {
		return []string{a.cfg.Name}
	}
	out := make([]string, a.cfg.Simulate)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", a.cfg.NamePrefix, i)
	}
	return out
}

func (a *Agent) nodeLabels(name string) map[string]string {
	l := map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": systemArch()}
	if a.cfg.Simulate > 0 {
		l["gantry.io/simulated"] = "true"
	}
	for k, v := range a.cfg.Labels {
		l[k] = v
	}
	return l
}

func (a *Agent) describe(name string, capa map[string]string) nodestatus.Node {
	return nodestatus.Node{Name: name, Labels: a.nodeLabels(name), Capacity: capa, Allocatable: capa,
		Address: a.cfg.NodeIP, Port: int32(a.lis.Addr().(*net.TCPAddr).Port),
		Info: systemInfo(a.cfg.Version, a.runtimeName()), PodCIDR: a.cfg.PodCIDR}
}

func (a *Agent) runtimeName() string {
	if a.cfg.Simulate > 0 {
		return "simulated"
	}
	return a.cfg.Runtime
}

// Addr returns the gRPC address NodeAgentService listens on.
func (a *Agent) Addr() string { return a.lis.Addr().String() }

// NetworkMode is "pod-network" or "host".
func (a *Agent) NetworkMode() string {
	if a.net != nil {
		return "pod-network"
	}
	return "host"
}

// Run serves and keeps the node(s) and their pods until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	defer a.close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 8)
	var wg sync.WaitGroup
	run := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	go func() {
		if err := a.grpc.Serve(a.lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			errc <- fmt.Errorf("grpc: %w", err)
		}
	}()
	if err := a.startHTTP(errc); err != nil {
		return err
	}
	run("events", func(ctx context.Context) error { a.events.Run(ctx); return nil })
	run("status", a.status.Run)
	run("deleter", a.deleter.Run)
	for _, n := range a.nodes {
		run("pods "+n.name, n.pods.Run)
		if n.probes != nil {
			run("probes "+n.name, n.probes.Run)
		}
	}
	a.log.Info("node agent starting", zap.Int("nodes", len(a.nodes)), zap.String("runtime", a.runtimeName()),
		zap.String("network", a.NetworkMode()), zap.String("grpc", a.Addr()), zap.String("http", a.cfg.HTTPListen))
	if err := a.nodeSt.Register(ctx); err != nil {
		cancel()
		wg.Wait()
		return err
	}
	for _, n := range a.nodes {
		a.leases.Add(n.name, a.nodeSt.UID(n.name))
	}
	a.observeSpecs()
	run("lease", a.leases.Run)
	run("node status", a.nodeSt.Run)
	run("node watch", a.watchNode)
	run("pod informer", a.podInf.Run)
	if a.svcEnv != nil {
		run("service informer", a.svcEnv.Run)
	}
	run("orphans", a.cleanupOrphans)
	a.log.Info("node agent registered", zap.Strings("nodes", a.firstNames(5)))
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		a.log.Error("node agent failed", zap.Error(err))
	}
	cancel()
	wg.Wait()
	if a.cfg.StopPodsOnExit {
		a.stopEverything()
	}
	a.log.Info("node agent stopped")
	return err
}

func (a *Agent) firstNames(n int) []string {
	var out []string
	for _, nd := range a.nodes[:min(n, len(a.nodes))] {
		out = append(out, nd.name)
	}
	return out
}

// close releases ports and connections.
func (a *Agent) close() {
	if a.health != nil {
		a.health.Shutdown()
	}
	if a.grpc != nil {
		stopped := make(chan struct{})
		go func() { a.grpc.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(time.Second):
			a.grpc.Stop()
		}
	} else if a.lis != nil {
		_ = a.lis.Close()
	}
	if a.http != nil {
		hctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = a.http.Shutdown(hctx)
		cancel()
	}
	_ = a.client.Close()
}

func (a *Agent) setupServers() {
	a.grpc = grpc.NewServer(grpc.MaxSendMsgSize(16<<20), grpc.MaxRecvMsgSize(4<<20))
	a.execs = make(chan struct{}, maxExecs)
	gantryv1.RegisterNodeAgentServiceServer(a.grpc, &agentService{a: a})
	a.health = health.NewServer()
	healthpb.RegisterHealthServer(a.grpc, a.health)
	reflection.Register(a.grpc)
	a.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	a.health.SetServingStatus(gantryv1.NodeAgentService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
}
