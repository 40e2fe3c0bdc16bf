package selector

import (
	"errors"
	"strings"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

func pod(ns, name, node, phase string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Namespace: ns, Name: name},
		Spec:     &gantryv1.PodSpec{NodeName: node, SchedulerName: "default-scheduler"},
		Status:   &gantryv1.PodStatus{Phase: phase},
	})
}

func event(kind, name, reason, typ string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Event{
		Metadata:       &gantryv1.ObjectMeta{Namespace: "default", Name: "e1"},
		InvolvedObject: &gantryv1.ObjectReference{Kind: kind, Name: name, Namespace: "default", Uid: "u-" + name},
		Reason:         reason,
		Type:           typ,
	})
}

func node(name string, unschedulable bool) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Node{
		Metadata: &gantryv1.ObjectMeta{Name: name},
		Spec:     &gantryv1.NodeSpec{Unschedulable: unschedulable},
	})
}

func TestParseFieldsMatches(t *testing.T) {
	p1 := pod("default", "a", "n1", "Running")
	p2 := pod("kube", "b", "", "Pending")
	p3 := pod("default", "c", "n2", "Failed")
	e1 := event("Pod", "a", "Scheduled", "Normal")
	e2 := event("Node", "n1", "NodeNotReady", "Warning")
	n1, n2 := node("n1", false), node("n2", true)
	tests := []struct {
		kind, in string
		matches  []*gantryv1.Object
		misses   []*gantryv1.Object
	}{
		{kind: "Pod", in: "", matches: []*gantryv1.Object{p1, p2, e1, nil}},
		{kind: "Pod", in: "spec.nodeName=n1", matches: []*gantryv1.Object{p1}, misses: []*gantryv1.Object{p2, p3}},
		{kind: "Pod", in: "spec.nodeName==n1", matches: []*gantryv1.Object{p1}, misses: []*gantryv1.Object{p2}},
		{kind: "Pod", in: "spec.nodeName=", matches: []*gantryv1.Object{p2}, misses: []*gantryv1.Object{p1, p3}},
		{kind: "Pod", in: "spec.nodeName!=", matches: []*gantryv1.Object{p1, p3}, misses: []*gantryv1.Object{p2}},
		{kind: "Pod", in: "status.phase!=Failed,status.phase!=Succeeded", matches: []*gantryv1.Object{p1, p2}, misses: []*gantryv1.Object{p3}},
		{kind: "Pod", in: "metadata.namespace=default,metadata.name=c", matches: []*gantryv1.Object{p3}, misses: []*gantryv1.Object{p1, p2}},
		{kind: "Pod", in: "spec.schedulerName=default-scheduler", matches: []*gantryv1.Object{p1, p2, p3}},
		{kind: "Pod", in: "spec.schedulerName=other", misses: []*gantryv1.Object{p1, p2, p3}},
		// A selector compiled for pods never matches another kind, even
		// when the field would read the same.
		{kind: "Pod", in: "metadata.name=a", matches: []*gantryv1.Object{p1}, misses: []*gantryv1.Object{e1, nil, {}}},
		{kind: "Pod", in: "metadata.name!=zzz", matches: []*gantryv1.Object{p1}, misses: []*gantryv1.Object{n1, nil}},
		{kind: "Event", in: "involvedObject.kind=Pod,involvedObject.name=a", matches: []*gantryv1.Object{e1}, misses: []*gantryv1.Object{e2}},
		{kind: "Event", in: "involvedObject.uid=u-n1", matches: []*gantryv1.Object{e2}, misses: []*gantryv1.Object{e1}},
		{kind: "Event", in: "involvedObject.namespace=default,reason=Scheduled", matches: []*gantryv1.Object{e1}, misses: []*gantryv1.Object{e2}},
		{kind: "Event", in: "type=Warning", matches: []*gantryv1.Object{e2}, misses: []*gantryv1.Object{e1}},
		{kind: "Node", in: "spec.unschedulable=true", matches: []*gantryv1.Object{n2}, misses: []*gantryv1.Object{n1}},
		{kind: "Node", in: "spec.unschedulable=false", matches: []*gantryv1.Object{n1}, misses: []*gantryv1.Object{n2}},
		{kind: "Node", in: "metadata.name=n1", matches: []*gantryv1.Object{n1}, misses: []*gantryv1.Object{n2, p1}},
		// Escaped values are unescaped before comparison.
		{kind: "ConfigMap", in: `metadata.name=a\,b`, matches: []*gantryv1.Object{apimeta.Wrap(&gantryv1.ConfigMap{
			Metadata: &gantryv1.ObjectMeta{Name: "a,b"}})}},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.in, func(t *testing.T) {
			sel, err := ParseFields(tt.kind, tt.in)
			if err != nil {
				t.Fatalf("ParseFields(%q, %q): %v", tt.kind, tt.in, err)
			}
			if sel.Empty() != (tt.in == "") {
				t.Errorf("Empty() = %v for %q", sel.Empty(), tt.in)
			}
			for _, o := range tt.matches {
				if !sel.Matches(o) {
					t.Errorf("%q does not match %v", tt.in, o)
				}
			}
			for _, o := range tt.misses {
				if sel.Matches(o) {
					t.Errorf("%q matches %v", tt.in, o)
				}
			}
		})
	}
}

