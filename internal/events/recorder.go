package events

import (
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
)

// Event types, as in Kubernetes.
const (
	Normal  = "Normal"
	Warning = "Warning"
)

// Recorder records events about objects. It never blocks and never fails
// the caller: an event that cannot be recorded is dropped and counted.
type Recorder interface {
	// Event records that reason happened to obj. obj is an envelope
	// (*gantryv1.Object), a kind's message (*gantryv1.Pod, ...) or an
	// *gantryv1.ObjectReference (to name a container with its fieldPath).
	Event(obj proto.Message, eventType, reason, message string)
	// Eventf is Event with a fmt message.
	Eventf(obj proto.Message, eventType, reason, messageFmt string, args ...any)
}

// Discard is a Recorder that records nothing.
var Discard Recorder = discard{}

type discard struct{}

func (discard) Event(proto.Message, string, string, string)          {}
func (discard) Eventf(proto.Message, string, string, string, ...any) {}

// OrDiscard returns r, or Discard when r is nil, so a Config's Recorder
// may be left unset.
func OrDiscard(r Recorder) Recorder {
	if r == nil {
		return Discard
	}
	return r
}

// Ref returns a reference to obj (see Recorder.Event for what obj may
// be), or false when obj names nothing.
func Ref(obj proto.Message) (*gantryv1.ObjectReference, bool) {
	switch o := obj.(type) {
	case nil:
		return nil, false
	case *gantryv1.ObjectReference:
		return o, o != nil && o.GetKind() != "" && o.GetName() != ""
	case *gantryv1.Object:
		return refOfEnvelope(o)
	}
	return refOfEnvelope(apimeta.Wrap(obj))
}

func refOfEnvelope(o *gantryv1.Object) (*gantryv1.ObjectReference, bool) {
	info, m := apimeta.InfoOf(o), apimeta.Meta(o)
	if info == nil || m.GetName() == "" {
		return nil, false
	}
	return &gantryv1.ObjectReference{Kind: info.Name, ApiVersion: info.APIVersion, Namespace: m.GetNamespace(),
		Name: m.GetName(), Uid: m.GetUid(), ResourceVersion: m.GetResourceVersion()}, true
}

// ContainerRef refers to one container of a pod, as the kubelet's events
// do (fieldPath spec.containers{name}).
func ContainerRef(pod *gantryv1.Pod, container string) *gantryv1.ObjectReference {
	m := pod.GetMetadata()
	return PodContainerRef(m.GetNamespace(), m.GetName(), m.GetUid(), container)
}

// PodContainerRef is ContainerRef for a pod known by namespace, name and uid.
func PodContainerRef(namespace, name, uid, container string) *gantryv1.ObjectReference {
	ref := &gantryv1.ObjectReference{Kind: apimeta.KindPod, ApiVersion: "v1", Namespace: namespace, Name: name, Uid: uid}
	if container != "" {
		ref.FieldPath = fmt.Sprintf("spec.containers{%s}", container)
	}
	return ref
}

// Factory makes Recorders for sources; a Broadcaster is one.
type Factory interface {
	NewRecorder(component, host string) Recorder
}

// NewRecorder returns f's Recorder for the source, or Discard when f is
// nil (a component built without events, as in unit tests).
func NewRecorder(f Factory, component, host string) Recorder {
	if f == nil {
		return Discard
	}
	return f.NewRecorder(component, host)
}
