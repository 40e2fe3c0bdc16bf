package client

import (
	"fmt"
	"sync/atomic"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/health" // client-side health checking
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
)

// scheme is the manual resolver's URI scheme; each Client has its own
// resolver instance registered on its connection only.
const scheme = "gantry-masters"

// Client talks to a Gantry cluster through one gRPC connection that spans
// every master. It is safe for concurrent use.
type Client struct {
	cfg      Config
	log      *zap.Logger
	conn     *grpc.ClientConn
	resolver *manual.Resolver
	res      gantryv1.ResourceServiceClient
	cluster  gantryv1.ClusterServiceClient
	closed   atomic.Bool
}

// New returns a client for cfg.Servers. It does not wait for a connection:
// connecting starts at once in the background and calls wait for it (or
// fail and retry) as their rules say. A nil logger logs nothing.
func New(cfg Config, logger *zap.Logger) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	r := manual.NewBuilderWithScheme(scheme)
	r.InitialState(stateFor(cfg.Servers))
	conn, err := grpc.NewClient(scheme+":///masters", dialOptions(cfg, r)...)
	if err != nil {
		return nil, fmt.Errorf("client: dial %v: %w", cfg.Servers, err)
	}
	conn.Connect()
	return &Client{
		cfg:      cfg,
		log:      logger.Named("client"),
		conn:     conn,
		resolver: r,
		res:      gantryv1.NewResourceServiceClient(conn),
		cluster:  gantryv1.NewClusterServiceClient(conn),
	}, nil
}

// serviceConfig picks the client's own balancer (balancer.go): every master
// serves every read and watch, so spreading them (above all the long-lived
// watches) over all masters balances load, and connections to all masters
// are kept open, so losing one fails over to an already connected master
// without a dial. Writes go to the leader once a master's answer has named
// it; until then, or when the hint is stale, a follower forwards them.
func serviceConfig(health bool) string {
	if health {
		return `{"loadBalancingConfig":[{"` + balancerName + `":{}}],"healthCheckConfig":{"serviceName":""}}`
	}
	return `{"loadBalancingConfig":[{"` + balancerName + `":{}}]}`
}

func dialOptions(cfg Config, r *manual.Resolver) []grpc.DialOption {
	creds := cfg.Credentials
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	var callOpts []grpc.CallOption
	if cfg.MaxRecvMsgSize > 0 {
		callOpts = append(callOpts, grpc.MaxCallRecvMsgSize(cfg.MaxRecvMsgSize))
	}
	if cfg.MaxSendMsgSize > 0 {
		callOpts = append(callOpts, grpc.MaxCallSendMsgSize(cfg.MaxSendMsgSize))
	}
	connect := grpc.ConnectParams{
		// Masters come back within seconds; do not wait gRPC's default
		// two minutes between reconnect attempts.
		Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 3 * time.Second},
		MinConnectTimeout: cfg.DialTimeout,
	}
	opts := []grpc.DialOption{
		grpc.WithResolvers(r),
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultServiceConfig(serviceConfig(cfg.HealthCheck)),
		grpc.WithConnectParams(connect),
		grpc.WithDefaultCallOptions(callOpts...),
	}
	if cfg.KeepaliveTime > 0 {
		opts = append(opts, grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time: cfg.KeepaliveTime, Timeout: cfg.KeepaliveTimeout, PermitWithoutStream: true,
		}))
	}
	return append(opts, cfg.DialOptions...)
}

func stateFor(servers []string) resolver.State {
	eps := make([]resolver.Endpoint, len(servers))
	for i, s := range servers {
		eps[i] = resolver.Endpoint{Addresses: []resolver.Address{{Addr: s}}}
	}
	return resolver.State{Endpoints: eps}
}

// SetServers replaces the set of masters (after a membership change).
// Calls in flight on a removed master finish or fail as usual.
func (c *Client) SetServers(servers []string) error {
	if len(servers) == 0 {
		return fmt.Errorf("%w: no servers", ErrConfig)
	}
	c.resolver.UpdateState(stateFor(servers))
	return nil
}

// Resources returns the raw ResourceService stub, without retries.
func (c *Client) Resources() gantryv1.ResourceServiceClient { return c.res }

// Cluster returns the raw ClusterService stub, without retries.
func (c *Client) Cluster() gantryv1.ClusterServiceClient { return c.cluster }

// Conn returns the underlying connection, for other services' stubs.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Close closes the connection; calls and watches in flight fail. Closing
// twice is harmless.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	return c.conn.Close()
}
