package store

import (
	"errors"
	"testing"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
)

// TestApplyRequiresPrevious: an op marked RequiresPrevious applies only
// after a successful op, so an eviction's pod delete never happens without
// its budget's update (and is a conflict as the first op).
func TestApplyRequiresPrevious(t *testing.T) {
	h := newHarness(t)
	h.mustApply(createOp(nsObj("default")))
	requires := func(op *storagev1.Op) *storagev1.Op { op.RequiresPrevious = true; return op }
	res, evs := h.apply(
		requires(createOp(cmObj("default", "first", nil))),
		updateOp(cmObj("default", "missing", nil), 0),
		requires(createOp(cmObj("default", "after-failure", nil))),
		createOp(cmObj("default", "a", nil)),
		requires(createOp(cmObj("default", "after-success", nil))),
	)
	wantErrs := []error{ErrConflict, ErrNotFound, ErrConflict, nil, nil}
	for i, want := range wantErrs {
		if (want == nil) != (res[i].Err == nil) || (want != nil && !errors.Is(res[i].Err, want)) {
			t.Fatalf("op %d: Err = %v, want %v", i, res[i].Err, want)
		}
	}
	checkEvents(t, evs, []wantEvent{{evAdded, kCM, "default/a"}, {evAdded, kCM, "default/after-success"}})
}
