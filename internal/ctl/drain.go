package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
)

func init() { register(newDrainCommand) }

// drainPollInterval spaces the checks for evicted pods being gone.
const drainPollInterval = 500 * time.Millisecond

// evictRetryInterval spaces the tries of an eviction a disruption budget
// refuses (kubectl's 5 s; a variable for tests).
var evictRetryInterval = 5 * time.Second

// errDrainTimeout ends drain when --timeout passes first.
var errDrainTimeout = errors.New("drain timed out")

type drainOptions struct {
	gracePeriod      int
	timeout          time.Duration
	force            bool
	ignoreDaemonSets bool
}

func newDrainCommand(e *env) *cobra.Command {
	o := &drainOptions{}
	cmd := &cobra.Command{
		Use:   "drain NODE",
		Short: "Cordon a node and evict its pods",
		Long: `Drain a node for maintenance: cordon it, so that no new pod lands there, then
evict every pod bound to it and wait until they are gone. Their controllers
create replacements on other nodes.

Pods that no controller owns would not come back: drain refuses to evict
them unless --force is given. DaemonSet pods would be recreated on the
node at once: drain refuses unless --ignore-daemonsets, which leaves them.
Finished pods are always evicted.`,
		Example: `  gantryctl drain n1
  gantryctl drain n1 --force --grace-period=10 --timeout=2m`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.gracePeriod > math.MaxInt32 {
				return fmt.Errorf("--grace-period must be at most %d seconds", math.MaxInt32)
			}
			return e.drain(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.gracePeriod, "grace-period", -1, "seconds each pod gets to stop (negative: the pod's own terminationGracePeriodSeconds)")
	f.DurationVar(&o.timeout, "timeout", 0, "how long to evict and wait before giving up (0: no limit)")
	f.BoolVar(&o.force, "force", false, "also evict pods that no controller owns")
	f.BoolVar(&o.ignoreDaemonSets, "ignore-daemonsets", false, "leave DaemonSet-managed pods on the node")
	return cmd
}

func (e *env) drain(ctx context.Context, arg string, o *drainOptions) error {
	node, err := nodeName(arg)
	if err != nil {
		return err
	}
	// Cordon first, as kubectl does: the node stays cordoned when the
	// pods cannot all be evicted, so no new pod lands there meanwhile.
	if err := e.cordon(ctx, node, true); err != nil {
		return err
	}
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.timeout, errDrainTimeout)
		defer cancel()
	}
	if err := e.evictAll(ctx, node, o); err != nil {
		if errors.Is(context.Cause(ctx), errDrainTimeout) {
			err = fmt.Errorf("%w after %s: %w", errDrainTimeout, o.timeout, err)
		}
		return fmt.Errorf("unable to drain node %q: %w", node, err)
	}
	fmt.Fprintf(e.out(), "node/%s drained\n", node)
	return nil
}

func (e *env) evictAll(ctx context.Context, node string, o *drainOptions) error {
	cl, err := e.client()
	if err != nil {
		return err
	}
	pods, err := e.podsOnNode(ctx, cl, node)
	if err != nil {
		return err
	}
	plan := planDrain(pods, o)
	if err := plan.err(); err != nil {
		return err
	}
	for _, w := range plan.warn.lines() {
		fmt.Fprintln(e.errOut(), "Warning:", w)
	}
	var grace *int64
	if o.gracePeriod >= 0 {
		g := int64(o.gracePeriod)
		grace = &g
	}
	if err := e.evictConcurrently(ctx, cl, plan.evict, grace); err != nil {
		return err
	}
	return e.waitEvicted(ctx, cl, node, plan.evict)
}

// maxConcurrentEvictions bounds the evictions in flight; a node runs at
// most a few hundred pods.
const maxConcurrentEvictions = 32

