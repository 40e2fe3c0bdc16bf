package ctl

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

func init() { register(newDeleteCommand) }

type deleteOptions struct {
	files          fileOptions
	selector       string
	all            bool
	cascade        string
	gracePeriod    int64
	wait           bool
	timeout        time.Duration
	ignoreNotFound bool
}

// target is one object to act on.
type target struct {
	info      *apimeta.Info
	namespace string
	name      string
}

func (t target) String() string { return resourceName(t.info.Name) + "/" + t.name }

func newDeleteCommand(e *env) *cobra.Command {
	var o deleteOptions
	cmd := &cobra.Command{
		Use:   "delete (-f FILE | TYPE [NAME...] | TYPE/NAME... | TYPE -l SELECTOR | TYPE --all)",
		Short: "Delete objects by file, name or label selector",
		Long: `Delete objects. Owned objects are collected by the garbage collector in the
background (--cascade=background, the default); --cascade=orphan leaves them;
--cascade=foreground deletes the owner only once they are gone. By default
the command waits until the objects are gone (finalizers done).`,
		Example: `  gantryctl delete -f examples/web.yaml
  gantryctl delete deploy web
  gantryctl delete pods -l app=web
  gantryctl delete deploy/web --cascade=orphan`,
		RunE: func(cmd *cobra.Command, args []string) error {
			policy, err := cascadePolicy(o.cascade)
			if err != nil {
				return err
			}
			targets, err := e.deleteTargets(cmd, args, &o)
			if err != nil {
				return err
			}
			return e.deleteAll(cmd.Context(), targets, policy, &o)
		},
	}
	f := cmd.Flags()
	o.files.addFlags(cmd, "the objects to delete")
	f.StringVarP(&o.selector, "selector", "l", "", "delete the objects matching this label selector")
	f.BoolVar(&o.all, "all", false, "delete every object of the type in the namespace")
	f.StringVar(&o.cascade, "cascade", "background", "what happens to owned objects: background, foreground or orphan")
	f.Int64Var(&o.gracePeriod, "grace-period", -1, "seconds a pod has to stop (-1: the pod's own terminationGracePeriodSeconds)")
	f.BoolVar(&o.wait, "wait", true, "wait until the objects are gone")
	f.DurationVar(&o.timeout, "timeout", 0, "how long to wait (0: a minute per object, at most 10 minutes)")
	f.BoolVar(&o.ignoreNotFound, "ignore-not-found", false, "treat an object that does not exist as deleted")
	return cmd
}

func cascadePolicy(s string) (string, error) {
	switch s {
	case "background", "true":
		return "Background", nil
	case "foreground":
		return "Foreground", nil
	case "orphan", "false":
		return "Orphan", nil
	}
	return "", fmt.Errorf("--cascade: %q is not one of background, foreground, orphan", s)
}

func (e *env) deleteTargets(cmd *cobra.Command, args []string, o *deleteOptions) ([]target, error) {
	if o.files.given() {
		if len(args) > 0 {
			return nil, fmt.Errorf("give either -f or TYPE NAME, not both")
		}
		objs, err := e.readManifests(o.files, true)
		if err != nil {
			return nil, err
		}
		// Every object is checked before any is deleted: with a namespace
		// other than -n's, the manifest would name the wrong object (kubectl
		// refuses too).
		var ts []target
		for _, d := range objs {
			info, m := apimeta.InfoOf(d.Object), apimeta.Meta(d.Object)
			ns, err := e.applyNamespace(info, m.GetNamespace())
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where(d), err)
			}
			if m.GetName() == "" {
				return nil, fmt.Errorf("%s: metadata.name: required (delete needs a name to find the object)", where(d))
			}
			ts = append(ts, target{info: info, namespace: ns, name: m.GetName()})
		}
		return ts, nil
	}
	kinds, names, err := splitTypeName(args)
	if err != nil {
		return nil, err
	}
	if len(names) > 0 {
		if o.selector != "" || o.all {
			return nil, fmt.Errorf("names cannot be combined with -l or --all")
		}
		ts := make([]target, len(names))
		for i := range names {
			ts[i] = target{info: kinds[i], namespace: e.objectNamespace(kinds[i], ""), name: names[i]}
		}
		return ts, nil
	}
	if o.selector == "" && !o.all {
		return nil, fmt.Errorf("name the objects to delete, or use -l SELECTOR or --all")
	}
	ts, err := e.listTargets(cmd.Context(), kinds, o.selector)
	if err == nil && len(ts) == 0 {
		fmt.Fprintln(e.errOut(), "No resources found")
	}
	return ts, err
}

