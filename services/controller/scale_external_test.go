package controller

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/informer"
	"github.com/gantryio/gantry/internal/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// TestScaleRunningOnCluster creates a Deployment on a running cluster
// (masters, scheduler, controller, node agents) and times it until every
// pod is bound, Running, and until the Deployment is collected. Opt in:
//
//	GANTRY_SCALE_SERVERS=127.0.0.1:7001,... GANTRY_SCALE_PODS=10000 go test -run TestScaleRunningOnCluster
func TestScaleRunningOnCluster(t *testing.T) {
	servers := os.Getenv("GANTRY_SCALE_SERVERS")
	n, _ := strconv.Atoi(os.Getenv("GANTRY_SCALE_PODS"))
	if servers == "" || n <= 0 {
		t.Skip("set GANTRY_SCALE_SERVERS and GANTRY_SCALE_PODS to run")
	}
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	ccfg := client.DefaultConfig()
	ccfg.Servers = strings.Split(servers, ",")
	c, err := client.New(ccfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	icfg := informer.DefaultConfig()
	icfg.Kind, icfg.Namespace = apimeta.KindPod, "default"
	pods, err := informer.New(c, icfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = pods.Run(ctx) }()
	if err := pods.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	count := func() (all, bound, running int) {
		for _, o := range pods.Store().List() {
			p := o.GetPod()
			all++
			if p.GetSpec().GetNodeName() != "" {
				bound++
			}
			if p.GetStatus().GetPhase() == "Running" {
				running++
			}
		}
		return
	}
	start := time.Now()
	if _, err := c.Create(ctx, newDeployment("scale", int32(n), "sim")); err != nil {
		t.Fatal(err)
	}
	var created, bound time.Duration
	testutil.Eventually(t, 10*time.Minute, func() error {
		a, b, r := count()
		if a == n && created == 0 {
			created = time.Since(start)
		}
		if b == n && bound == 0 {
			bound = time.Since(start)
		}
		if r != n {
			return fmt.Errorf("%d created, %d bound, %d running of %d", a, b, r, n)
		}
		return nil
	})
	running := time.Since(start)
	t.Logf("%d pods: all created after %s, bound after %s, Running after %s (%.0f pods/s)", n,
		created.Round(time.Millisecond), bound.Round(time.Millisecond), running.Round(time.Millisecond), float64(n)/running.Seconds())
	start = time.Now()
	if _, err := c.Delete(ctx, &gantryv1.DeleteRequest{Kind: apimeta.KindDeployment, Namespace: "default", Name: "scale"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Minute, func() error {
		if a, _, _ := count(); a != 0 {
			return fmt.Errorf("%d pods left", a)
		}
		return nil
	})
	t.Logf("%d pods deleted after %s", n, time.Since(start).Round(time.Millisecond))
}
