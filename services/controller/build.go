package controller

import (
	"fmt"

	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"github.com/gantryio/gantry/services/controller/deployment"
	"github.com/gantryio/gantry/services/controller/disruption"
	"github.com/gantryio/gantry/services/controller/endpointslice"
	"github.com/gantryio/gantry/services/controller/gc"
	"github.com/gantryio/gantry/services/controller/nodeipam"
	"github.com/gantryio/gantry/services/controller/nodelifecycle"
	"github.com/gantryio/gantry/services/controller/replicaset"
)

// cache returns the shared informer of kind as a ctrl.Cache, creating it
// on first use.
func (m *Manager) cache(kind string) (ctrl.Cache, error) {
	if inf, ok := m.informers[kind]; ok {
		return ctrl.InformerCache{Informer: inf}, nil
	}
	cfg := informer.DefaultConfig()
	cfg.Kind, cfg.PageSize = kind, m.cfg.InformerPageSize
	inf, err := informer.New(m.api, cfg, m.log)
	if err != nil {
		return nil, fmt.Errorf("controller: informer for %s: %w", kind, err)
	}
	m.informers[kind] = inf
	return ctrl.InformerCache{Informer: inf}, nil
}

func (m *Manager) caches(kinds ...string) ([]ctrl.Cache, error) {
	out := make([]ctrl.Cache, len(kinds))
	for i, k := range kinds {
		c, err := m.cache(k)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// build creates the enabled controllers over shared informers.
func (m *Manager) build() error {
	builders := map[string]func() (Controller, error){
		ReplicaSet: m.buildReplicaSet, Deployment: m.buildDeployment,
		GarbageCollector: m.buildGC, NodeIPAM: m.buildNodeIPAM, NodeLifecycle: m.buildNodeLifecycle,
		EndpointSlice: m.buildEndpointSlice, Disruption: m.buildDisruption,
	}
	for _, name := range AllControllers {
		if !m.cfg.enabled(name) {
			continue
		}
		c, err := builders[name]()
		if err != nil {
			return fmt.Errorf("controller: %s: %w", name, err)
		}
		m.controllers = append(m.controllers, c)
	}
	return nil
}

func (m *Manager) buildReplicaSet() (Controller, error) {
	cs, err := m.caches(apimeta.KindReplicaSet, apimeta.KindPod)
	if err != nil {
		return nil, err
	}
	return replicaset.New(m.cfg.ReplicaSet, replicaset.Deps{Client: m.api, ReplicaSets: cs[0], Pods: cs[1], Clock: m.clock,
		Recorder: events.NewRecorder(m.events, "replicaset-controller", "")}, m.log)
}

func (m *Manager) buildDeployment() (Controller, error) {
	cs, err := m.caches(apimeta.KindDeployment, apimeta.KindReplicaSet, apimeta.KindPod)
	if err != nil {
		return nil, err
	}
	return deployment.New(m.cfg.Deployment, deployment.Deps{Client: m.api, Deployments: cs[0], ReplicaSets: cs[1], Pods: cs[2], Clock: m.clock,
		Recorder: events.NewRecorder(m.events, "deployment-controller", "")}, m.log)
}

func (m *Manager) buildGC() (Controller, error) {
	caches := map[string]ctrl.Cache{}
	for _, k := range m.cfg.GCKinds {
		c, err := m.cache(k)
		if err != nil {
			return nil, err
		}
		caches[k] = c
	}
	return gc.New(m.cfg.GC, gc.Deps{Client: m.api, Caches: caches, Clock: m.clock}, m.log)
}

func (m *Manager) buildNodeIPAM() (Controller, error) {
	c, err := m.cache(apimeta.KindNode)
	if err != nil {
		return nil, err
	}
	return nodeipam.New(m.cfg.NodeIPAM, nodeipam.Deps{Client: m.api, Nodes: c, Clock: m.clock}, m.log)
}

func (m *Manager) buildNodeLifecycle() (Controller, error) {
	cs, err := m.caches(apimeta.KindNode, apimeta.KindLease, apimeta.KindPod)
	if err != nil {
		return nil, err
	}
	return nodelifecycle.New(m.cfg.NodeLifecycle, nodelifecycle.Deps{Client: m.api, Nodes: cs[0], Leases: cs[1], Pods: cs[2], Clock: m.clock,
		Recorder: events.NewRecorder(m.events, "node-controller", "")}, m.log)
}

func (m *Manager) buildEndpointSlice() (Controller, error) {
	cs, err := m.caches(apimeta.KindService, apimeta.KindPod, apimeta.KindEndpointSlice)
	if err != nil {
		return nil, err
	}
	return endpointslice.New(m.cfg.EndpointSlice, endpointslice.Deps{Client: m.api, Services: cs[0], Pods: cs[1], Slices: cs[2], Clock: m.clock}, m.log)
}

func (m *Manager) buildDisruption() (Controller, error) {
	cs, err := m.caches(apimeta.KindPodDisruptionBudget, apimeta.KindPod, apimeta.KindReplicaSet, apimeta.KindDeployment)
	if err != nil {
		return nil, err
	}
	return disruption.New(m.cfg.Disruption, disruption.Deps{Client: m.api, Budgets: cs[0], Pods: cs[1], ReplicaSets: cs[2],
		Deployments: cs[3], Clock: m.clock}, m.log)
}
