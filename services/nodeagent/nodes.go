package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/services/nodeagent/admit"
	"github.com/gantryio/gantry/services/nodeagent/network"
	"github.com/gantryio/gantry/services/nodeagent/nodestatus"
	"github.com/gantryio/gantry/services/nodeagent/podworker"
	"github.com/gantryio/gantry/services/nodeagent/prober"
	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"github.com/gantryio/gantry/services/nodeagent/runtime/process"
	"github.com/gantryio/gantry/services/nodeagent/runtime/simulated"
	"go.uber.org/zap"
)

func systemArch() string { return goruntime.GOARCH }

// eventSource is the component the agent's events name (the kubelet's
// are "kubelet").
const eventSource = "nodeagent"

// newNode builds one node's runtime, admission and pod workers.
func (a *Agent) newNode(name string, capa map[string]string) (*node, error) {
	n := &node{name: name, alloc: capa, events: a.events.NewRecorder(eventSource, name)}
	if a.runtimeName() == "simulated" {
		n.rt = simulated.New(a.cfg.Clock.Now)
	} else {
		pcfg := process.DefaultConfig()
		pcfg.DataDir, pcfg.LogMaxBytes = filepath.Join(a.cfg.DataDir, "runtime"), a.cfg.LogMaxBytes
		if a.net != nil {
			pcfg.Network = a.net
		}
		rt, err := process.New(pcfg, a.log)
		if err != nil {
			return nil, err
		}
		n.rt = a.withPodDNS(rt)
	}
	labels := a.nodeLabels(name)
	n.admit = admit.New(func() admit.Node { return admit.Node{Labels: labels, Allocatable: capa} })
	pcfg := podworker.DefaultConfig()
	pcfg.NodeName, pcfg.HostIP, pcfg.Clock = name, a.cfg.NodeIP, a.cfg.Clock
	pcfg.BackoffInitial, pcfg.BackoffMax = a.cfg.BackoffInitial, a.cfg.BackoffMax
	deps := podworker.Deps{Runtime: n.rt, Status: a.status, Deleter: a.deleter, Admitter: n.admit, Recorder: n.events}
	if a.runtimeName() == "simulated" {
		// Thousands of hollow pods would record for nothing but cost:
		// scale tests measure the control plane, not event writes.
		deps.Recorder = events.Discard
	}
	log := a.log.With(zap.String("node", name))
	// Simulated containers run nothing to probe: they are ready at once.
	if a.runtimeName() != "simulated" {
		prcfg := prober.DefaultConfig()
		prcfg.Clock, prcfg.UserAgent, prcfg.Recorder = a.cfg.Clock, "gantry-probe/"+a.cfg.Version, n.events
		// The prober wakes a pod's worker when a result changes, so a
		// readiness flip reaches the API in one status flush.
		n.probes = prober.New(prcfg, n.rt, func(uid string) { n.pods.Poke(uid) }, log)
		deps.Prober = n.probes
	}
	if a.svcEnv != nil {
		deps.ServiceEnv = a.svcEnv
	}
	n.pods = podworker.New(pcfg, deps, log)
	return n, nil
}

// setupNetwork decides between pod networking and the host network.
func (a *Agent) setupNetwork() error {
	if a.cfg.Simulate > 0 || a.cfg.Runtime != "process" || a.cfg.Network == NetworkHost {
		return nil
	}
	err := network.Available(a.cfg.CNIPluginDirs)
	if err != nil {
		if a.cfg.Network == NetworkPod {
			return fmt.Errorf("--network pod: %w", err)
		}
		a.log.Warn("pods share the host network", zap.String("why", err.Error()))
		return nil
	}
	ncfg := network.DefaultConfig()
	ncfg.NodeName, ncfg.DataDir, ncfg.PluginDirs, ncfg.ClusterCIDR = a.cfg.Name, filepath.Join(a.cfg.DataDir, "cni"), a.cfg.CNIPluginDirs, a.cfg.ClusterCIDR
	a.net, err = network.New(ncfg, a.log)
	return err
}

