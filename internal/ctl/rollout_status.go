package ctl

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/deployutil"
)

type rolloutStatusOptions struct {
	watch    bool
	timeout  time.Duration
	revision int64
}

// errRolloutTimeout ends rollout status when --timeout passes first.
var errRolloutTimeout = errors.New("timed out waiting for the condition")

func newRolloutStatusCommand(e *env) *cobra.Command {
	o := &rolloutStatusOptions{}
	cmd := &cobra.Command{
		Use:   "status (TYPE NAME | TYPE/NAME)",
		Short: "Watch a rollout until it completes",
		Long: `Watch the rollout of a Deployment until it completes, printing its progress
as the Deployment controller reports it in the Deployment's status.

It fails when the Deployment's Progressing condition says the rollout
exceeded its progress deadline, and after --timeout when one is given.
With --watch=false it prints the current state once and exits (0 whether
or not the rollout is complete).`,
		Example: `  gantryctl rollout status deploy/web
  gantryctl rollout status deployment web --timeout=2m`,
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := rolloutNames(args)
			if err != nil {
				return err
			}
			if len(names) != 1 {
				return errors.New("rollout status takes exactly one Deployment")
			}
			if err := e.rolloutStatus(cmd.Context(), names[0], o); err != nil {
				return fmt.Errorf("%s: %w", deploymentName(names[0]), err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.watch, "watch", "w", true, "watch until the rollout completes")
	f.DurationVar(&o.timeout, "timeout", 0, "how long to watch before giving up (0: no limit)")
	f.Int64Var(&o.revision, "revision", 0, "fail unless the Deployment runs this revision (0: any)")
	return cmd
}

// deploymentRolloutStatus is what kubectl's Deployment status viewer says
// about d: a message, whether the rollout is complete, or an error when it
// cannot complete (its progress deadline passed) or runs another revision
// than the one wanted (revision > 0). It reads only the status the
// Deployment controller writes (services/controller/deployment/doc.go).
func deploymentRolloutStatus(d *gantryv1.Deployment, revision int64) (string, bool, error) {
	name := d.GetMetadata().GetName()
	if revision > 0 {
		if running := deployutil.Revision(d.GetMetadata()); running != revision {
			return "", false, fmt.Errorf("desired revision (%d) is different from the running revision (%d)", revision, running)
		}
	}
	st := d.GetStatus()
	if d.GetMetadata().GetGeneration() > st.GetObservedGeneration() {
		return "Waiting for deployment spec update to be observed...", false, nil
	}
	cond := deployutil.Condition(st.GetConditions(), deployutil.CondProgressing)
	if cond.GetReason() == deployutil.ReasonProgressDeadlineExceeded {
		return "", false, fmt.Errorf("deployment %q exceeded its progress deadline", name)
	}
	if r := d.GetSpec().Replicas; r != nil && st.GetUpdatedReplicas() < *r {
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d out of %d new replicas have been updated...",
			name, st.GetUpdatedReplicas(), *r), false, nil
	}
	if st.GetReplicas() > st.GetUpdatedReplicas() {
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d old replicas are pending termination...",
			name, st.GetReplicas()-st.GetUpdatedReplicas()), false, nil
	}
	if st.GetAvailableReplicas() < st.GetUpdatedReplicas() {
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d of %d updated replicas are available...",
			name, st.GetAvailableReplicas(), st.GetUpdatedReplicas()), false, nil
	}
	return fmt.Sprintf("deployment %q successfully rolled out", name), true, nil
}

// statusPrinter prints each new message once: a Deployment changes far
// more often than what rollout status says about it.
type statusPrinter struct {
	e        *env
	revision int64
	last     string
}

// show prints what d's status says and whether the rollout is over.
func (p *statusPrinter) show(d *gantryv1.Deployment) (bool, error) {
	msg, done, err := deploymentRolloutStatus(d, p.revision)
	if err != nil {
		return false, err
	}
	if msg != p.last {
		fmt.Fprintln(p.e.out(), msg)
		p.last = msg
	}
	return done, nil
}

// rolloutStatus lists the Deployment, then watches it from the list's
// version until the rollout completes, relisting when the watch expires.
func (e *env) rolloutStatus(ctx context.Context, name string, o *rolloutStatusOptions) error {
	cl, err := e.client()
	if err != nil {
		return err
	}
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.timeout, errRolloutTimeout)
		defer cancel()
	}
	p := &statusPrinter{e: e, revision: o.revision}
	for {
		d, rv, err := e.listDeployment(ctx, cl, name)
		if err != nil {
			return timeoutCause(ctx, err)
		}
		if done, err := p.show(d); done || err != nil || !o.watch {
			return err
		}
		err = e.watchRollout(ctx, cl, name, rv, p)
		if !errors.Is(err, client.ErrExpired) {
			return timeoutCause(ctx, err)
		}
	}
}

// timeoutCause reports --timeout rather than the context error it caused.
func timeoutCause(ctx context.Context, err error) error {
	if err != nil && errors.Is(context.Cause(ctx), errRolloutTimeout) {
		return errRolloutTimeout
	}
	return err
}

// listDeployment reads the Deployment with a List, whose version (unlike
// the object's own) is a point a watch can start from without replaying
// old history.
func (e *env) listDeployment(ctx context.Context, cl *client.Client, name string) (*gantryv1.Deployment, string, error) {
	rctx, cancel := e.requestCtx(ctx)
	defer cancel()
	resp, err := cl.List(rctx, &gantryv1.ListRequest{
		Kind: apimeta.KindDeployment, Namespace: e.namespace(), FieldSelector: "metadata.name=" + name,
	})
	if err != nil {
		return nil, "", err
	}
	for _, o := range resp.GetItems() {
		if d := o.GetDeployment(); d.GetMetadata().GetName() == name {
			return d, resp.GetResourceVersion(), nil
		}
	}
	return nil, "", status.Errorf(codes.NotFound, "Deployment %q not found in namespace %q", name, e.namespace())
}

// watchRollout follows the Deployment from rv until the rollout is over;
// it returns nil when it completed, or why it stopped.
func (e *env) watchRollout(ctx context.Context, cl *client.Client, name, rv string, p *statusPrinter) error {
	w := cl.Watch(ctx, &gantryv1.WatchRequest{
		Kind: apimeta.KindDeployment, Namespace: e.namespace(), FieldSelector: "metadata.name=" + name,
		ResourceVersion: rv, AllowBookmarks: true,
	})
	defer w.Stop()
	for resp := range w.Responses() {
		for _, ev := range resp.GetEvents() {
			switch ev.GetType() {
			case gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED, gantryv1.WatchEventType_WATCH_EVENT_TYPE_MODIFIED:
				if done, err := p.show(ev.GetObject().GetDeployment()); done || err != nil {
					return err
				}
			case gantryv1.WatchEventType_WATCH_EVENT_TYPE_DELETED:
				return errors.New("the Deployment was deleted while its rollout was watched")
			}
		}
	}
	if err := w.Err(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.New("the watch ended before the rollout completed")
}
