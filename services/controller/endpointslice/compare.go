package endpointslice

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/controller/ctrl"
)

// portKey identifies a port list regardless of its order: two slices with
// the same key can hold each other's endpoints.
func portKey(ports []*gantryv1.EndpointPort) string {
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = p.GetName() + "\x00" + protocolOf(p.GetProtocol()) + "\x00" + strconv.Itoa(int(p.GetPort())) + "\x00" + p.GetAppProtocol()
	}
	slices.Sort(parts)
	return strings.Join(parts, "\x01")
}

// endpointKey identifies an endpoint across syncs: its pod (by uid, so a
// pod recreated under the same name is another endpoint), or its
// addresses for an endpoint someone wrote without a target.
func endpointKey(ep *gantryv1.Endpoint) string {
	if uid := ep.GetTargetRef().GetUid(); uid != "" {
		return uid
	}
	// A uid never holds a NUL.
	return "\x00" + strings.Join(ep.GetAddresses(), ",")
}

// endpointEqual compares the fields the controller writes.
func endpointEqual(a, b *gantryv1.Endpoint) bool {
	ta, tb := a.GetTargetRef(), b.GetTargetRef()
	ca, cb := conditions(a), conditions(b)
	return slices.Equal(a.GetAddresses(), b.GetAddresses()) &&
		boolPtrEqual(ca.Ready, cb.Ready) && boolPtrEqual(ca.Serving, cb.Serving) &&
		boolPtrEqual(ca.Terminating, cb.Terminating) &&
		a.GetHostname() == b.GetHostname() &&
		strPtrEqual(a.NodeName, b.NodeName) &&
		(ta == nil) == (tb == nil) &&
		ta.GetKind() == tb.GetKind() && ta.GetNamespace() == tb.GetNamespace() &&
		ta.GetName() == tb.GetName() && ta.GetUid() == tb.GetUid()
}

// conditions returns the endpoint's conditions, never nil (for reading).
func conditions(ep *gantryv1.Endpoint) *gantryv1.EndpointConditions {
	if c := ep.GetConditions(); c != nil {
		return c
	}
	return &gantryv1.EndpointConditions{}
}

func boolPtrEqual(a, b *bool) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func strPtrEqual(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// sliceLabels returns the labels of the Service's slices: the Service's
// own, plus the controller's (which win).
func sliceLabels(svc *gantryv1.Service) map[string]string {
	m := svc.GetMetadata()
	out := make(map[string]string, len(m.GetLabels())+3)
	maps.Copy(out, m.GetLabels())
	delete(out, LabelHeadless)
	out[LabelServiceName] = m.GetName()
	out[LabelManagedBy] = ManagedBy
	if svc.GetSpec().GetClusterIp() == "None" {
		out[LabelHeadless] = ""
	}
	return out
}

// ownedBy reports whether the slice's controller is the Service (and not
// an older Service of the same name).
func ownedBy(s *gantryv1.EndpointSlice, svc *gantryv1.Service) bool {
	return ctrl.IsControlledBy(s.GetMetadata(), svc.GetMetadata().GetUid())
}

// managedServiceKey returns "namespace/service" for a slice this
// controller manages.
func managedServiceKey(s *gantryv1.EndpointSlice) (string, bool) {
	m := s.GetMetadata()
	name := m.GetLabels()[LabelServiceName]
	if name == "" || m.GetLabels()[LabelManagedBy] != ManagedBy {
		return "", false
	}
	return m.GetNamespace() + "/" + name, true
}
