package describe

import (
	"errors"
	"fmt"
	"io"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// ErrEmptyObject is an envelope that carries no object.
var ErrEmptyObject = errors.New("object envelope carries no kind")

// Extra is what the caller fetched besides the object, to be shown with it.
type Extra struct {
	// Events are the object's events, in any order (they are shown oldest
	// last-seen first).
	Events []*gantryv1.Event
	// Explain is the scheduler's verdict per node for a pod without a node.
	Explain *gantryv1.ExplainResponse
	// Owned are related objects shown with the object: a Deployment's
	// ReplicaSets, a ReplicaSet's pods, a Service's EndpointSlices, a
	// Node's pods (and its Lease). Objects of other kinds are ignored.
	Owned []*gantryv1.Object
}

// describer holds one Describe call's state.
type describer struct {
	w     *writer
	extra Extra
	now   time.Time
	// field resolves a pod field path for env fieldRefs; nil outside a pod.
	field func(path string) string
}

// Describe writes obj as kubectl describe does. Ages are measured from
// now, and times are shown in now's time zone.
func Describe(w io.Writer, obj *gantryv1.Object, extra Extra, now time.Time) error {
	info := apimeta.InfoOf(obj)
	if info == nil {
		return fmt.Errorf("describe: %w", ErrEmptyObject)
	}
	d := &describer{w: newWriter(w), extra: extra, now: now}
	switch info.Name {
	case apimeta.KindPod:
		d.pod(obj.GetPod())
	case apimeta.KindDeployment:
		d.deployment(obj.GetDeployment())
	case apimeta.KindReplicaSet:
		d.replicaSet(obj.GetReplicaSet())
	case apimeta.KindNode:
		d.node(obj.GetNode())
	case apimeta.KindService:
		d.service(obj.GetService())
	case apimeta.KindEndpointSlice:
		d.endpointSlice(obj.GetEndpointSlice())
	case apimeta.KindConfigMap:
		d.configMap(obj.GetConfigMap())
	case apimeta.KindSecret:
		d.secret(obj.GetSecret())
	case apimeta.KindNamespace:
		d.namespace(obj.GetNamespace())
	default:
		if err := d.generic(obj, info); err != nil {
			return fmt.Errorf("describe %s/%s: %w", info.Name, apimeta.Meta(obj).GetName(), err)
		}
	}
	if info.Name != apimeta.KindEvent {
		d.events()
	}
	if err := d.w.flush(); err != nil {
		return fmt.Errorf("describe %s/%s: %w", info.Name, apimeta.Meta(obj).GetName(), err)
	}
	return nil
}

// owned returns the Owned objects of kind.
func (d *describer) owned(kind string) []*gantryv1.Object {
	var out []*gantryv1.Object
	for _, o := range d.extra.Owned {
		if apimeta.KindOf(o) == kind {
			out = append(out, o)
		}
	}
	return out
}
