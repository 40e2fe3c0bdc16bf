package controller

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
)

// TestScaleDeployment measures how fast the controllers create and collect
// the pods of a large Deployment on a three-master cluster (no scheduler or
// node agents). Opt in: GANTRY_SCALE_PODS=10000 go test -run TestScaleDeployment.
func TestScaleDeployment(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("GANTRY_SCALE_PODS"))
	if n <= 0 {
		t.Skip("set GANTRY_SCALE_PODS to run")
	}
	e := newEnv(t)
	ctx := context.Background()
	start := time.Now()
	if _, err := e.api.Create(ctx, newDeployment("big", int32(n), "v1")); err != nil {
		t.Fatal(err)
	}
	// The controller manager's own pod cache follows the watch.
	count := func() int { return e.m.informers[apimeta.KindPod].Store().Len() }
	testutil.Eventually(t, 5*time.Minute, func() error {
		if c := count(); c != n {
			return fmt.Errorf("%d of %d pods", c, n)
		}
		return nil
	})
	created := time.Since(start)
	if got := len(e.list(apimeta.KindPod)); got != n {
		t.Fatalf("the apiserver lists %d pods, want %d", got, n)
	}
	testutil.Eventually(t, time.Minute, func() error {
		if st := e.deployment("big").GetStatus(); st.GetReplicas() != int32(n) {
			return fmt.Errorf("status.replicas %d", st.GetReplicas())
		}
		return nil
	})
	t.Logf("%d pods created in %s (%.0f pods/s); Deployment status caught up after %s", n, created.Round(time.Millisecond),
		float64(n)/created.Seconds(), time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if _, err := e.api.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindDeployment, Namespace: "default", Name: "big"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Minute, func() error {
		if c := count(); c != 0 {
			return fmt.Errorf("%d pods left", c)
		}
		return nil
	})
	t.Logf("%d pods collected in %s (%.0f pods/s)", n, time.Since(start).Round(time.Millisecond), float64(n)/time.Since(start).Seconds())
	for _, c := range e.m.Status().GetControllers() {
		t.Logf("%s: %d reconciles, %d errors", c.GetName(), c.GetReconcilesTotal(), c.GetErrorsTotal())
	}
}
