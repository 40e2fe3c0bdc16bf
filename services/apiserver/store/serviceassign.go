package store

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"strconv"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/apiserver/servicenet"
)

// Service types and the headless cluster IP.
const (
	serviceTypeClusterIP    = "ClusterIP"
	serviceTypeNodePort     = "NodePort"
	serviceTypeLoadBalancer = "LoadBalancer"
	clusterIPNone           = "None"
)

// apiServiceKey is the one Service that may hold the range's first
// address, as Kubernetes gives it to default/kubernetes.
const apiServiceKey = "default/kubernetes"

// assignService gives a Service being created (old nil) or updated its
// cluster IP and node ports, or refuses the ones it asks for. It decides
// here, inside Apply, from the stored Services and the ranges the leader
// stamped on the op, so every master picks the same addresses and no two
// masters can hand one out twice. It only writes obj's spec: the index
// follows when the object is stored.
func (tx *txn) assignService(key string, obj, old *gantryv1.Object, op *storagev1.Op) error {
	svc := obj.GetService()
	if svc == nil {
		return nil
	}
	r, err := servicenet.FromProto(op.GetServiceNetwork())
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadCommand, err)
	}
	if svc.Spec == nil {
		svc.Spec = &gantryv1.ServiceSpec{}
	}
	x := tx.s.svc
	x.useRanges(r)
	// The seed is the uid the leader stamped when the Service was created.
	uid := apimeta.Meta(obj).GetUid()
	if old != nil {
		uid = apimeta.Meta(old).GetUid()
	}
	a := assignment{x: x, key: key, name: apimeta.Meta(obj).GetName(), seed: uid}
	if err := a.clusterIP(svc.Spec, old.GetService().GetSpec()); err != nil {
		return err
	}
	return a.nodePorts(svc.Spec)
}

// assignment is one Service's allocation against the index.
type assignment struct {
	x    *serviceIndex
	key  string
	name string
	seed string
}

func (a assignment) invalid(format string, args ...any) error {
	return &fieldError{kind: ErrInvalid, msg: fmt.Sprintf("Service %q is invalid: ", a.name) + fmt.Sprintf(format, args...)}
}

func (a assignment) exhausted(format string, args ...any) error {
	return &fieldError{kind: ErrExhausted, msg: fmt.Sprintf("Service %q: ", a.name) + fmt.Sprintf(format, args...)}
}

// hash turns the Service's uid (stamped by the leader, so the same on
// every master) and a salt into the seed of a dynamic pick.
func (a assignment) hash(salt int) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(a.seed + "/" + strconv.Itoa(salt)))
	return h.Sum64()
}

func (a assignment) clusterIP(spec, old *gantryv1.ServiceSpec) error {
	ip, was := spec.GetClusterIp(), old.GetClusterIp()
	if was != "" && ip != was {
		return a.invalid("spec.clusterIP: Invalid value: %q: field is immutable", ip)
	}
	switch {
	case ip == clusterIPNone:
	case ip == "":
		i := a.x.ipBits.Pick(servicenet.IPBandOffset(a.x.ipBits.Size()), a.hash(-1))
		if i < 0 {
			return a.exhausted("spec.clusterIP: no cluster IP is left in the service range %s (%d addresses, all in use); "+
				"delete a Service or start the apiservers with a wider --service-cluster-ip-range",
				a.x.ipRange.Prefix(), a.x.ipRange.Size()-1)
		}
		ip = a.x.ipRange.Addr(i).String()
	case ip != was:
		if err := a.requestedIP(ip); err != nil {
			return err
		}
	}
	spec.ClusterIp, spec.ClusterIps = ip, []string{ip}
	return nil
}

// requestedIP checks an address the user asked for.
func (a assignment) requestedIP(ip string) error {
	addr, err := netip.ParseAddr(ip)
	if err != nil || !addr.Is4() {
		return a.invalid("spec.clusterIP: Invalid value: %q: must be a valid IPv4 address", ip)
	}
	i, in := a.x.ipRange.Index(addr)
	switch owner, taken := a.x.ips[addr]; {
	case !in:
		return a.invalid("spec.clusterIP: Invalid value: %q: provided IP is not in the valid range. The range of valid IPs is %s "+
			"(without its network and broadcast addresses)", ip, a.x.ipRange.Prefix())
	case taken && owner != a.key:
		return a.invalid("spec.clusterIP: Invalid value: %q: provided IP is already allocated", ip)
	case i == servicenet.Reserved && a.key != apiServiceKey:
		return a.invalid("spec.clusterIP: Invalid value: %q: the first address of the service range is reserved for "+
			"the API server's own Service (%s)", ip, apiServiceKey)
	}
	return nil
}

// nodePorts gives every port of a NodePort or LoadBalancer Service a node
// port. As Kubernetes does, ports with the same number (53/TCP and
// 53/UDP) share one node port, and ports the user set are honoured if
// free and in range. Other types hold none.
func (a assignment) nodePorts(spec *gantryv1.ServiceSpec) error {
	if t := spec.GetType(); t != serviceTypeNodePort && t != serviceTypeLoadBalancer {
		for i, p := range spec.GetPorts() {
			if p.GetNodePort() != 0 {
				return a.invalid("spec.ports[%d].nodePort: Forbidden: may not be used when `type` is '%s'", i, typeOrDefault(t))
			}
		}
		return nil
	}
	bits, rng := a.x.portBits, a.x.portRange
	// Ports chosen here are marked in the bitmap while the plan is made,
	// so that two ports never get the same one, and unmarked after: the
	// index takes them for good when the Service is stored.
	var marked []int
	defer func() {
		for _, i := range marked {
			bits.Clear(i)
		}
	}()
	mark := func(np int32) {
		if i := int(np - rng.First); rng.Contains(np) && !bits.Has(i) {
			bits.Set(i)
			marked = append(marked, i)
		}
	}
	byPort := map[int32]int32{}
	for i, p := range spec.GetPorts() {
		np := p.GetNodePort()
		if np == 0 {
			continue
		}
		owner, taken := a.x.ports[np]
		switch {
		case taken && owner != a.key:
			return a.invalid("spec.ports[%d].nodePort: Invalid value: %d: provided port is already allocated", i, np)
		case !taken && !rng.Contains(np):
			return a.invalid("spec.ports[%d].nodePort: Invalid value: %d: provided port is not in the valid range. "+
				"The range of valid ports is %s", i, np, rng)
		}
		mark(np)
		if _, ok := byPort[p.GetPort()]; !ok {
			byPort[p.GetPort()] = np
		}
	}
	for i, p := range spec.GetPorts() {
		if p.GetNodePort() != 0 {
			continue
		}
		if np, ok := byPort[p.GetPort()]; ok {
			p.NodePort = np
			continue
		}
		j := bits.Pick(servicenet.PortBandOffset(bits.Size()), a.hash(i))
		if j < 0 {
			return a.exhausted("spec.ports[%d].nodePort: no node port is left in the range %s (all %d in use); "+
				"delete a NodePort Service or start the apiservers with a wider --service-node-port-range", i, rng, rng.Size())
		}
		p.NodePort = rng.First + int32(j)
		mark(p.NodePort)
		byPort[p.GetPort()] = p.NodePort
	}
	return nil
}

func typeOrDefault(t string) string {
	if t == "" {
		return serviceTypeClusterIP
	}
	return t
}
