package selector

import (
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"k8s.io/apimachinery/pkg/labels"
)

func labelsOf(m map[string]string) labels.Set { return labels.Set(m) }

func FuzzParseLabels(f *testing.F) {
	for _, s := range []string{
		"", "app=web", "app==web", "app!=web", "app=web,tier in (a,b),!old", "tier notin (a)",
		"example.com/role=x", "a in (", "x=", "!", "a,b,c", "a in (b),c notin (d, e)", "a>1", "a<2",
		"(", ")", ",", "a=b=c", "  a  =  b  ", "a in ()",
	} {
		f.Add(s)
	}
	set := labels.Set{"app": "web", "tier": "a", "example.com/role": "x"}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseLabels(s)
		if err != nil {
			return
		}
		got := sel.Matches(set)
		// The canonical form must parse back to a selector with the same
		// verdict, or String() would be lying to clients.
		again, err := ParseLabels(sel.String())
		if err != nil {
			t.Fatalf("String() of %q = %q does not parse: %v", s, sel.String(), err)
		}
		if again.Matches(set) != got {
			t.Fatalf("%q and its String() %q disagree", s, sel.String())
		}
	})
}

func FuzzParseFields(f *testing.F) {
	for _, s := range []string{
		"", "spec.nodeName=n1", "spec.nodeName==n1", "spec.nodeName!=", "status.phase!=Failed,metadata.name=a",
		`metadata.name=a\,b`, `metadata.name=a\`, "x", "=", "!=", ",", "spec.unschedulable=true",
		"involvedObject.kind=Pod", "a=b=c",
	} {
		for _, k := range []string{"Pod", "Node", "Event"} {
			f.Add(k, s)
		}
	}
	objs := []*gantryv1.Object{
		nil, {}, pod("default", "a", "n1", "Running"), node("n1", true), event("Pod", "a", "r", "Normal"),
		apimeta.Wrap(&gantryv1.Pod{}), apimeta.Wrap(&gantryv1.Event{}),
	}
	f.Fuzz(func(t *testing.T, kind, s string) {
		sel, err := ParseFields(kind, s)
		if err != nil {
			return
		}
		again, err := ParseFields(kind, sel.String())
		if err != nil {
			t.Fatalf("String() of %q = %q does not parse: %v", s, sel.String(), err)
		}
		for _, o := range objs {
			if sel.Matches(o) != again.Matches(o) {
				t.Fatalf("%q and its String() %q disagree on %v", s, sel.String(), o)
			}
		}
		sel.RequiresExact("spec.nodeName")
	})
}
