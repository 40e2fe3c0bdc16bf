package api_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/apiserver/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// rpcTimeout bounds one call in these tests; a healthy in-process cluster
// answers in milliseconds.
const rpcTimeout = 10 * time.Second

// newCluster starts three masters and waits until every one has
// registered its API address, so that no bootstrap write is still in
// flight when a test starts measuring revisions.
func newCluster(t *testing.T, opts ...testutil.Option) *testutil.Cluster {
	t.Helper()
	c := testutil.NewCluster(t, 3, opts...)
	testutil.Eventually(t, 10*time.Second, func() error {
		l := c.Leader()
		for _, m := range c.Members {
			info, ok := findMember(l.Server().Store(), m.ID)
			if !ok || info != m.Cfg.Listen {
				return fmt.Errorf("%s not registered yet", m.ID)
			}
		}
		for _, ns := range []string{"default", "gantry-system", "gantry-node-lease"} {
			if _, _, err := l.Server().Store().Get(apimeta.KindNamespace, "", ns); err != nil {
				return fmt.Errorf("namespace %s not bootstrapped yet", ns)
			}
		}
		// Every master has applied everything the leader has.
		rev := l.Server().Store().Revision()
		for _, m := range c.Members {
			if got := m.Server().Store().Revision(); got < rev {
				return fmt.Errorf("%s at revision %d, leader at %d", m.ID, got, rev)
			}
		}
		return nil
	})
	return c
}

func findMember(st *store.Store, id string) (string, bool) {
	for _, m := range st.Members() {
		if m.GetId() == id {
			return m.GetApiAddress(), m.GetApiAddress() != ""
		}
	}
	return "", false
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	t.Cleanup(cancel)
	return ctx
}

// Fixtures.

func meta(ns, name string, labels map[string]string) *gantryv1.ObjectMeta {
	return &gantryv1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}
}

func configMap(ns, name string, labels, data map[string]string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.ConfigMap{Metadata: meta(ns, name, labels), Data: data})
}

func namespace(name string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: name}})
}

func node(name string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Node{Metadata: &gantryv1.ObjectMeta{Name: name}})
}

func pod(ns, name, nodeName string, labels map[string]string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Pod{
		Metadata: meta(ns, name, labels),
		Spec: &gantryv1.PodSpec{
			NodeName:   nodeName,
			Containers: []*gantryv1.Container{{Name: "app", Image: "busybox"}},
		},
	})
}

func deployment(ns, name string, app string) *gantryv1.Object {
	sel := map[string]string{"app": app}
	return apimeta.Wrap(&gantryv1.Deployment{
		Metadata: meta(ns, name, nil),
		Spec: &gantryv1.DeploymentSpec{
			Selector: &gantryv1.LabelSelector{MatchLabels: sel},
			Template: &gantryv1.PodTemplateSpec{
				Metadata: &gantryv1.ObjectMeta{Labels: sel},
				Spec:     &gantryv1.PodSpec{Containers: []*gantryv1.Container{{Name: "app", Image: "nginx:1"}}},
			},
		},
	})
}

// Calls.

func create(t *testing.T, m *testutil.Member, o *gantryv1.Object) *gantryv1.Object {
	t.Helper()
	resp, err := m.Resource.Create(ctxT(t), &gantryv1.CreateRequest{Object: o})
	if err != nil {
		t.Fatalf("create %s %s on %s: %v", apimeta.KindOf(o), apimeta.Meta(o).GetName(), m.ID, err)
	}
	return resp.GetObject()
}

func update(t *testing.T, m *testutil.Member, o *gantryv1.Object) *gantryv1.Object {
	t.Helper()
	resp, err := m.Resource.Update(ctxT(t), &gantryv1.UpdateRequest{Object: o})
	if err != nil {
		t.Fatalf("update %s %s on %s: %v", apimeta.KindOf(o), apimeta.Meta(o).GetName(), m.ID, err)
	}
	return resp.GetObject()
}

func get(t *testing.T, m *testutil.Member, kind, ns, name string) *gantryv1.Object {
	t.Helper()
	resp, err := m.Resource.Get(ctxT(t), &gantryv1.GetRequest{Kind: kind, Namespace: ns, Name: name})
	if err != nil {
		t.Fatalf("get %s %s/%s on %s: %v", kind, ns, name, m.ID, err)
	}
	return resp.GetObject()
}

func del(t *testing.T, m *testutil.Member, kind, ns, name string) *gantryv1.Object {
	t.Helper()
	resp, err := m.Resource.Delete(ctxT(t), &gantryv1.DeleteRequest{Kind: kind, Namespace: ns, Name: name})
	if err != nil {
		t.Fatalf("delete %s %s/%s on %s: %v", kind, ns, name, m.ID, err)
	}
	return resp.GetObject()
}

// listAll reads every page of a list.
func listAll(t *testing.T, m *testutil.Member, req *gantryv1.ListRequest) []*gantryv1.Object {
	t.Helper()
	var out []*gantryv1.Object
	req = proto.Clone(req).(*gantryv1.ListRequest)
	for {
		resp, err := m.Resource.List(ctxT(t), req)
		if err != nil {
			t.Fatalf("list %v on %s: %v", req, m.ID, err)
		}
		out = append(out, resp.GetItems()...)
		if resp.GetContinueToken() == "" {
			return out
		}
		req.ContinueToken = resp.GetContinueToken()
	}
}

