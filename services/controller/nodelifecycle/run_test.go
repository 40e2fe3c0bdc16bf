package nodelifecycle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gantryio/gantry/internal/taints"
	"github.com/gantryio/gantry/internal/testutil"
)

// The controller running with its workers, queue and timers on the fake
// clock: a node that goes quiet is tainted and its pod evicted once the
// clock passes the grace period and the toleration; renewing and
// posting Ready again removes the taint.
func TestRunHealsOnTheClock(t *testing.T) {
	f := newFixture(t, testConfig(), "n1", "n2", "n3")
	f.addPod("p", "n1", tolerate(taints.Unreachable, seconds(5)))
	f.addPod("q", "n2")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	testutil.Eventually(t, 5*time.Second, func() error {
		if !f.c.leading.Load() {
			return errors.New("not started")
		}
		return nil
	})
	f.step(grace / 2)
	f.renew("n2", "n3")
	f.step(grace / 2)
	testutil.Eventually(t, 5*time.Second, func() error {
		if got := f.taintKeys("n1"); !slices.Equal(got, []string{taints.Unreachable}) {
			return fmt.Errorf("n1 taints %v", got)
		}
		return nil
	})
	f.wantPods("p", "q")
	f.step(5 * time.Second)
	testutil.Eventually(t, 5*time.Second, func() error {
		if got := f.livePods(); !slices.Equal(got, []string{"q"}) {
			return fmt.Errorf("live pods %v", got)
		}
		return nil
	})
	f.renew("n1")
	f.setReady("n1", StatusTrue)
	testutil.Eventually(t, 5*time.Second, func() error {
		if got := f.taintKeys("n1"); len(got) > 0 {
			return fmt.Errorf("n1 taints %v", got)
		}
		return nil
	})
	f.wantReady("n2", StatusTrue)
	f.wantTaints("n2")
}