func TestEveryKindSupportsMetadataFields(t *testing.T) {
	for _, k := range apimeta.Kinds() {
		info, _ := apimeta.Lookup(k)
		obj := &gantryv1.Object{}
		r := obj.ProtoReflect()
		r.Set(info.Field, r.NewField(info.Field))
		meta := apimeta.EnsureMeta(obj)
		meta.Name, meta.Namespace = "x", "ns"
		if kind, m := unwrap(obj); kind != k || m != meta {
			t.Fatalf("unwrap does not know kind %s", k)
		}
		sel, err := ParseFields(k, "metadata.name=x,metadata.namespace=ns")
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if !sel.Matches(obj) {
			t.Fatalf("%s: selector on metadata does not match", k)
		}
	}
}

func TestParseFieldsErrors(t *testing.T) {
	tests := []struct {
		kind, in string
		want     []string
	}{
		{"Pod", "spec.nodename=n1", []string{`"spec.nodename"`, "spec.nodeName", "status.phase", "metadata.name"}},
		{"Node", "spec.nodeName=n1", []string{`"spec.nodeName"`, "Node", "spec.unschedulable"}},
		{"Event", "involvedObject.color=red", []string{`"involvedObject.color"`, "involvedObject.uid", "reason", "type"}},
		{"ConfigMap", "data.x=1", []string{`"data.x"`, "metadata.namespace"}},
		{"Widget", "metadata.name=a", []string{`"Widget"`}},
		{"Pod", "spec.nodeName", []string{"spec.nodeName"}},
		{"Pod", "spec.nodeName>3", []string{"spec.nodeName>3"}},
		{"Pod", `metadata.name=a\x`, []string{`\x`}},
		{"Pod", `metadata.name=a,b`, []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.in, func(t *testing.T) {
			_, err := ParseFields(tt.kind, tt.in)
			if !errors.Is(err, ErrInvalidSelector) {
				t.Fatalf("err = %v, want ErrInvalidSelector", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestRequiresExact(t *testing.T) {
	sel, err := ParseFields("Pod", "spec.nodeName=n1,metadata.name==a,status.phase!=Failed")
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]string{"spec.nodeName": "n1", "metadata.name": "a"} {
		if v, ok := sel.RequiresExact(field); !ok || v != want {
			t.Errorf("RequiresExact(%q) = %q, %v; want %q", field, v, ok, want)
		}
	}
	for _, field := range []string{"status.phase", "metadata.namespace", "nope"} {
		if v, ok := sel.RequiresExact(field); ok {
			t.Errorf("RequiresExact(%q) = %q, true; want false", field, v)
		}
	}
	if _, ok := (FieldSelector{}).RequiresExact("spec.nodeName"); ok {
		t.Error("zero selector requires a value")
	}
}

func TestFieldSelectorStringRoundTrips(t *testing.T) {
	sel, err := ParseFields("Pod", `status.phase!=Failed,metadata.name=a\,b`)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseFields("Pod", sel.String())
	if err != nil {
		t.Fatalf("String() %q does not parse: %v", sel.String(), err)
	}
	if again.String() != sel.String() {
		t.Fatalf("round trip changed %q to %q", sel.String(), again.String())
	}
	if sel.Kind() != "Pod" {
		t.Fatalf("Kind() = %q", sel.Kind())
	}
}

func TestZeroFieldSelectorMatchesEverything(t *testing.T) {
	var sel FieldSelector
	if !sel.Empty() || !sel.Matches(nil) || !sel.Matches(pod("a", "b", "", "")) {
		t.Fatal("zero FieldSelector must be empty and match everything")
	}
}

func TestMatchesDoesNotAllocate(t *testing.T) {
	sel, err := ParseFields("Pod", "spec.nodeName=n1,status.phase!=Failed,metadata.namespace=default")
	if err != nil {
		t.Fatal(err)
	}
	p := pod("default", "a", "n1", "Running")
	if n := testing.AllocsPerRun(100, func() { sel.Matches(p) }); n != 0 {
		t.Fatalf("Matches allocates %v times per call", n)
	}
}

func BenchmarkFieldSelectorMatches(b *testing.B) {
	sel, err := ParseFields("Pod", "spec.nodeName=n1,status.phase!=Failed,metadata.namespace=default")
	if err != nil {
		b.Fatal(err)
	}
	p := pod("default", "a", "n1", "Running")
	b.ReportAllocs()
	for b.Loop() {
		if !sel.Matches(p) {
			b.Fatal("no match")
		}
	}
}

func BenchmarkLabelSelectorMatches(b *testing.B) {
	sel, err := ParseLabels("app=web,tier in (a,b),!old")
	if err != nil {
		b.Fatal(err)
	}
	set := map[string]string{"app": "web", "tier": "a", "pod-template-hash": "abc"}
	b.ReportAllocs()
	for b.Loop() {
		if !sel.Matches(labelsOf(set)) {
			b.Fatal("no match")
		}
	}
}
