package apimeta

import (
	"sort"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Kind names, as in Kubernetes.
const (
	KindNamespace     = "Namespace"
	KindNode          = "Node"
	KindPod           = "Pod"
	KindReplicaSet    = "ReplicaSet"
	KindDeployment    = "Deployment"
	KindService       = "Service"
	KindEndpointSlice = "EndpointSlice"
	KindConfigMap     = "ConfigMap"
	KindSecret        = "Secret"
	KindLease         = "Lease"
	KindEvent         = "Event"
	KindIngress       = "Ingress"
	// KindPodDisruptionBudget is policy/v1 PodDisruptionBudget.
	KindPodDisruptionBudget = "PodDisruptionBudget"
)

// Info describes one kind.
type Info struct {
	// Name is the kind's name, such as "Pod".
	Name string
	// APIVersion is the Kubernetes group/version the kind belongs to.
	APIVersion string
	// Namespaced kinds live in a namespace; others are cluster-scoped.
	Namespaced bool
	// Field is the envelope's oneof field that carries this kind.
	Field protoreflect.FieldDescriptor
	// HasSpec and HasStatus say whether the kind has those fields.
	HasSpec, HasStatus bool
}

var (
	byName  = map[string]*Info{}
	byField = map[protoreflect.FieldNumber]*Info{}
	names   []string
)

func init() {
	fields := (&gantryv1.Object{}).ProtoReflect().Descriptor().Oneofs().ByName("kind").Fields()
	kinds := []struct {
		name, apiVersion string
		namespaced       bool
	}{
		{KindNamespace, "v1", false},
		{KindNode, "v1", false},
		{KindPod, "v1", true},
		{KindReplicaSet, "apps/v1", true},
		{KindDeployment, "apps/v1", true},
		{KindService, "v1", true},
		{KindEndpointSlice, "discovery.k8s.io/v1", true},
		{KindConfigMap, "v1", true},
		{KindSecret, "v1", true},
		{KindLease, "coordination.k8s.io/v1", true},
		{KindEvent, "v1", true},
		{KindIngress, "networking.k8s.io/v1", true},
		{KindPodDisruptionBudget, "policy/v1", true},
	}
	for _, k := range kinds {
		var fd protoreflect.FieldDescriptor
		for i := 0; i < fields.Len(); i++ {
			if string(fields.Get(i).Message().Name()) == k.name {
				fd = fields.Get(i)
			}
		}
		if fd == nil {
			panic("apimeta: kind " + k.name + " is not in the Object envelope")
		}
		msg := fd.Message().Fields()
		info := &Info{
			Name: k.name, APIVersion: k.apiVersion, Namespaced: k.namespaced, Field: fd,
			HasSpec: msg.ByName("spec") != nil, HasStatus: msg.ByName("status") != nil,
		}
		byName[k.name] = info
		byField[fd.Number()] = info
		names = append(names, k.name)
	}
	if len(byName) != fields.Len() {
		panic("apimeta: the Object envelope has kinds apimeta does not know")
	}
	sort.Strings(names)
}

// Lookup returns the kind named name.
func Lookup(name string) (*Info, bool) {
	i, ok := byName[name]
	return i, ok
}

// Kinds returns every kind name, sorted.
func Kinds() []string {
	return append([]string(nil), names...)
}

// InfoOf returns the kind of the object in the envelope, or nil when the
// envelope is empty.
func InfoOf(o *gantryv1.Object) *Info {
	if o == nil {
		return nil
	}
	fd := o.ProtoReflect().WhichOneof(oneof)
	if fd == nil {
		return nil
	}
	return byField[fd.Number()]
}

// KindOf returns the kind name of the object, or "" when the envelope is empty.
func KindOf(o *gantryv1.Object) string {
	if i := InfoOf(o); i != nil {
		return i.Name
	}
	return ""
}

var oneof = (&gantryv1.Object{}).ProtoReflect().Descriptor().Oneofs().ByName("kind")
