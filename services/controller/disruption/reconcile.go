package disruption

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// reconcile recomputes one budget's status and writes it when it changed.
func (c *Controller) reconcile(ctx context.Context, key string) error {
	ns, name := ctrl.SplitKey(key)
	o, ok := c.budgets.Get(ns, name)
	if !ok {
		return nil
	}
	pdb := o.GetPodDisruptionBudget()
	pods, err := c.pods.ListByIndex(informer.NamespaceIndex, ns)
	if err != nil {
		return err
	}
	var selected []*gantryv1.Pod
	for _, p := range pods {
		if selects(pdb, p.GetPod().GetMetadata().GetLabels()) {
			selected = append(selected, p.GetPod())
		}
	}
	now := c.clock.Now()
	st, recheck := computeStatus(pdb, selected, c.scaleOf, now, c.cfg.DeletionTimeout)
	if recheck > 0 {
		c.queue.AddAfter(key, recheck)
	}
	if proto.Equal(st, pdb.GetStatus()) {
		return nil
	}
	out := proto.Clone(pdb).(*gantryv1.PodDisruptionBudget)
	out.Status = st
	_, err = c.client.UpdateStatus(ctx, apimeta.Wrap(out))
	return err
}

// scaleOf returns the replicas a pod's controller wants (a ReplicaSet a
// Deployment owns counts as its Deployment), and the controller's uid.
func (c *Controller) scaleOf(p *gantryv1.Pod) (uid string, replicas int32, ok bool) {
	ref := ctrl.ControllerRef(p.GetMetadata())
	if ref == nil || ref.GetKind() != apimeta.KindReplicaSet {
		return "", 0, false
	}
	o, found := c.replicaSets.Get(p.GetMetadata().GetNamespace(), ref.GetName())
	if !found || o.GetReplicaSet().GetMetadata().GetUid() != ref.GetUid() {
		return "", 0, false
	}
	rs := o.GetReplicaSet()
	if dref := ctrl.ControllerRef(rs.GetMetadata()); dref != nil && dref.GetKind() == apimeta.KindDeployment {
		if d, found := c.deployments.Get(rs.GetMetadata().GetNamespace(), dref.GetName()); found && d.GetDeployment().GetMetadata().GetUid() == dref.GetUid() {
			return dref.GetUid(), d.GetDeployment().GetSpec().GetReplicas(), true
		}
	}
	return rs.GetMetadata().GetUid(), rs.GetSpec().GetReplicas(), true
}

// computeStatus is Kubernetes' disruption arithmetic for one budget over
// the pods it selects. It returns the status and, when a disrupted pod's
// entry will expire, how long until then (0: nothing to recheck).
func computeStatus(pdb *gantryv1.PodDisruptionBudget, pods []*gantryv1.Pod,
	scale func(*gantryv1.Pod) (string, int32, bool), now time.Time, timeout time.Duration) (*gantryv1.PodDisruptionBudgetStatus, time.Duration) {
	old := pdb.GetStatus()
	st := &gantryv1.PodDisruptionBudgetStatus{ObservedGeneration: pdb.GetMetadata().GetGeneration()}
	disrupted, recheck := liveDisruptions(old.GetDisruptedPods(), pods, now, timeout)
	if len(disrupted) > 0 {
		st.DisruptedPods = disrupted
	}
	st.ExpectedPods, st.DesiredHealthy = expectedAndDesired(pdb.GetSpec(), pods, scale)
	for _, p := range pods {
		if p.GetMetadata().GetDeletionTimestamp() == nil && ready(p) && disrupted[p.GetMetadata().GetName()] == nil {
			st.CurrentHealthy++
		}
	}
	st.DisruptionsAllowed = max(0, st.CurrentHealthy-st.DesiredHealthy)
	if st.ExpectedPods == 0 {
		st.DisruptionsAllowed = 0
	}
	st.Conditions = []*gantryv1.Condition{condition(old, st, now)}
	return st, recheck
}

// liveDisruptions keeps the evictions whose pods still exist, unmarked,
// for less than timeout.
func liveDisruptions(prev map[string]*timestamppb.Timestamp, pods []*gantryv1.Pod, now time.Time, timeout time.Duration) (map[string]*timestamppb.Timestamp, time.Duration) {
	alive := map[string]bool{}
	for _, p := range pods {
		if p.GetMetadata().GetDeletionTimestamp() == nil {
			alive[p.GetMetadata().GetName()] = true
		}
	}
	out := map[string]*timestamppb.Timestamp{}
	var recheck time.Duration
	for name, at := range prev {
		left := at.AsTime().Add(timeout).Sub(now)
		if !alive[name] || left <= 0 {
			continue
		}
		out[name] = at
		if recheck == 0 || left < recheck {
			recheck = left
		}
	}
	return out, recheck
}

// expectedAndDesired: with an integer minAvailable the expected pods are
// those selected; otherwise the sum of their controllers' replicas (a pod
// without a known controller counts as one).
func expectedAndDesired(spec *gantryv1.PodDisruptionBudgetSpec, pods []*gantryv1.Pod, scale func(*gantryv1.Pod) (string, int32, bool)) (int32, int32) {
	if spec.MinAvailable != nil && !strings.HasSuffix(spec.GetMinAvailable(), "%") {
		v := intstr.Parse(spec.GetMinAvailable())
		return int32(min(len(pods), math.MaxInt32)), max(0, v.IntVal)
	}
	var expected int32
	seen := map[string]bool{}
	for _, p := range pods {
		uid, n, ok := scale(p)
		switch {
		case !ok:
			expected++
		case !seen[uid]:
			seen[uid] = true
			expected += n
		}
	}
	if spec.MinAvailable != nil {
		return expected, scaled(spec.GetMinAvailable(), expected, true)
	}
	return expected, max(0, expected-scaled(spec.GetMaxUnavailable(), expected, true))
}

// scaled is an IntOrString of total; admission has checked it.
func scaled(v string, total int32, roundUp bool) int32 {
	is := intstr.Parse(v)
	n, err := intstr.GetScaledValueFromIntOrPercent(&is, int(total), roundUp)
	if err != nil || n < 0 {
		return 0
	}
	return int32(min(n, math.MaxInt32))
}

// condition is the DisruptionAllowed condition, its transition time kept
// while its status stays.
func condition(old, st *gantryv1.PodDisruptionBudgetStatus, now time.Time) *gantryv1.Condition {
	c := &gantryv1.Condition{Type: "DisruptionAllowed", Status: "True", Reason: "SufficientPods",
		ObservedGeneration: st.GetObservedGeneration()}
	if st.GetDisruptionsAllowed() == 0 {
		c.Status, c.Reason = "False", "InsufficientPods"
		c.Message = fmt.Sprintf("%d healthy of %d needed", st.GetCurrentHealthy(), st.GetDesiredHealthy())
	}
	c.LastTransitionTime = timestamppb.New(now)
	for _, oc := range old.GetConditions() {
		if oc.GetType() == c.GetType() && oc.GetStatus() == c.GetStatus() {
			c.LastTransitionTime = oc.GetLastTransitionTime()
		}
	}
	return c
}

func ready(p *gantryv1.Pod) bool {
	if p.GetStatus().GetPhase() != "Running" {
		return false
	}
	for _, c := range p.GetStatus().GetConditions() {
		if c.GetType() == "Ready" {
			return c.GetStatus() == "True"
		}
	}
	return false
}