// evictConcurrently evicts every pod at once, as kubectl does, so that a
// pod a disruption budget holds back (retried until allowed) does not
// hold back the others. The "evicting pod" lines come first, in order.
func (e *env) evictConcurrently(ctx context.Context, cl *client.Client, pods []*gantryv1.Pod, grace *int64) error {
	for _, p := range pods {
		fmt.Fprintf(e.out(), "evicting pod %s\n", podKey(p))
	}
	errOut := &lockedWriter{w: e.errOut()}
	errs := make([]error, len(pods))
	sem := make(chan struct{}, maxConcurrentEvictions)
	var wg sync.WaitGroup
	for i, p := range pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := e.evictPod(ctx, cl, p, grace, errOut); err != nil {
				errs[i] = fmt.Errorf("evict pod %s: %w", podKey(p), err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lockedWriter serialises the concurrent evictions' messages.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// evictPod makes one pod leave its node through the Eviction API
// (PodService.Evict), guarded by the pod's uid so that a new pod of the
// same name is never hit, with the grace period (nil: the pod's own).
// While a disruption budget forbids it (RESOURCE_EXHAUSTED) it says so
// and tries again every evictRetryInterval, as kubectl does, until
// allowed or ctx ends. A pod already gone counts as evicted.
func (e *env) evictPod(ctx context.Context, cl *client.Client, p *gantryv1.Pod, grace *int64, errOut io.Writer) error {
	m := p.GetMetadata()
	for {
		rctx, cancel := e.requestCtx(ctx)
		_, err := gantryv1.NewPodServiceClient(cl.Conn()).Evict(rctx, &gantryv1.EvictRequest{
			Namespace: m.GetNamespace(), Name: m.GetName(), Uid: m.GetUid(), GracePeriodSeconds: grace,
		})
		cancel()
		switch {
		case statusIs(err, codes.NotFound) || statusIs(err, codes.FailedPrecondition) && strings.Contains(status.Convert(err).Message(), "uid"):
			return nil // gone, or replaced by another pod of that name
		case statusIs(err, codes.ResourceExhausted) || statusIs(err, codes.Aborted):
			fmt.Fprintf(errOut, "error when evicting pods/%s (will retry after %s): %s\n", m.GetName(), evictRetryInterval, status.Convert(err).Message())
			if !sleepCtx(ctx, evictRetryInterval) {
				return fmt.Errorf("%w (last refusal: %s)", context.Cause(ctx), status.Convert(err).Message())
			}
		default:
			return err
		}
	}
}

// podsOnNode lists the pods of every namespace bound to node.
func (e *env) podsOnNode(ctx context.Context, cl *client.Client, node string) ([]*gantryv1.Pod, error) {
	rctx, cancel := e.requestCtx(ctx)
	defer cancel()
	resp, err := cl.ListAll(rctx, &gantryv1.ListRequest{Kind: apimeta.KindPod, FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return nil, fmt.Errorf("list pods on node %q: %w", node, err)
	}
	out := make([]*gantryv1.Pod, 0, len(resp.GetItems()))
	for _, o := range resp.GetItems() {
		if p := o.GetPod(); p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// waitEvicted polls the node's pods until none of the evicted ones (by
// uid: a new pod may take a name) is left, printing each as it goes.
func (e *env) waitEvicted(ctx context.Context, cl *client.Client, node string, evicted []*gantryv1.Pod) error {
	pending := map[string]*gantryv1.Pod{}
	for _, p := range evicted {
		pending[p.GetMetadata().GetUid()] = p
	}
	for len(pending) > 0 {
		pods, err := e.podsOnNode(ctx, cl, node)
		if err != nil && ctx.Err() != nil {
			return stillTerminating(pending, ctx.Err())
		}
		if err != nil {
			return err
		}
		present := map[string]bool{}
		for _, p := range pods {
			present[p.GetMetadata().GetUid()] = true
		}
		for _, p := range evicted {
			uid := p.GetMetadata().GetUid()
			if pending[uid] != nil && !present[uid] {
				fmt.Fprintf(e.out(), "pod/%s evicted\n", p.GetMetadata().GetName())
				delete(pending, uid)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		if !sleepCtx(ctx, drainPollInterval) {
			return stillTerminating(pending, ctx.Err())
		}
	}
	return nil
}

// stillTerminating names the pods drain gave up waiting for.
func stillTerminating(pending map[string]*gantryv1.Pod, cause error) error {
	keys := make([]string, 0, len(pending))
	for _, p := range pending {
		keys = append(keys, podKey(p))
	}
	sort.Strings(keys)
	return fmt.Errorf("waiting for pods to terminate: %s: %w", strings.Join(keys, ", "), cause)
}

func podKey(p *gantryv1.Pod) string {
	return p.GetMetadata().GetNamespace() + "/" + p.GetMetadata().GetName()
}
