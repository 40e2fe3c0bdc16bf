package proxy

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client/clienttest"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/proxy/table"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestProxy runs a proxy against an in-process cluster: Services and
// EndpointSlices written by the test (no EndpointSlice controller) become
// routes, and traffic flows through the userspace dataplane to 127.0.0.1
// backends.
func TestProxy(t *testing.T) {
	e := newEnv(t, nil)
	a, b := startBackend(t, "a"), startBackend(t, "b")
	port, nodePort := freePort(t), freeNodePort(t)
	e.create(webService(port, nodePort))
	e.create(backendSlice("web-a", a.addr(), true))
	e.create(backendSlice("web-b", b.addr(), true))
	svcAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port)))
	npAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(nodePort)))

	t.Run("routes appear", func(t *testing.T) {
		testutil.Eventually(t, 10*time.Second, func() error {
			r, err := e.route("web")
			if err != nil || r == nil {
				return fmt.Errorf("route: %v, %v", r, err)
			}
			if r.GetClusterIp() != "10.96.7.7" || r.GetPort() != int32(port) || r.GetNodePort() != int32(nodePort) ||
				r.GetPortName() != "http" || r.GetProtocol() != "TCP" {
				return fmt.Errorf("route %v", r)
			}
			if !slices.Equal(r.GetListen(), []string{svcAddr, npAddr}) {
				return fmt.Errorf("listen %v, want [%s %s]", r.GetListen(), svcAddr, npAddr)
			}
			if n := receiving(r); n != 2 {
				return fmt.Errorf("%d endpoints receive traffic, want 2: %v", n, r.GetEndpoints())
			}
			return nil
		})
		st, err := e.routes.Status(e.ctx(), &gantryv1.ProxyServiceStatusRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if !st.GetSynced() || st.GetMode() != ModeUserspace || st.GetNodeName() != "n1" || st.GetRoutes() != 1 ||
			st.GetEndpoints() != 2 || st.GetGeneration() < 1 || st.GetLastSyncTime() == nil {
			t.Fatalf("status %v", st)
		}
	})

	t.Run("traffic reaches every endpoint", func(t *testing.T) {
		got := map[string]int{}
		for i := 0; i < 10; i++ {
			for _, addr := range []string{svcAddr, npAddr} {
				name, err := hello(addr)
				if err != nil {
					t.Fatalf("via %s: %v", addr, err)
				}
				got[name]++
			}
		}
		if got["a"] != 10 || got["b"] != 10 {
			t.Fatalf("20 requests reached %v, want 10 each", got)
		}
	})

	t.Run("an endpoint that is not ready gets no traffic", func(t *testing.T) {
		e.update(backendSlice("web-b", b.addr(), false))
		testutil.Eventually(t, 10*time.Second, func() error {
			r, err := e.route("web")
			if err != nil || receiving(r) != 1 {
				return fmt.Errorf("route %v, %v", r, err)
			}
			return nil
		})
		for i := 0; i < 10; i++ {
			if name, err := hello(svcAddr); err != nil || name != "a" {
				t.Fatalf("request %d: %q, %v; want a only", i, name, err)
			}
		}
	})

	t.Run("no endpoints: refused at once", func(t *testing.T) {
		e.delete(apimeta.KindEndpointSlice, "web-a")
		testutil.Eventually(t, 10*time.Second, func() error {
			r, err := e.route("web")
			if err != nil || receiving(r) != 0 {
				return fmt.Errorf("route %v, %v", r, err)
			}
			return nil
		})
		for _, addr := range []string{svcAddr, npAddr} {
			start := time.Now()
			_, err := hello(addr)
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("via %s after %s: %v, want connection refused at once", addr, time.Since(start), err)
			}
		}
	})

	t.Run("headless services have no routes", func(t *testing.T) {
		e.create(&gantryv1.Service{
			Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "db"},
			Spec:     &gantryv1.ServiceSpec{ClusterIp: "None", Ports: []*gantryv1.ServicePort{{Name: "pg", Port: 5432}}},
		})
		testutil.Eventually(t, 10*time.Second, func() error {
			if tb := e.p.Table(); tb == nil || len(tb.Services()) != 2 {
				return errors.New("the headless service is not in the table yet")
			}
			return nil
		})
		if r, err := e.route("db"); err != nil || r != nil {
			t.Fatalf("headless route %v, %v", r, err)
		}
	})

	t.Run("a deleted service stops listening", func(t *testing.T) {
		e.delete(apimeta.KindService, "web")
		testutil.Eventually(t, 10*time.Second, func() error {
			if r, err := e.route("web"); err != nil || r != nil {
				return fmt.Errorf("route %v, %v", r, err)
			}
			return nil
		})
		if _, err := hello(svcAddr); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial after delete: %v, want refused", err)
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		long := string(make([]byte, 300))
		_, err := e.routes.Routes(e.ctx(), &gantryv1.RoutesRequest{Name: long})
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("Routes with a 300-byte name: %v, want InvalidArgument", err)
		}
	})
}

func receiving(r *gantryv1.ServiceRoute) int {
	n := 0
	for _, ep := range r.GetEndpoints() {
		if ep.GetReceives() {
			n++
		}
	}
	return n
}

func TestWatchWakesOnNewTables(t *testing.T) {
	store := clienttest.NewStore()
	p := startFake(t, store, &fakeDataplane{}, nil)
	testutil.Eventually(t, 10*time.Second, func() error {
		if p.Table() == nil {
			return errors.New("no table yet")
		}
		return nil
	})
	tb, changed := p.Watch()
	storeService(t, store, "late")
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("Watch's channel not closed after a new table")
	}
	next, _ := p.Watch()
	if next == tb {
		t.Fatal("Watch returned the old table after its channel closed")
	}
	testutil.Eventually(t, 10*time.Second, func() error {
		if _, ok := p.Table().Service(table.ServiceKey{Namespace: "default", Name: "late"}); !ok {
			return errors.New("service not in the table yet")
		}
		return nil
	})
}