// objectNamespace is the namespace an object of the kind is addressed in:
// none for cluster-scoped kinds, the manifest's, else -n, else default.
func (e *env) objectNamespace(info *apimeta.Info, own string) string {
	if !info.Namespaced {
		return ""
	}
	if own != "" && !e.namespaceSet() {
		return own
	}
	return e.namespace()
}

func (e *env) listTargets(ctx context.Context, kinds []*apimeta.Info, sel string) ([]target, error) {
	cl, err := e.client()
	if err != nil {
		return nil, err
	}
	var ts []target
	for _, k := range kinds {
		rctx, cancel := e.requestCtx(ctx)
		list, err := cl.ListAll(rctx, &gantryv1.ListRequest{Kind: k.Name, Namespace: e.objectNamespace(k, ""), LabelSelector: sel})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", pluralOf(resourceName(k.Name)), err)
		}
		for _, it := range list.GetItems() {
			m := apimeta.Meta(it)
			ts = append(ts, target{info: k, namespace: m.GetNamespace(), name: m.GetName()})
		}
	}
	return ts, nil
}

func (e *env) deleteAll(ctx context.Context, ts []target, policy string, o *deleteOptions) error {
	cl, err := e.client()
	if err != nil {
		return err
	}
	var firstErr error
	var pending []target
	for _, t := range ts {
		req := &gantryv1.DeleteRequest{Kind: t.info.Name, Namespace: t.namespace, Name: t.name, PropagationPolicy: policy}
		if o.gracePeriod >= 0 {
			req.GracePeriodSeconds = &o.gracePeriod
		}
		rctx, cancel := e.requestCtx(ctx)
		_, err := cl.Delete(rctx, req)
		cancel()
		switch {
		case status.Code(err) == codes.NotFound && o.ignoreNotFound:
			continue
		case err != nil:
			err = fmt.Errorf("%s: %w", t, err)
			if firstErr == nil {
				firstErr = err
			}
			fmt.Fprintln(e.errOut(), "error:", oneLine(describeErr(err)))
			continue
		}
		fmt.Fprintf(e.out(), "%s deleted\n", t)
		pending = append(pending, t)
	}
	if o.wait && len(pending) > 0 {
		if err := e.waitGone(ctx, pending, o.timeout); err != nil {
			fmt.Fprintln(e.errOut(), "error:", oneLine(describeErr(err)))
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if firstErr != nil {
		return &ExitError{Code: 1}
	}
	return nil
}

// waitGone polls until every target is gone: deletion with finalizers
// (foreground, pods stopping gracefully) finishes after the call returns.
func (e *env) waitGone(ctx context.Context, ts []target, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = min(time.Duration(len(ts))*time.Minute, 10*time.Minute)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cl, err := e.client()
	if err != nil {
		return err
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for _, t := range ts {
		for {
			_, err := cl.Get(ctx, t.info.Name, t.namespace, t.name)
			if status.Code(err) == codes.NotFound {
				break
			}
			if ctx.Err() != nil {
				return fmt.Errorf("%s: still there after %s (finalizers or a pod still stopping)", t, timeout)
			}
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
		}
	}
	return nil
}
