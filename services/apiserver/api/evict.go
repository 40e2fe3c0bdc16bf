package api

import (
	"context"
	"errors"
	"fmt"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/selector"
	"github.com/gantryio/gantry/services/apiserver/store"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	"k8s.io/apimachinery/pkg/labels"
)

// Eviction outcomes, in Kubernetes' words.
const (
	msgBudgetViolated = "Cannot evict pod as it would violate the pod's disruption budget."
	msgManyBudgets    = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
)

const (
	// evictConflictRetries bounds the re-reads when the budget changed
	// between the read and the write (another eviction, the controller).
	evictConflictRetries = 5
	// maxDisruptedPods bounds a budget's disruptedPods map (Kubernetes'
	// MaxDisruptedPodSize): beyond it the controller is behind.
	maxDisruptedPods = 2000
)

// Evict deletes a pod if the disruption budget selecting it allows (see
// PodService.Evict in the proto). The budget's update and the pod's
// delete are one Raft command, the delete requiring the update, which is
// preconditioned on the budget's resource version: two evictions never
// spend the same allowed disruption.
func (p *podService) Evict(ctx context.Context, req *gantryv1.EvictRequest) (*gantryv1.EvictResponse, error) {
	ns := req.GetNamespace()
	if ns == "" {
		ns = "default"
	}
	if req.GetName() == "" {
		return nil, toStatus(fmt.Errorf("%w: name: Required value", errInvalid))
	}
	if req.GracePeriodSeconds != nil && req.GetGracePeriodSeconds() < 0 {
		return nil, toStatus(fmt.Errorf("%w: gracePeriodSeconds: Invalid value: %d: must be >= 0", errInvalid, req.GetGracePeriodSeconds()))
	}
	err := p.s.fwd.do(ctx, func(ctx context.Context) error {
		for range evictConflictRetries {
			err := p.s.evictOnce(ctx, ns, req)
			if !errors.Is(err, store.ErrConflict) {
				return err
			}
		}
		return fmt.Errorf("%w: the pod's disruption budget kept changing; try again", store.ErrConflict)
	}, func(ctx context.Context, c *grpc.ClientConn) error {
		_, err := gantryv1.NewPodServiceClient(c).Evict(ctx, req)
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &gantryv1.EvictResponse{}, nil
}

// evictOnce reads the pod and its budgets and proposes the eviction.
func (s *Service) evictOnce(ctx context.Context, ns string, req *gantryv1.EvictRequest) error {
	o, _, err := s.st.Get(apimeta.KindPod, ns, req.GetName())
	if err != nil {
		return fmt.Errorf("Pod %q: %w", apimeta.Key(ns, req.GetName()), err)
	}
	pod := o.GetPod()
	if req.GetUid() != "" && req.GetUid() != pod.GetMetadata().GetUid() {
		return fmt.Errorf("%w: Pod %q has uid %s, not %s", store.ErrUIDMismatch, apimeta.Key(ns, req.GetName()), pod.GetMetadata().GetUid(), req.GetUid())
	}
	del := &storagev1.Op{Type: storagev1.OpType_OP_TYPE_DELETE, Kind: apimeta.KindPod, Namespace: ns, Name: pod.GetMetadata().GetName(),
		ExpectUid: pod.GetMetadata().GetUid(), GracePeriodSeconds: req.GracePeriodSeconds}
	if evictsFreely(pod) {
		_, err := s.applyOne(ctx, del)
		return err
	}
	pdbs, err := s.budgetsOf(pod)
	if err != nil {
		return err
	}
	switch len(pdbs) {
	case 0:
		_, err := s.applyOne(ctx, del)
		return err
	case 1:
	default:
		return status.Error(codes.FailedPrecondition, msgManyBudgets)
	}
	pdb := pdbs[0]
	if !podReady(pod) && unhealthyMayGo(pdb) {
		// Kubernetes' rule: a running pod that is not Ready costs the
		// budget nothing when the budget is met anyway (or AlwaysAllow).
		_, err := s.applyOne(ctx, del)
		return err
	}
	if err := checkBudget(pdb); err != nil {
		return err
	}
	spent := proto.Clone(pdb).(*gantryv1.PodDisruptionBudget)
	spent.Status.DisruptionsAllowed--
	if spent.Status.DisruptedPods == nil {
		spent.Status.DisruptedPods = map[string]*timestamppb.Timestamp{}
	}
	now := s.now()
	spent.Status.DisruptedPods[pod.GetMetadata().GetName()] = now
	rv, err := apimeta.ParseResourceVersion(pdb.GetMetadata().GetResourceVersion())
	if err != nil {
		return err
	}
	update := &storagev1.Op{Type: storagev1.OpType_OP_TYPE_UPDATE_STATUS, Object: apimeta.Wrap(spent),
		ExpectResourceVersion: rv, ExpectUid: pdb.GetMetadata().GetUid(), Now: now}
	del.RequiresPrevious, del.Now = true, now
	res, err := s.raft.Apply(ctx, &storagev1.Command{Version: 1, Ops: []*storagev1.Op{update, del}})
	if err != nil {
		return err
	}
	if len(res) != 2 {
		return fmt.Errorf("apply returned %d results for two ops", len(res))
	}
	if res[0].Err != nil {
		return res[0].Err
	}
	return res[1].Err
}

// evictsFreely: pods already going, finished or not yet running are no
// disruption (Kubernetes' canIgnorePDB).
func evictsFreely(p *gantryv1.Pod) bool {
	if p.GetMetadata().GetDeletionTimestamp() != nil {
		return true
	}
	switch p.GetStatus().GetPhase() {
	case "Succeeded", "Failed", "Pending", "":
		return true
	}
	return false
}

// budgetsOf returns the disruption budgets of the pod's namespace whose
// selector matches its labels.
func (s *Service) budgetsOf(pod *gantryv1.Pod) ([]*gantryv1.PodDisruptionBudget, error) {
	list, err := s.st.List(apimeta.KindPodDisruptionBudget, store.ListOptions{Namespace: pod.GetMetadata().GetNamespace()})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var out []*gantryv1.PodDisruptionBudget
	set := labels.Set(pod.GetMetadata().GetLabels())
	for _, o := range list.Items {
		pdb := o.GetPodDisruptionBudget()
		sel, err := selector.FromLabelSelector(pdb.GetSpec().GetSelector())
		if err != nil || pdb.GetSpec().GetSelector() == nil {
			continue // selects nothing
		}
		if sel.Matches(set) {
			out = append(out, pdb)
		}
	}
	return out, nil
}

// checkBudget says whether the budget allows one more disruption now.
func checkBudget(pdb *gantryv1.PodDisruptionBudget) error {
	st := pdb.GetStatus()
	name := apimeta.Key(pdb.GetMetadata().GetNamespace(), pdb.GetMetadata().GetName())
	switch {
	case st.GetObservedGeneration() < pdb.GetMetadata().GetGeneration():
		return status.Errorf(codes.ResourceExhausted, "%s The disruption budget %s has not been observed by the disruption controller yet", msgBudgetViolated, name)
	case st.GetDisruptionsAllowed() < 0:
		return status.Errorf(codes.Internal, "the disruption budget %s has a negative disruptionsAllowed", name)
	case len(st.GetDisruptedPods()) >= maxDisruptedPods:
		return status.Errorf(codes.ResourceExhausted, "%s The disruption budget %s has too many pods recorded as disrupted", msgBudgetViolated, name)
	case st.GetDisruptionsAllowed() == 0:
		return status.Errorf(codes.ResourceExhausted, "%s The disruption budget %s needs %d healthy pods and has %d currently",
			msgBudgetViolated, name, st.GetDesiredHealthy(), st.GetCurrentHealthy())
	}
	return nil
}

// unhealthyMayGo: a pod that is not Ready may go without spending the
// budget under AlwaysAllow, or under IfHealthyBudget while the budget is
// met.
func unhealthyMayGo(pdb *gantryv1.PodDisruptionBudget) bool {
	if pdb.GetSpec().GetUnhealthyPodEvictionPolicy() == "AlwaysAllow" {
		return true
	}
	st := pdb.GetStatus()
	return st.GetObservedGeneration() >= pdb.GetMetadata().GetGeneration() &&
		st.GetDesiredHealthy() > 0 && st.GetCurrentHealthy() >= st.GetDesiredHealthy()
}

// podReady: the pod's Ready condition is True.
func podReady(p *gantryv1.Pod) bool {
	for _, c := range p.GetStatus().GetConditions() {
		if c.GetType() == "Ready" {
			return c.GetStatus() == "True"
		}
	}
	return false
}
