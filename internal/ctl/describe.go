package ctl

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/spf13/cobra"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/ctl/describe"
)

func init() { register(newDescribeCommand) }

// maxDescribeEvents bounds the events shown per object (newest kept).
const maxDescribeEvents = 50

func newDescribeCommand(e *env) *cobra.Command {
	var selector string
	cmd := &cobra.Command{
		Use:   "describe TYPE [NAME...] | TYPE/NAME...",
		Short: "Show an object in detail: spec, status, conditions, owner and recent events",
		Example: `  gantryctl describe deploy hello
  gantryctl describe pod/hello-7d9f8-x2x4q
  gantryctl describe nodes`,
		RunE: func(cmd *cobra.Command, args []string) error {
			kinds, names, err := splitTypeName(args)
			if err != nil {
				return err
			}
			objs, missing, err := e.describeTargets(cmd.Context(), kinds, names, selector)
			if err != nil {
				return err
			}
			if len(objs) == 0 && !missing {
				// As kubectl: nothing to describe is not a failure.
				fmt.Fprintln(e.errOut(), e.noneFound(kinds, false))
				return nil
			}
			for i, obj := range objs {
				if i > 0 {
					fmt.Fprintln(e.out())
				}
				extra, err := e.describeExtra(cmd.Context(), obj)
				if err != nil {
					return err
				}
				if err := describe.Describe(e.out(), obj, extra, time.Now()); err != nil {
					return err
				}
			}
			if missing {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&selector, "selector", "l", "", "describe the objects matching this label selector")
	return cmd
}

// describeTargets reads the objects to describe. Named objects that cannot
// be read get an error line each, as with get, and missing says so; the
// others are still described.
func (e *env) describeTargets(ctx context.Context, kinds []*apimeta.Info, names []string, sel string) (objs []*gantryv1.Object, missing bool, err error) {
	cl, err := e.client()
	if err != nil {
		return nil, false, err
	}
	if len(names) == 0 {
		var out []*gantryv1.Object
		for _, k := range kinds {
			rctx, cancel := e.requestCtx(ctx)
			list, err := cl.ListAll(rctx, &gantryv1.ListRequest{Kind: k.Name, Namespace: e.listNamespace(k, false), LabelSelector: sel})
			cancel()
			if err != nil {
				return nil, false, fmt.Errorf("list %s: %w", pluralOf(resourceName(k.Name)), err)
			}
			out = append(out, list.GetItems()...)
		}
		return out, false, nil
	}
	out := make([]*gantryv1.Object, 0, len(names))
	for i, n := range names {
		rctx, cancel := e.requestCtx(ctx)
		obj, err := cl.Get(rctx, kinds[i].Name, e.objectNamespace(kinds[i], ""), n)
		cancel()
		if err != nil {
			err = fmt.Errorf("%s/%s: %w", resourceName(kinds[i].Name), n, err)
			fmt.Fprintln(e.errOut(), "error:", oneLine(describeErr(err)))
			missing = true
			continue
		}
		out = append(out, obj)
	}
	return out, missing, nil
}

// describeExtra gathers what describe shows beside the object: its events
// and, for a Deployment its ReplicaSets, for a Service its EndpointSlices.
func (e *env) describeExtra(ctx context.Context, obj *gantryv1.Object) (describe.Extra, error) {
	var x describe.Extra
	cl, err := e.client()
	if err != nil {
		return x, err
	}
	m := apimeta.Meta(obj)
	rctx, cancel := e.requestCtx(ctx)
	defer cancel()
	evs, err := cl.ListAll(rctx, &gantryv1.ListRequest{
		Kind: apimeta.KindEvent, Namespace: eventNamespace(obj),
		FieldSelector: "involvedObject.uid=" + m.GetUid(),
	})
	if err != nil {
		return x, fmt.Errorf("events of %s/%s: %w", resourceName(apimeta.KindOf(obj)), m.GetName(), err)
	}
	for _, it := range evs.GetItems() {
		x.Events = append(x.Events, it.GetEvent())
	}
	sort.SliceStable(x.Events, func(i, j int) bool { return eventTime(x.Events[i]).Before(eventTime(x.Events[j])) })
	if len(x.Events) > maxDescribeEvents {
		x.Events = x.Events[len(x.Events)-maxDescribeEvents:]
	}
	owned, err := e.ownedFor(rctx, obj)
	if err != nil {
		return x, err
	}
	x.Owned = owned
	return x, nil
}

// eventNamespace is where an object's events are: its namespace, or
// "default" for cluster-scoped objects (as Kubernetes records node events).
func eventNamespace(obj *gantryv1.Object) string {
	if ns := apimeta.Meta(obj).GetNamespace(); ns != "" {
		return ns
	}
	return defaultNamespace
}

func eventTime(ev *gantryv1.Event) time.Time {
	switch {
	case ev.GetLastTimestamp() != nil:
		return ev.GetLastTimestamp().AsTime()
	case ev.GetEventTime() != nil:
		return ev.GetEventTime().AsTime()
	}
	return ev.GetMetadata().GetCreationTimestamp().AsTime()
}

func (e *env) ownedFor(ctx context.Context, obj *gantryv1.Object) ([]*gantryv1.Object, error) {
	cl, err := e.client()
	if err != nil {
		return nil, err
	}
	m := apimeta.Meta(obj)
	var reqs []*gantryv1.ListRequest
	ownerOnly := false
	switch apimeta.KindOf(obj) {
	case apimeta.KindDeployment:
		reqs = append(reqs, &gantryv1.ListRequest{Kind: apimeta.KindReplicaSet, Namespace: m.GetNamespace()})
		ownerOnly = true
	case apimeta.KindReplicaSet:
		sel, err := workloadSelector(obj)
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, &gantryv1.ListRequest{Kind: apimeta.KindPod, Namespace: m.GetNamespace(), LabelSelector: sel})
		ownerOnly = true
	case apimeta.KindService:
		reqs = append(reqs, &gantryv1.ListRequest{Kind: apimeta.KindEndpointSlice, Namespace: m.GetNamespace(),
			LabelSelector: "kubernetes.io/service-name=" + m.GetName()})
	case apimeta.KindNode:
		reqs = append(reqs,
			&gantryv1.ListRequest{Kind: apimeta.KindPod, FieldSelector: "spec.nodeName=" + m.GetName()},
			&gantryv1.ListRequest{Kind: apimeta.KindLease, Namespace: nodeLeaseNamespace, FieldSelector: "metadata.name=" + m.GetName()})
	default:
		return nil, nil
	}
	var out []*gantryv1.Object
	for _, req := range reqs {
		list, err := cl.ListAll(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: list its %s: %w", resourceName(apimeta.KindOf(obj)), m.GetName(), pluralOf(resourceName(req.GetKind())), err)
		}
		for _, it := range list.GetItems() {
			if !ownerOnly || ownedBy(apimeta.Meta(it), m.GetUid()) {
				out = append(out, it)
			}
		}
	}
	return out, nil
}

// nodeLeaseNamespace holds the node agents' heartbeat Leases.
const nodeLeaseNamespace = "gantry-node-lease"

func ownedBy(m *gantryv1.ObjectMeta, uid string) bool {
	for _, r := range m.GetOwnerReferences() {
		if r.GetUid() == uid {
			return true
		}
	}
	return false
}