func names(objs []*gantryv1.Object) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, apimeta.Key(apimeta.Meta(o).GetNamespace(), apimeta.Meta(o).GetName()))
	}
	return out
}

func rvOf(o *gantryv1.Object) string { return apimeta.Meta(o).GetResourceVersion() }

func rvNum(t *testing.T, rv string) uint64 {
	t.Helper()
	n, err := apimeta.ParseResourceVersion(rv)
	if err != nil || n == 0 {
		t.Fatalf("resource_version %q is not a positive decimal: %v", rv, err)
	}
	return n
}

// wantStatus checks that err is a gRPC status with code whose message
// contains every one of msgs.
func wantStatus(t *testing.T, err error, code codes.Code, msgs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	st, ok := status.FromError(err)
	if !ok {
		t.Fatalf("got non-status error %v, want %s", err, code)
	}
	if st.Code() != code {
		t.Fatalf("got %s (%q), want %s", st.Code(), st.Message(), code)
	}
	for _, m := range msgs {
		if !strings.Contains(st.Message(), m) {
			t.Errorf("%s message %q does not mention %q", code, st.Message(), m)
		}
	}
}

// Watching.

// watchStream collects a watch's events in the background.
type watchStream struct {
	t      *testing.T
	cancel context.CancelFunc
	events chan *gantryv1.WatchEvent
	done   chan error
}

// openWatch starts a watch and returns once the call is set up. Errors the
// server returns arrive through nextErr.
func openWatch(t *testing.T, m *testutil.Member, req *gantryv1.WatchRequest) *watchStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := m.Resource.Watch(ctx, req)
	if err != nil {
		cancel()
		t.Fatalf("watch %v on %s: %v", req, m.ID, err)
	}
	w := &watchStream{t: t, cancel: cancel, events: make(chan *gantryv1.WatchEvent, 10000), done: make(chan error, 1)}
	go func() {
		for {
			resp, err := stream.Recv()
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				w.done <- err
				close(w.events)
				return
			}
			for _, ev := range resp.GetEvents() {
				select {
				case w.events <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	t.Cleanup(w.stop)
	return w
}

func (w *watchStream) stop() { w.cancel() }

// next returns the next event, failing the test after timeout.
func (w *watchStream) next(timeout time.Duration) *gantryv1.WatchEvent {
	w.t.Helper()
	select {
	case ev, ok := <-w.events:
		if !ok {
			w.t.Fatalf("watch ended: %v", <-w.done)
		}
		return ev
	case <-time.After(timeout):
		w.t.Fatalf("no watch event within %s", timeout)
	}
	return nil
}

// nextChange returns the next event that is not a BOOKMARK.
func (w *watchStream) nextChange(timeout time.Duration) *gantryv1.WatchEvent {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ev := w.next(time.Until(deadline))
		if ev.GetType() != gantryv1.WatchEventType_WATCH_EVENT_TYPE_BOOKMARK {
			return ev
		}
	}
}

// err waits for the watch to end and returns its error.
func (w *watchStream) err(timeout time.Duration) error {
	w.t.Helper()
	for {
		select {
		case ev, ok := <-w.events:
			if !ok {
				return <-w.done
			}
			w.t.Fatalf("want the watch to fail, got event %v %s", ev.GetType(), ev.GetResourceVersion())
		case <-time.After(timeout):
			w.t.Fatalf("watch did not end within %s", timeout)
		}
	}
}

// expectChange checks the next non-bookmark event's type and object name.
func (w *watchStream) expectChange(typ gantryv1.WatchEventType, name string) *gantryv1.WatchEvent {
	w.t.Helper()
	ev := w.nextChange(5 * time.Second)
	if ev.GetType() != typ || apimeta.Meta(ev.GetObject()).GetName() != name {
		w.t.Fatalf("got %s %s (rv %s), want %s %s", ev.GetType(), apimeta.Meta(ev.GetObject()).GetName(), ev.GetResourceVersion(), typ, name)
	}
	if ev.GetResourceVersion() != rvOf(ev.GetObject()) {
		w.t.Errorf("%s %s: event resource_version %s differs from the object's %s", typ, name, ev.GetResourceVersion(), rvOf(ev.GetObject()))
	}
	return ev
}

const (
	added    = gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED
	modified = gantryv1.WatchEventType_WATCH_EVENT_TYPE_MODIFIED
	deleted  = gantryv1.WatchEventType_WATCH_EVENT_TYPE_DELETED
	bookmark = gantryv1.WatchEventType_WATCH_EVENT_TYPE_BOOKMARK
)

func contextWithTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), rpcTimeout)
}

// createAll creates objs through all masters at once and returns the
// stored objects in resource_version order.
func createAll(t *testing.T, c *testutil.Cluster, objs []*gantryv1.Object) []*gantryv1.Object {
	t.Helper()
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		out []*gantryv1.Object
	)
	for j, m := range c.Members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := j; i < len(objs); i += len(c.Members) {
				ctx, cancel := contextWithTimeout()
				resp, err := m.Resource.Create(ctx, &gantryv1.CreateRequest{Object: objs[i]})
				cancel()
				if err != nil {
					t.Errorf("create %s through %s: %v", apimeta.Meta(objs[i]).GetName(), m.ID, err)
					return
				}
				mu.Lock()
				out = append(out, resp.GetObject())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	slices.SortFunc(out, func(a, b *gantryv1.Object) int { return cmp.Compare(rvNum(t, rvOf(a)), rvNum(t, rvOf(b))) })
	return out
}
