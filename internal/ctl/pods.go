package ctl

import (
	"context"
	"fmt"
	"sort"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/selector"
)

// podFor resolves "NAME", "pod/NAME" or a workload ("deploy/web",
// "rs/web-abc") to one pod, as kubectl logs and exec do: for a workload,
// the most useful of its pods (running and ready first, then newest).
func (e *env) podFor(ctx context.Context, arg string) (*gantryv1.Pod, error) {
	cl, err := e.client()
	if err != nil {
		return nil, err
	}
	kind, name := apimeta.KindPod, arg
	if t, n, ok := strings.Cut(arg, "/"); ok {
		info, err := resolveKind(t)
		if err != nil {
			return nil, err
		}
		kind, name = info.Name, n
	}
	rctx, cancel := e.requestCtx(ctx)
	defer cancel()
	obj, err := cl.Get(rctx, kind, e.namespace(), name)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", resourceName(kind), name, err)
	}
	if kind == apimeta.KindPod {
		return obj.GetPod(), nil
	}
	sel, err := workloadSelector(obj)
	if err != nil {
		return nil, err
	}
	list, err := cl.ListAll(rctx, &gantryv1.ListRequest{Kind: apimeta.KindPod, Namespace: e.namespace(), LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("pods of %s/%s: %w", resourceName(kind), name, err)
	}
	pods := make([]*gantryv1.Pod, 0, len(list.GetItems()))
	for _, it := range list.GetItems() {
		if p := it.GetPod(); p.GetMetadata().GetDeletionTimestamp() == nil {
			pods = append(pods, p)
		}
	}
	if len(pods) == 0 {
		return nil, fmt.Errorf("%s/%s has no pods", resourceName(kind), name)
	}
	sort.SliceStable(pods, func(i, j int) bool { return morePreferred(pods[i], pods[j]) })
	return pods[0], nil
}

// workloadSelector is the label selector of a workload's pods.
func workloadSelector(obj *gantryv1.Object) (string, error) {
	var ls *gantryv1.LabelSelector
	switch {
	case obj.GetDeployment() != nil:
		ls = obj.GetDeployment().GetSpec().GetSelector()
	case obj.GetReplicaSet() != nil:
		ls = obj.GetReplicaSet().GetSpec().GetSelector()
	case obj.GetService() != nil:
		m := obj.GetService().GetSpec().GetSelector()
		ls = &gantryv1.LabelSelector{MatchLabels: m}
	default:
		return "", fmt.Errorf("%s/%s has no pods (use a pod, deployment, replicaset or service)",
			resourceName(apimeta.KindOf(obj)), apimeta.Meta(obj).GetName())
	}
	s, err := selector.FromLabelSelector(ls)
	if err != nil {
		return "", fmt.Errorf("%s/%s: selector: %w", resourceName(apimeta.KindOf(obj)), apimeta.Meta(obj).GetName(), err)
	}
	if s.Empty() {
		return "", fmt.Errorf("%s/%s has an empty selector", resourceName(apimeta.KindOf(obj)), apimeta.Meta(obj).GetName())
	}
	return s.String(), nil
}

func morePreferred(a, b *gantryv1.Pod) bool {
	if ra, rb := podRank(a), podRank(b); ra != rb {
		return ra > rb
	}
	return a.GetMetadata().GetCreationTimestamp().AsTime().After(b.GetMetadata().GetCreationTimestamp().AsTime())
}

// podRank orders pods for picking: ready, running, scheduled, the rest.
func podRank(p *gantryv1.Pod) int {
	r := 0
	if p.GetSpec().GetNodeName() != "" {
		r++
	}
	if p.GetStatus().GetPhase() == "Running" {
		r += 2
	}
	for _, c := range p.GetStatus().GetConditions() {
		if c.GetType() == "Ready" && c.GetStatus() == "True" {
			r += 4
		}
	}
	return r
}
