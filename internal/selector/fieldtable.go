package selector

import (
	"strconv"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// getter reads one field of an object as the string a selector compares.
// Getters go through the generated nil-safe accessors, so they never
// allocate and never panic on missing messages.
type getter func(*gantryv1.Object) string

type fieldDef struct {
	name string
	get  getter
}

type fieldDefs []fieldDef

// lookup is a linear scan: tables are a dozen entries long and parsing is
// not on the hot path.
func (t fieldDefs) lookup(name string) getter {
	for _, d := range t {
		if d.name == name {
			return d.get
		}
	}
	return nil
}

func (t fieldDefs) names() []string {
	out := make([]string, len(t))
	for i, d := range t {
		out[i] = d.name
	}
	return out
}

// fieldTable returns the selectable fields of kind, or nil for an unknown
// kind. Every kind supports metadata.name and metadata.namespace; the rest
// mirror the field selectors Kubernetes offers for the same kind.
func fieldTable(kind string) fieldDefs {
	if _, ok := apimeta.Lookup(kind); !ok {
		return nil
	}
	common := fieldDefs{
		{"metadata.name", func(o *gantryv1.Object) string { return metaOf(o).GetName() }},
		{"metadata.namespace", func(o *gantryv1.Object) string { return metaOf(o).GetNamespace() }},
	}
	return append(common, kindFields(kind)...)
}

func kindFields(kind string) fieldDefs {
	switch kind {
	case apimeta.KindPod:
		return podFields()
	case apimeta.KindEvent:
		return eventFields()
	case apimeta.KindNode:
		return fieldDefs{
			{"spec.unschedulable", func(o *gantryv1.Object) string {
				return strconv.FormatBool(o.GetNode().GetSpec().GetUnschedulable())
			}},
		}
	case apimeta.KindNamespace:
		return fieldDefs{
			{"status.phase", func(o *gantryv1.Object) string { return o.GetNamespace().GetStatus().GetPhase() }},
		}
	case apimeta.KindSecret:
		return fieldDefs{
			{"type", func(o *gantryv1.Object) string { return o.GetSecret().GetType() }},
		}
	}
	return nil
}

func podFields() fieldDefs {
	return fieldDefs{
		{"spec.nodeName", func(o *gantryv1.Object) string { return o.GetPod().GetSpec().GetNodeName() }},
		{"spec.schedulerName", func(o *gantryv1.Object) string { return o.GetPod().GetSpec().GetSchedulerName() }},
		{"spec.restartPolicy", func(o *gantryv1.Object) string { return o.GetPod().GetSpec().GetRestartPolicy() }},
		{"spec.hostNetwork", func(o *gantryv1.Object) string {
			return strconv.FormatBool(o.GetPod().GetSpec().GetHostNetwork())
		}},
		{"status.phase", func(o *gantryv1.Object) string { return o.GetPod().GetStatus().GetPhase() }},
		{"status.podIP", func(o *gantryv1.Object) string { return o.GetPod().GetStatus().GetPodIp() }},
		{"status.nominatedNodeName", func(o *gantryv1.Object) string {
			return o.GetPod().GetStatus().GetNominatedNodeName()
		}},
	}
}

func eventFields() fieldDefs {
	ref := func(o *gantryv1.Object) *gantryv1.ObjectReference { return o.GetEvent().GetInvolvedObject() }
	return fieldDefs{
		{"involvedObject.kind", func(o *gantryv1.Object) string { return ref(o).GetKind() }},
		{"involvedObject.namespace", func(o *gantryv1.Object) string { return ref(o).GetNamespace() }},
		{"involvedObject.name", func(o *gantryv1.Object) string { return ref(o).GetName() }},
		{"involvedObject.uid", func(o *gantryv1.Object) string { return ref(o).GetUid() }},
		{"involvedObject.apiVersion", func(o *gantryv1.Object) string { return ref(o).GetApiVersion() }},
		{"involvedObject.resourceVersion", func(o *gantryv1.Object) string { return ref(o).GetResourceVersion() }},
		{"involvedObject.fieldPath", func(o *gantryv1.Object) string { return ref(o).GetFieldPath() }},
		{"reason", func(o *gantryv1.Object) string { return o.GetEvent().GetReason() }},
		{"reportingComponent", func(o *gantryv1.Object) string { return o.GetEvent().GetReportingComponent() }},
		{"source", func(o *gantryv1.Object) string { return o.GetEvent().GetSource().GetComponent() }},
		{"type", func(o *gantryv1.Object) string { return o.GetEvent().GetType() }},
	}
}

// metaOf returns the object's metadata without reflection: it runs for
// every metadata term of every selector on every watch event.
func metaOf(o *gantryv1.Object) *gantryv1.ObjectMeta {
	_, m := unwrap(o)
	return m
}

// unwrap returns the kind name and metadata of o with one type switch;
// apimeta's reflective accessors cost several times more, and this runs on
// the watch hot path. A test checks that it covers every kind apimeta knows.
func unwrap(o *gantryv1.Object) (kind string, meta *gantryv1.ObjectMeta) {
	switch k := o.GetKind().(type) {
	case *gantryv1.Object_Namespace:
		return apimeta.KindNamespace, k.Namespace.GetMetadata()
	case *gantryv1.Object_Node:
		return apimeta.KindNode, k.Node.GetMetadata()
	case *gantryv1.Object_Pod:
		return apimeta.KindPod, k.Pod.GetMetadata()
	case *gantryv1.Object_ReplicaSet:
		return apimeta.KindReplicaSet, k.ReplicaSet.GetMetadata()
	case *gantryv1.Object_Deployment:
		return apimeta.KindDeployment, k.Deployment.GetMetadata()
	case *gantryv1.Object_Service:
		return apimeta.KindService, k.Service.GetMetadata()
	case *gantryv1.Object_EndpointSlice:
		return apimeta.KindEndpointSlice, k.EndpointSlice.GetMetadata()
	case *gantryv1.Object_ConfigMap:
		return apimeta.KindConfigMap, k.ConfigMap.GetMetadata()
	case *gantryv1.Object_Secret:
		return apimeta.KindSecret, k.Secret.GetMetadata()
	case *gantryv1.Object_Lease:
		return apimeta.KindLease, k.Lease.GetMetadata()
	case *gantryv1.Object_Event:
		return apimeta.KindEvent, k.Event.GetMetadata()
	case *gantryv1.Object_Ingress:
		return apimeta.KindIngress, k.Ingress.GetMetadata()
	case *gantryv1.Object_PodDisruptionBudget:
		return apimeta.KindPodDisruptionBudget, k.PodDisruptionBudget.GetMetadata()
	}
	return "", nil
}
