package serviceenv

import (
	"context"
	"fmt"
	"sort"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/informer"
	"go.uber.org/zap"
)

// masterNamespace and masterServices are the Services every pod gets the
// variables of, whatever enableServiceLinks says, as the kubelet does for
// default/kubernetes.
const masterNamespace = "default"

var masterServices = map[string]bool{"kubernetes": true}

// listTimeout bounds the read that stands in for a cache that is behind.
const listTimeout = 5 * time.Second

// Lister reads Services from the API when the cache cannot vouch for
// being complete; *client.Client satisfies it.
type Lister interface {
	List(ctx context.Context, req *gantryv1.ListRequest) (*gantryv1.ListResponse, error)
}

// Source is the agent's cache of every Service, from one watch, and
// answers which variables a pod's containers get.
type Source struct {
	inf  *informer.Informer
	list Lister
	log  *zap.Logger
}

// New sets up (but does not start) the Service cache.
func New(lw informer.ListWatcher, list Lister, logger *zap.Logger) (*Source, error) {
	cfg := informer.DefaultConfig()
	cfg.Kind = apimeta.KindService
	inf, err := informer.New(lw, cfg, logger)
	if err != nil {
		return nil, err
	}
	if err := inf.AddIndex(informer.NamespaceIndex, informer.IndexByNamespace); err != nil {
		return nil, err
	}
	return &Source{inf: inf, list: list, log: logger.Named("serviceenv")}, nil
}

// Run keeps the cache until ctx ends.
func (s *Source) Run(ctx context.Context) error { return s.inf.Run(ctx) }

// Vars returns the variables for the containers of pod, built from the
// Services that exist now: those of the pod's namespace (unless
// enableServiceLinks is false) and default/kubernetes.
//
// The cache is used when it is provably complete for this pod: its
// version is at or past the pod's resource_version, so every Service
// created before the pod is in it (resource versions are Raft indexes,
// one order for every kind). Otherwise — the cache has not seen a Service
// event since — the namespace's Services are read from the API once, so a
// Service created just before its pod is never missed for want of a watch
// event in flight.
func (s *Source) Vars(ctx context.Context, pod *gantryv1.Pod) ([]*gantryv1.EnvVar, error) {
	ns := pod.GetMetadata().GetNamespace()
	links := pod.GetSpec().EnableServiceLinks == nil || pod.GetSpec().GetEnableServiceLinks()
	byName := map[string]*gantryv1.Service{}
	if links {
		local, err := s.namespace(ctx, ns, pod.GetMetadata().GetResourceVersion())
		if err != nil {
			return nil, err
		}
		for _, svc := range local {
			byName[svc.GetMetadata().GetName()] = svc
		}
	}
	for name := range masterServices {
		if o, ok := s.inf.Store().Get(masterNamespace, name); ok {
			if _, dup := byName[name]; !dup || ns != masterNamespace {
				byName[name] = o.GetService()
			}
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	svcs := make([]*gantryv1.Service, len(names))
	for i, n := range names {
		svcs[i] = byName[n]
	}
	return FromServices(svcs), nil
}

// namespace returns the Services of ns, from the cache when it covers
// resource version rv, else from the API.
func (s *Source) namespace(ctx context.Context, ns, rv string) ([]*gantryv1.Service, error) {
	if s.covers(rv) || s.list == nil {
		return s.cached(ns)
	}
	lctx, cancel := context.WithTimeout(ctx, listTimeout)
	defer cancel()
	resp, err := s.list.List(lctx, &gantryv1.ListRequest{Kind: apimeta.KindService, Namespace: ns})
	if err != nil {
		if s.inf.HasSynced() {
			s.log.Warn("reading services failed; using the cache", zap.String("namespace", ns), zap.Error(err))
			return s.cached(ns)
		}
		return nil, fmt.Errorf("services of namespace %s: %w", ns, err)
	}
	out := make([]*gantryv1.Service, 0, len(resp.GetItems()))
	for _, o := range resp.GetItems() {
		out = append(out, o.GetService())
	}
	return out, nil
}

func (s *Source) covers(rv string) bool {
	want, err1 := apimeta.ParseResourceVersion(rv)
	have, err2 := apimeta.ParseResourceVersion(s.inf.LastSyncResourceVersion())
	return s.inf.HasSynced() && err1 == nil && err2 == nil && have >= want
}

func (s *Source) cached(ns string) ([]*gantryv1.Service, error) {
	if !s.inf.HasSynced() {
		return nil, fmt.Errorf("services of namespace %s: the service cache has not synced yet", ns)
	}
	objs, err := s.inf.Store().ListByIndex(informer.NamespaceIndex, ns)
	if err != nil {
		return nil, err
	}
	out := make([]*gantryv1.Service, len(objs))
	for i, o := range objs {
		out[i] = o.GetService()
	}
	return out, nil
}