// setNetworkConditions states the node's network in its conditions.
func (a *Agent) setNetworkConditions() {
	if a.cfg.Simulate > 0 {
		return
	}
	name := a.cfg.Name
	if a.net == nil {
		why := "the node agent does not run as root"
		if os.Geteuid() == 0 {
			why = "pod networking is off or the CNI plugins are missing"
		}
		_ = a.nodeSt.SetCondition(name, "NetworkUnavailable", nodestatus.Condition{Reason: "HostNetwork",
			Message: "pods share the host network: " + why})
		_ = a.nodeSt.SetCondition(name, "Ready", nodestatus.Condition{Status: true, Reason: "KubeletReady",
			Message: "kubelet is posting ready status; pods use the host network (" + why + ")"})
		return
	}
	if a.net.PodCIDR() == "" {
		_ = a.nodeSt.SetCondition(name, "NetworkUnavailable", nodestatus.Condition{Status: true, Reason: "NoPodCIDR",
			Message: "waiting for spec.podCIDR"})
		_ = a.nodeSt.SetCondition(name, "Ready", nodestatus.Condition{Reason: "KubeletNotReady",
			Message: "network not ready: waiting for the node's spec.podCIDR"})
		return
	}
	_ = a.nodeSt.SetCondition(name, "NetworkUnavailable", nodestatus.Condition{Reason: "BridgeReady",
		Message: fmt.Sprintf("pods get addresses from %s on bridge %s", a.net.PodCIDR(), a.net.Bridge())})
	_ = a.nodeSt.SetCondition(name, "Ready", nodestatus.Condition{Status: true, Reason: "KubeletReady", Message: "kubelet is posting ready status"})
}

// observeSpecs applies the registered nodes' specs (the pod CIDR).
func (a *Agent) observeSpecs() {
	if a.net != nil {
		a.podCIDR(a.nodeSt.Spec(a.cfg.Name).GetPodCidr())
	}
}

func (a *Agent) podCIDR(cidr string) {
	if cidr == "" || cidr == a.net.PodCIDR() {
		return
	}
	if err := a.net.SetPodCIDR(cidr); err != nil {
		a.log.Error("pod CIDR", zap.String("cidr", cidr), zap.Error(err))
		return
	}
	a.log.Info("pod network ready", zap.String("podCIDR", cidr), zap.String("bridge", a.net.Bridge()))
	a.setNetworkConditions()
}

// watchNode follows the agent's own Nodes: for the pod CIDR the
// controller allocates, and for statuses someone else wrote (the node
// lifecycle controller's Unknown after this agent was stopped or cut
// off), which are written over at once. Hollow nodes share one watch of
// every Node.
func (a *Agent) watchNode(ctx context.Context) error {
	cfg := informer.DefaultConfig()
	cfg.Kind = "Node"
	if a.cfg.Simulate == 0 {
		cfg.FieldSelector = "metadata.name=" + a.cfg.Name
	}
	inf, err := informer.New(a.client, cfg, a.log)
	if err != nil {
		return err
	}
	on := func(o *gantryv1.Object) {
		n := o.GetNode()
		name := n.GetMetadata().GetName()
		if _, ok := a.byName[name]; !ok {
			return
		}
		a.nodeSt.ObserveSpec(name, n.GetSpec())
		a.nodeSt.ObserveStatus(name, n.GetStatus())
		if a.net != nil && name == a.cfg.Name {
			a.podCIDR(n.GetSpec().GetPodCidr())
		}
	}
	if err := inf.AddEventHandler(informer.Handler{OnAdd: on, OnUpdate: func(_, n *gantryv1.Object) { on(n) }}); err != nil {
		return err
	}
	return inf.Run(ctx)
}

// stopEverything stops every pod's containers and removes what the agent
// created (network namespaces, the bridge, IPAM state): the node goes away.
func (a *Agent) stopEverything() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, n := range a.nodes {
		for _, uid := range n.rt.Pods() {
			for _, c := range n.rt.PodContainers(uid) {
				if c.State == runtime.StateRunning {
					if err := n.rt.StopContainer(ctx, c.ID, 10*time.Second); err != nil && !errors.Is(err, runtime.ErrNotFound) {
						a.log.Warn("stop container", zap.String("uid", uid), zap.Error(err))
					}
				}
			}
			if err := n.rt.RemovePod(ctx, uid); err != nil {
				a.log.Warn("remove pod", zap.String("uid", uid), zap.Error(err))
			}
		}
	}
	if a.net != nil {
		if err := a.net.Cleanup(ctx); err != nil {
			a.log.Warn("network cleanup", zap.Error(err))
		}
	}
}
