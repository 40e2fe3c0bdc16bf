package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// rolloutMonitor follows a Deployment's pods — a list, then a watch from
// the list's resource_version, so it sees every state the store went
// through — and checks a rolling update's bounds after every write: at
// most maxActive pods not terminating, at least minReady of them Ready.
type rolloutMonitor struct {
	maxActive, minReady int
	isNew               func(*gantryv1.Pod) bool

	mu         sync.Mutex
	pods       map[string]*gantryv1.Pod
	moments    int // states checked (one per write)
	peakActive int
	lowReady   int
	violations []string
	err        error
	onSeen     func(*gantryv1.Pod)

	cancel context.CancelFunc
	done   chan struct{}
}

// watchRollout starts a monitor of the pods matching selector.
func (w *workloadCluster) watchRollout(selector string, maxActive, minReady int, isNew func(*gantryv1.Pod) bool) *rolloutMonitor {
	w.t.Helper()
	ctx, cancel := w.ctx()
	list, err := w.cl.List(ctx, &gantryv1.ListRequest{Kind: apimeta.KindPod, Namespace: "default", LabelSelector: selector})
	cancel()
	if err != nil {
		w.t.Fatal(err)
	}
	m := &rolloutMonitor{maxActive: maxActive, minReady: minReady, isNew: isNew, pods: map[string]*gantryv1.Pod{},
		lowReady: int(^uint(0) >> 1), onSeen: func(p *gantryv1.Pod) { w.seen(p) }, done: make(chan struct{})}
	for _, o := range list.GetItems() {
		m.pods[podName(o.GetPod())] = o.GetPod()
	}
	m.check(list.GetResourceVersion())
	wctx, wcancel := context.WithCancel(context.Background())
	m.cancel = wcancel
	watcher := w.cl.Watch(wctx, &gantryv1.WatchRequest{Kind: apimeta.KindPod, Namespace: "default",
		LabelSelector: selector, ResourceVersion: list.GetResourceVersion()})
	go func() {
		defer close(m.done)
		for resp := range watcher.Responses() {
			m.apply(resp.GetEvents())
		}
		if err := watcher.Err(); err != nil && wctx.Err() == nil {
			m.mu.Lock()
			m.err = fmt.Errorf("pod watch ended: %w", err)
			m.mu.Unlock()
		}
	}()
	w.t.Cleanup(m.stop)
	return m
}

// apply applies one response's events, checking the bounds after each
// write (the events of one write share a resource_version).
func (m *rolloutMonitor) apply(events []*gantryv1.WatchEvent) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, ev := range events {
		p := ev.GetObject().GetPod()
		switch ev.GetType() {
		case gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED, gantryv1.WatchEventType_WATCH_EVENT_TYPE_MODIFIED:
			m.pods[podName(p)] = p
			m.onSeen(p)
		case gantryv1.WatchEventType_WATCH_EVENT_TYPE_DELETED:
			delete(m.pods, podName(p))
		default:
			continue // bookmark
		}
		if i == len(events)-1 || events[i+1].GetResourceVersion() != ev.GetResourceVersion() {
			m.check(ev.GetResourceVersion())
		}
	}
}

// check checks the bounds in the current state (m.mu held or not shared).
func (m *rolloutMonitor) check(rv string) {
	active, ready := 0, 0
	var names []string
	for name, p := range m.pods {
		if terminating(p) {
			continue
		}
		active++
		state := "old"
		if m.isNew(p) {
			state = "new"
		}
		if runningReady(p) {
			ready++
			state += ",ready"
		}
		names = append(names, name+"("+state+")")
	}
	m.moments++
	m.peakActive = max(m.peakActive, active)
	m.lowReady = min(m.lowReady, ready)
	if active > m.maxActive || ready < m.minReady {
		m.violations = append(m.violations, fmt.Sprintf("at resource_version %s: %d pods not terminating (at most %d), %d Ready (at least %d): %v",
			rv, active, m.maxActive, ready, m.minReady, names))
	}
}

// finished reports whether the rollout is over as far as the pods go:
// exactly want pods exist (terminating ones included), all new and Ready.
func (m *rolloutMonitor) finished(want int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	var old, notReady []string
	for name, p := range m.pods {
		if !m.isNew(p) {
			old = append(old, name)
		} else if !runningReady(p) {
			notReady = append(notReady, name)
		}
	}
	if len(m.pods) != want || len(old) > 0 || len(notReady) > 0 {
		return fmt.Errorf("%d pods; old pods left %v; new pods not Ready %v", len(m.pods), old, notReady)
	}
	return nil
}

func (m *rolloutMonitor) stop() {
	m.cancel()
	<-m.done
}

// report stops the monitor and fails the test on any bound it saw broken.
func (m *rolloutMonitor) report(t *testing.T) (moments, peakActive, lowReady int) {
	t.Helper()
	m.stop()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range m.violations {
		t.Errorf("rolling update out of bounds %s", v)
	}
	if m.err != nil {
		t.Error(m.err)
	}
	return m.moments, m.peakActive, m.lowReady
}
