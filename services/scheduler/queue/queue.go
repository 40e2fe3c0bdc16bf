package queue

import (
	"context"
	"sync"
	"time"

	"github.com/gantryio/gantry/services/scheduler/clock"
	"github.com/gantryio/gantry/services/scheduler/framework"
)

// Queue holds the pods waiting to be scheduled. Its methods are safe for
// concurrent use; Pop is meant for one consumer (the scheduling loop).
type Queue struct {
	cfg   Config
	clock clock.Clock

	mu            sync.Mutex
	pods          map[string]*QueuedPod
	active        *podHeap
	backoff       *podHeap
	unschedulable map[string]*QueuedPod
	inFlight      map[string]*inFlight
	seq           uint64

	// notify wakes Pop when the active heap gains a pod; wake makes Run
	// recompute its next deadline. Both hold at most one signal.
	notify, wake chan struct{}
}

// New returns an empty queue.
func New(cfg Config, clk clock.Clock) (*Queue, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if clk == nil {
		clk = clock.Real()
	}
	return &Queue{
		cfg: cfg, clock: clk,
		pods:          map[string]*QueuedPod{},
		active:        newHeap(byPriority),
		backoff:       newHeap(byBackoff),
		unschedulable: map[string]*QueuedPod{},
		inFlight:      map[string]*inFlight{},
		notify:        make(chan struct{}, 1),
		wake:          make(chan struct{}, 1),
	}, nil
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Lens returns the number of pods active, backing off and unschedulable.
func (q *Queue) Lens() (active, backoff, unschedulable int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.active.Len(), q.backoff.Len(), len(q.unschedulable)
}

// Add queues a new pending pod (an update if the pod is already known).
func (q *Queue) Add(pi *framework.PodInfo) { q.Update(pi, true) }

// Update records a newer version of a pending pod. changed says whether
// anything that affects scheduling (spec, labels) changed; only then does
// an unschedulable pod get another attempt. An unknown pod is added.
func (q *Queue) Update(pi *framework.PodInfo, changed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if f, ok := q.inFlight[pi.Key]; ok {
		f.latest = pi
		f.changed = f.changed || changed
		return
	}
	qp, ok := q.pods[pi.Key]
	if !ok {
		q.toActive(&QueuedPod{Info: pi, Added: q.clock.Now(), index: -1})
		return
	}
	qp.Info = pi
	switch qp.loc {
	case inActive:
		q.active.fix(qp)
	case inUnschedulable:
		if changed {
			q.moveOut(qp, q.clock.Now())
		}
	}
}

// Delete drops a pod (deleted, bound elsewhere, no longer ours).
func (q *Queue) Delete(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if f, ok := q.inFlight[key]; ok {
		f.deleted = true
	}
	if qp, ok := q.pods[key]; ok {
		q.unlink(qp)
	}
}

// Has reports whether the pod is queued or in flight.
func (q *Queue) Has(key string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	_, queued := q.pods[key]
	_, flying := q.inFlight[key]
	return queued || flying
}

// Pop waits for an active pod, marks it in flight and returns it; it
// returns ctx's error when ctx ends first. Report the outcome with Done,
// AddUnschedulable or AddBackoff.
func (q *Queue) Pop(ctx context.Context) (*QueuedPod, error) {
	for {
		q.mu.Lock()
		if q.active.Len() > 0 {
			qp := q.active.pop()
			delete(q.pods, qp.Info.Key)
			qp.loc = nowhere
			qp.Attempts++
			q.inFlight[qp.Info.Key] = &inFlight{}
			if q.active.Len() > 0 {
				signal(q.notify)
			}
			q.mu.Unlock()
			return qp, nil
		}
		q.mu.Unlock()
		select {
		case <-q.notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Done ends a successful attempt: the pod is placed and leaves the queue.
func (q *Queue) Done(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.inFlight, key)
}

// AddUnschedulable ends an attempt that found no node; rejectors are the
// filters that rejected it. The pod waits in the unschedulable pool for an
// event naming one of them, or in backoff if such an event (or a change
// to the pod) already happened during the attempt.
func (q *Queue) AddUnschedulable(qp *QueuedPod, rejectors framework.PluginSet) {
	q.mu.Lock()
	defer q.mu.Unlock()
	f, keep := q.land(qp)
	if !keep {
		return
	}
	now := q.clock.Now()
	qp.backoffUntil = now.Add(q.backoffDuration(qp.Attempts))
	qp.rejectors = rejectors
	if f.changed || f.events&rejectors != 0 {
		q.toBackoff(qp)
		return
	}
	qp.loc, qp.unschedulableSince = inUnschedulable, now
	q.pods[qp.Info.Key] = qp
	q.unschedulable[qp.Info.Key] = qp
}

// AddBackoff ends a failed attempt (an error, not a misfit), or requeues
// a pod whose binding failed: it retries after its backoff. A pod queued
// again meanwhile, or deleted during its attempt, is left alone.
func (q *Queue) AddBackoff(qp *QueuedPod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, keep := q.land(qp); !keep {
		return
	}
	qp.backoffUntil = q.clock.Now().Add(q.backoffDuration(qp.Attempts))
	q.toBackoff(qp)
}

// land ends qp's flight and applies what happened during it; keep is
// false when the pod must not be queued again.
func (q *Queue) land(qp *QueuedPod) (f *inFlight, keep bool) {
	key := qp.Info.Key
	f, ok := q.inFlight[key]
	delete(q.inFlight, key)
	if !ok {
		f = &inFlight{}
	}
	if _, queued := q.pods[key]; queued || f.deleted {
		return f, false
	}
	if f.latest != nil {
		qp.Info = f.latest
	}
	return f, true
}

// backoffDuration is InitialBackoff doubled per failed attempt after the
// first, capped at MaxBackoff.
func (q *Queue) backoffDuration(attempts int) time.Duration {
	d := q.cfg.InitialBackoff
	for i := 1; i < attempts && d < q.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, q.cfg.MaxBackoff)
}

// MoveAll moves the unschedulable pods that ev may help to backoff or
// active, and records ev for the pods in flight.
func (q *Queue) MoveAll(ev Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, f := range q.inFlight {
		f.events |= ev.Plugins
	}
	now := q.clock.Now()
	for _, qp := range q.unschedulable {
		if qp.rejectors&ev.Plugins != 0 {
			q.moveOut(qp, now)
		}
	}
}
