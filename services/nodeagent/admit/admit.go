package admit

import (
	"fmt"
	"sort"
	"sync"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Node is what admission needs to know of the node.
type Node struct {
	Labels      map[string]string
	Allocatable map[string]string
}

// Result is an admission decision.
type Result struct {
	Admit bool
	// Reason and Message go into the refused pod's status.
	Reason, Message string
}

// Admitter tracks the pods admitted to one node. Safe for concurrent use.
type Admitter struct {
	node func() Node
	mu   sync.Mutex
	pods map[string]usage // uid -> what it takes
}

type usage struct {
	requests map[string]resource.Quantity
	ports    []hostPort
}

type hostPort struct {
	protocol, ip string
	port         int32
}

// New returns an admitter for the node node describes (called on every
// decision, so it may change).
func New(node func() Node) *Admitter {
	return &Admitter{node: node, pods: map[string]usage{}}
}

// Admit decides whether pod fits and, if so, counts it.
func (a *Admitter) Admit(pod *gantryv1.Pod) Result {
	a.mu.Lock()
	defer a.mu.Unlock()
	uid := pod.GetMetadata().GetUid()
	if _, ok := a.pods[uid]; ok {
		return Result{Admit: true}
	}
	node := a.node()
	u := usageOf(pod)
	if r := matchSelector(pod, node); !r.Admit {
		return r
	}
	if r := a.fitsResources(u, node); !r.Admit {
		return r
	}
	if r := a.fitsPorts(u); !r.Admit {
		return r
	}
	a.pods[uid] = u
	return Result{Admit: true}
}

// Force counts a pod without checking it: one that already runs (found
// running after an agent restart) stays, whatever it takes.
func (a *Admitter) Force(pod *gantryv1.Pod) {
	a.mu.Lock()
	a.pods[pod.GetMetadata().GetUid()] = usageOf(pod)
	a.mu.Unlock()
}

// Release stops counting a pod (it finished or is gone).
func (a *Admitter) Release(uid string) {
	a.mu.Lock()
	delete(a.pods, uid)
	a.mu.Unlock()
}

// Count returns the number of admitted pods.
func (a *Admitter) Count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.pods)
}

func rejected(reason, msg string) Result {
	return Result{Reason: reason, Message: "Pod was rejected: " + msg}
}

func matchSelector(pod *gantryv1.Pod, node Node) Result {
	for k, v := range pod.GetSpec().GetNodeSelector() {
		if got, ok := node.Labels[k]; !ok || got != v {
			return rejected("NodeAffinity", "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector")
		}
	}
	return Result{Admit: true}
}

// fitsResources checks the pod count and every requested resource against
// what is allocatable minus what admitted pods request.
func (a *Admitter) fitsResources(u usage, node Node) Result {
	if q, err := resource.ParseQuantity(node.Allocatable["pods"]); err == nil && int64(len(a.pods))+1 > q.Value() {
		return rejected("OutOfpods", fmt.Sprintf("Node didn't have enough resource: pods, requested: 1, used: %d, capacity: %d", len(a.pods), q.Value()))
	}
	names := make([]string, 0, len(u.requests))
	for n := range u.requests {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		req := u.requests[name]
		if req.IsZero() {
			continue
		}
		capQ, err := resource.ParseQuantity(node.Allocatable[name])
		if err != nil {
			capQ = resource.Quantity{}
		}
		used := resource.Quantity{}
		for _, p := range a.pods {
			if q, ok := p.requests[name]; ok {
				used.Add(q)
			}
		}
		total := used.DeepCopy()
		total.Add(req)
		if total.Cmp(capQ) > 0 {
			return rejected("OutOf"+name, fmt.Sprintf("Node didn't have enough resource: %s, requested: %d, used: %d, capacity: %d",
				name, amount(name, req), amount(name, used), amount(name, capQ)))
		}
	}
	return Result{Admit: true}
}

// amount is how the kubelet prints a quantity: millicores for cpu.
func amount(name string, q resource.Quantity) int64 {
	if name == "cpu" {
		return q.MilliValue()
	}
	return q.Value()
}

func (a *Admitter) fitsPorts(u usage) Result {
	for _, want := range u.ports {
		for _, p := range a.pods {
			for _, have := range p.ports {
				if conflicts(want, have) {
					return rejected("NodePorts", "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports")
				}
			}
		}
	}
	return Result{Admit: true}
}

func conflicts(a, b hostPort) bool {
	if a.port != b.port || a.protocol != b.protocol {
		return false
	}
	return a.ip == b.ip || a.ip == "0.0.0.0" || b.ip == "0.0.0.0"
}

// usageOf sums the containers' requests (a limit stands in for a missing
// request, as Kubernetes defaults it) and collects their host ports.
func usageOf(pod *gantryv1.Pod) usage {
	u := usage{requests: map[string]resource.Quantity{}}
	for _, c := range pod.GetSpec().GetContainers() {
		res := c.GetResources()
		seen := map[string]bool{}
		for name, v := range res.GetRequests() {
			addQuantity(u.requests, name, v)
			seen[name] = true
		}
		for name, v := range res.GetLimits() {
			if !seen[name] {
				addQuantity(u.requests, name, v)
			}
		}
		for _, p := range c.GetPorts() {
			if p.GetHostPort() <= 0 {
				continue
			}
			hp := hostPort{protocol: p.GetProtocol(), ip: p.GetHostIp(), port: p.GetHostPort()}
			if hp.protocol == "" {
				hp.protocol = "TCP"
			}
			if hp.ip == "" {
				hp.ip = "0.0.0.0"
			}
			u.ports = append(u.ports, hp)
		}
	}
	return u
}

func addQuantity(m map[string]resource.Quantity, name, v string) {
	q, err := resource.ParseQuantity(v)
	if err != nil {
		return
	}
	sum := m[name]
	sum.Add(q)
	m[name] = sum
}
