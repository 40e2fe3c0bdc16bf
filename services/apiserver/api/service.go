package api

import (
	"github.com/gantryio/gantry/internal/coalesce"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/apiserver/admission"
	"github.com/gantryio/gantry/services/apiserver/servicenet"
	"github.com/gantryio/gantry/services/apiserver/store"
	"github.com/gantryio/gantry/services/apiserver/watch"
	"go.uber.org/zap"
)

// maxMsgBytes bounds gRPC messages between masters and from clients.
const maxMsgBytes = 16 << 20

// MaxObjectBytes bounds one stored object, as etcd's request limit bounds
// a Kubernetes object.
const MaxObjectBytes = 1 << 20

// Config configures the handlers.
type Config struct {
	// ForwardHold is how long a call waits for a leader before failing.
	ForwardHold time.Duration
	// Now is the clock the leader stamps objects with.
	Now func() time.Time
	// NameSuffix makes the random part of generated names.
	NameSuffix func() string
	// Tolerations are the tolerationSeconds new pods get for the node
	// lifecycle taints (see admission.TolerationDefaults).
	Tolerations admission.TolerationDefaults
	// ServiceNetwork is where Services get cluster IPs and node ports
	// from. The leader stamps it on every Service write, and the store
	// allocates inside Apply, so all masters should be given the same.
	ServiceNetwork servicenet.Ranges
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{ForwardHold: 5 * time.Second, Now: time.Now, NameSuffix: randomSuffix, Tolerations: admission.DefaultTolerations(),
		ServiceNetwork: servicenet.Default()}
}

// Service implements ResourceService and ClusterService on one master.
type Service struct {
	gantryv1.UnimplementedResourceServiceServer
	gantryv1.UnimplementedClusterServiceServer

	cfg   Config
	raft  Raft
	st    *store.Store
	watch *watch.Server
	fwd   *forwarder
	// reads lets concurrent linearizable reads on a follower share one
	// ReadIndex call to the leader (a gRPC round trip per read otherwise).
	reads *coalesce.Rounds[uint64]
	log   *zap.Logger
}

// New returns the handlers of one master.
func New(cfg Config, r Raft, st *store.Store, w *watch.Server, logger *zap.Logger) *Service {
	log := logger.Named("api")
	if cfg.NameSuffix == nil {
		cfg.NameSuffix = randomSuffix
	}
	if !cfg.ServiceNetwork.ClusterIPs.IsValid() {
		cfg.ServiceNetwork = servicenet.Default()
	}
	s := &Service{cfg: cfg, raft: r, st: st, watch: w, fwd: newForwarder(r, st, cfg.ForwardHold, log), log: log}
	s.reads = coalesce.New(s.fetchReadIndex, readWait, maxReadWaiters)
	return s
}

// Close releases connections to other masters.
func (s *Service) Close() { s.fwd.close() }
