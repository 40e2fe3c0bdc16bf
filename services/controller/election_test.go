package controller

import (
	"context"
	"errors"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/leaderelect"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"
)

// TestOneLeaderAndLosingTheLeaseEndsRun runs two replicas: one leads, the
// other stands by; when the leader's lease is taken from it, its Run
// returns ErrLost and the standby takes over.
func TestOneLeaderAndLosingTheLeaseEndsRun(t *testing.T) {
	cl := testutil.NewCluster(t, 3)
	var servers []string
	for _, m := range cl.Members {
		servers = append(servers, m.Cfg.Listen)
	}
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	ccfg := client.DefaultConfig()
	ccfg.Servers = servers
	c, err := client.New(ccfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	api := ctrl.NewAPIClient(c)
	start := func(id string) (*Manager, chan error) {
		cfg := DefaultConfig()
		cfg.Listen, cfg.HTTPListen = "127.0.0.1:0", ""
		cfg.Election.Identity = id
		cfg.Election.LeaseDuration, cfg.Election.RenewDeadline, cfg.Election.RetryPeriod = 3*time.Second, 2*time.Second, 200*time.Millisecond
		m, err := New(cfg, Deps{Client: api}, log.With(zap.String("replica", id)))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		return m, done
	}
	a, aDone := start("a")
	testutil.Eventually(t, 20*time.Second, func() error {
		if !a.Leading() {
			return errors.New("a is not leading")
		}
		return nil
	})
	b, bDone := start("b")
	testutil.Eventually(t, 10*time.Second, func() error {
		for kind, inf := range b.informers {
			if !inf.HasSynced() {
				return errors.New("b's " + kind + " cache has not synced")
			}
		}
		return nil
	})
	if b.Leading() {
		t.Fatal("two replicas lead at once")
	}

	// Someone else takes the lease: a must stop. a renews the lease every
	// RetryPeriod, so the intruder's write can lose that race (ABORTED):
	// it re-reads and tries again, as a real contender would.
	testutil.RetryAborted(t, 20*time.Second, func() error {
		o, err := api.Get(context.Background(), apimeta.KindLease, "gantry-system", "gantry-controller")
		if err != nil {
			return err
		}
		l := proto.Clone(o.GetLease()).(*gantryv1.Lease)
		l.Spec.HolderIdentity = "intruder"
		_, err = api.Update(context.Background(), apimeta.Wrap(l))
		return err
	})
	select {
	case err := <-aDone:
		if !errors.Is(err, leaderelect.ErrLost) {
			t.Fatalf("a's Run = %v, want ErrLost", err)
		}
		aDone <- err // for the cleanup
	case <-time.After(20 * time.Second):
		t.Fatal("a kept running after losing its lease")
	}
	// The intruder never renews: b takes over once the lease expires.
	testutil.Eventually(t, 20*time.Second, func() error {
		if !b.Leading() {
			return errors.New("b is not leading")
		}
		return nil
	})
	select {
	case err := <-bDone:
		t.Fatalf("b stopped: %v", err)
	default:
	}
}
