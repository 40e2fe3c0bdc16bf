package schedbench

import (
	"context"
	"fmt"
	"sort"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

const namespace = "default"

// measure waits for the nodes, creates the Deployment and follows its
// pods through one watch until all are bound and Running, then deletes it
// and waits until every pod is gone.
func (b *Bench) measure(ctx context.Context, res *Result) error {
	start := time.Now()
	if err := b.waitNodes(ctx); err != nil {
		return err
	}
	res.NodesReady = time.Since(start)
	fmt.Fprintf(b.cfg.Out, "%d simulated nodes Ready after %s; creating a Deployment of %d replicas\n",
		b.cfg.Nodes, res.NodesReady.Round(time.Millisecond), b.cfg.Pods)
	list, err := b.cl.List(ctx, &gantryv1.ListRequest{Kind: apimeta.KindPod, Namespace: namespace, Limit: 1})
	if err != nil {
		return err
	}
	w := b.cl.Watch(ctx, &gantryv1.WatchRequest{Kind: apimeta.KindPod, Namespace: namespace, ResourceVersion: list.GetResourceVersion()})
	defer w.Stop()
	t0 := time.Now()
	if _, err := b.cl.Create(ctx, deployment(int32(b.cfg.Pods))); err != nil {
		return fmt.Errorf("create deployment: %w", err)
	}
	if err := b.follow(ctx, w.Responses(), t0, res); err != nil {
		return err
	}
	t1 := time.Now()
	if _, err := b.cl.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindDeployment, Namespace: namespace, Name: "bench"}); err != nil {
		return fmt.Errorf("delete deployment: %w", err)
	}
	return b.waitGone(ctx, w.Responses(), t1, res)
}

func (b *Bench) waitNodes(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	for {
		resp, err := b.cl.ListAll(ctx, &gantryv1.ListRequest{Kind: apimeta.KindNode, Limit: 1000})
		if err == nil && countReady(resp.GetItems()) >= b.cfg.Nodes {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("simulated nodes not Ready in %s", b.cfg.Timeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func countReady(items []*gantryv1.Object) int {
	n := 0
	for _, o := range items {
		for _, c := range o.GetNode().GetStatus().GetConditions() {
			if c.GetType() == "Ready" && c.GetStatus() == "True" {
				n++
			}
		}
	}
	return n
}

// podState tracks what the watch has shown of the benchmark's pods.
type podState struct{ bound, running map[string]bool }

func (b *Bench) follow(ctx context.Context, ch <-chan *gantryv1.WatchResponse, t0 time.Time, res *Result) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	st := podState{bound: map[string]bool{}, running: map[string]bool{}}
	for res.Running == 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("after %s: %d of %d pods bound, %d Running", b.cfg.Timeout, len(st.bound), b.cfg.Pods, len(st.running))
		case r, ok := <-ch:
			if !ok {
				return fmt.Errorf("pod watch ended")
			}
			st.apply(r)
		}
		if res.Bound == 0 && len(st.bound) >= b.cfg.Pods {
			res.Bound = time.Since(t0)
		}
		if len(st.running) >= b.cfg.Pods {
			res.Running = time.Since(t0)
		}
	}
	return nil
}

func (st podState) apply(r *gantryv1.WatchResponse) {
	for _, ev := range r.GetEvents() {
		p := ev.GetObject().GetPod()
		if p == nil {
			continue
		}
		name := p.GetMetadata().GetName()
		if ev.GetType() == gantryv1.WatchEventType_WATCH_EVENT_TYPE_DELETED {
			delete(st.bound, name)
			delete(st.running, name)
			continue
		}
		if p.GetSpec().GetNodeName() != "" {
			st.bound[name] = true
		}
		if p.GetStatus().GetPhase() == "Running" {
			st.running[name] = true
		}
	}
}

func (b *Bench) waitGone(ctx context.Context, ch <-chan *gantryv1.WatchResponse, t1 time.Time, res *Result) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	for {
		resp, err := b.cl.List(ctx, &gantryv1.ListRequest{Kind: apimeta.KindPod, Namespace: namespace, Limit: 1})
		if err == nil && len(resp.GetItems()) == 0 {
			res.Gone = time.Since(t1)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pods not deleted in %s", b.cfg.Timeout)
		case <-ch: // keep the watch drained
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func deployment(replicas int32) *gantryv1.Object {
	labels := map[string]string{"app": "bench"}
	return apimeta.Wrap(&gantryv1.Deployment{
		Metadata: &gantryv1.ObjectMeta{Name: "bench", Namespace: namespace},
		Spec: &gantryv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &gantryv1.LabelSelector{MatchLabels: labels},
			Template: &gantryv1.PodTemplateSpec{
				Metadata: &gantryv1.ObjectMeta{Labels: labels},
				Spec: &gantryv1.PodSpec{Containers: []*gantryv1.Container{{Name: "c", Image: "pause",
					Resources: &gantryv1.ResourceRequirements{Requests: map[string]string{"cpu": "10m", "memory": "16Mi"}}}}},
			},
		},
	})
}

func (b *Bench) print(res *Result) {
	out := b.cfg.Out
	secs := func(d time.Duration) float64 { return d.Seconds() }
	fmt.Fprintf(out, "\nschedule: %d pods on %d simulated nodes, three masters\n", res.Pods, res.Nodes)
	fmt.Fprintf(out, "  all bound      %7.2f s   %8.0f pods/s\n", secs(res.Bound), float64(res.Pods)/secs(res.Bound))
	fmt.Fprintf(out, "  all Running    %7.2f s   %8.0f pods/s\n", secs(res.Running), float64(res.Pods)/secs(res.Running))
	fmt.Fprintf(out, "  all deleted    %7.2f s\n", secs(res.Gone))
	fmt.Fprintln(out, "  peak RSS:")
	names := make([]string, 0, len(res.PeakRSS))
	for n := range res.PeakRSS {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(out, "    %-16s %6.0f MiB\n", n, float64(res.PeakRSS[n])/(1<<20))
	}
}
