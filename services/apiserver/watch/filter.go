package watch

import (
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/selector"
	"k8s.io/apimachinery/pkg/labels"
)

// Filter selects the objects a watcher sees.
type Filter struct {
	Kind      *apimeta.Info
	Namespace string
	// Labels may be nil and Fields empty (everything).
	Labels labels.Selector
	Fields selector.FieldSelector
}

// Match reports whether o passes the filter. The kind is checked by the
// caller, once per event.
func (f *Filter) Match(o *gantryv1.Object) bool { return f.matchMeta(o, apimeta.Meta(o)) }

// matchMeta is Match for an object whose metadata m the caller already
// has (store events carry it), so fan-out skips the reflective lookup.
func (f *Filter) matchMeta(o *gantryv1.Object, m *gantryv1.ObjectMeta) bool {
	if f.Namespace != "" && m.GetNamespace() != f.Namespace {
		return false
	}
	if f.Labels != nil && !f.Labels.Empty() && !f.Labels.Matches(labels.Set(m.GetLabels())) {
		return false
	}
	if !f.Fields.Empty() && !f.Fields.Matches(o) {
		return false
	}
	return true
}
