package deployment

import (
	"context"
	"fmt"
	"sort"

	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/controller/ctrl"
)

// cleanup deletes old ReplicaSets beyond revisionHistoryLimit, lowest
// revision first, skipping any that still has replicas or pods or whose
// status is behind its spec.
func (s *state) cleanup(ctx context.Context) error {
	limit := s.d().GetSpec().RevisionHistoryLimit
	if limit == nil {
		return nil
	}
	var cleanable []*rsState
	for _, r := range s.old() {
		if r.meta().GetDeletionTimestamp() == nil {
			cleanable = append(cleanable, r)
		}
	}
	diff := len(cleanable) - int(*limit)
	if diff <= 0 {
		return nil
	}
	sort.SliceStable(cleanable, func(i, j int) bool { return cleanable[i].revision() < cleanable[j].revision() })
	for _, r := range cleanable[:diff] {
		st := r.rs().GetStatus()
		if r.replicas() != 0 || st.GetReplicas() != 0 || r.running > 0 || r.meta().GetGeneration() > st.GetObservedGeneration() {
			continue
		}
		m := r.meta()
		_, err := s.c.client.Delete(ctx, ctrl.DeleteRequest(apimeta.KindReplicaSet, m.GetNamespace(), m.GetName(), m.GetUid(), ""))
		if err != nil && !ctrl.IsNotFound(err) {
			return fmt.Errorf("delete old ReplicaSet %s: %w", ctrl.Key(r.obj), err)
		}
	}
	return nil
}
