package selector

import (
	"errors"
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// ErrInvalidSelector is wrapped by every parse error of this package, so
// the API edge can map them all to INVALID_ARGUMENT.
var ErrInvalidSelector = errors.New("invalid selector")

// ParseLabels parses a label selector in Kubernetes syntax, such as
// "app=web,tier in (a,b),!old". The empty string selects everything.
func ParseLabels(s string) (labels.Selector, error) {
	sel, err := labels.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: label selector %q: %v", ErrInvalidSelector, s, err)
	}
	return sel, nil
}

// FromLabelSelector turns the structured selector of a ReplicaSet,
// Deployment or similar into a labels.Selector. As in Kubernetes, a nil
// selector selects nothing and an empty one selects everything.
func FromLabelSelector(ls *gantryv1.LabelSelector) (labels.Selector, error) {
	sel, err := metav1.LabelSelectorAsSelector(ToMetaV1(ls))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSelector, err)
	}
	return sel, nil
}

// ToMetaV1 converts a selector to its Kubernetes form, so that apimachinery
// helpers (conversion, validation) can be reused on it. nil stays nil. The
// result shares maps and slices with ls, so treat it as read-only.
func ToMetaV1(ls *gantryv1.LabelSelector) *metav1.LabelSelector {
	if ls == nil {
		return nil
	}
	out := &metav1.LabelSelector{MatchLabels: ls.GetMatchLabels()}
	for _, e := range ls.GetMatchExpressions() {
		out.MatchExpressions = append(out.MatchExpressions, metav1.LabelSelectorRequirement{
			Key:      e.GetKey(),
			Operator: metav1.LabelSelectorOperator(e.GetOperator()),
			Values:   e.GetValues(),
		})
	}
	return out
}
