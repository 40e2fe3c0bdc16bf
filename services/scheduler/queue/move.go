package queue

import (
	"context"
	"time"
)

// toActive puts qp on the active heap and wakes Pop.
func (q *Queue) toActive(qp *QueuedPod) {
	q.seq++
	qp.seq, qp.loc = q.seq, inActive
	q.pods[qp.Info.Key] = qp
	q.active.push(qp)
	signal(q.notify)
}

// toBackoff puts qp on the backoff heap and wakes Run.
func (q *Queue) toBackoff(qp *QueuedPod) {
	qp.loc = inBackoff
	q.pods[qp.Info.Key] = qp
	q.backoff.push(qp)
	signal(q.wake)
}

// unlink removes qp from wherever it is queued.
func (q *Queue) unlink(qp *QueuedPod) {
	switch qp.loc {
	case inActive:
		q.active.remove(qp)
	case inBackoff:
		q.backoff.remove(qp)
	case inUnschedulable:
		delete(q.unschedulable, qp.Info.Key)
	}
	qp.loc = nowhere
	delete(q.pods, qp.Info.Key)
}

// moveOut takes qp out of the unschedulable pool: to backoff while its
// backoff lasts, else to active.
func (q *Queue) moveOut(qp *QueuedPod, now time.Time) {
	q.unlink(qp)
	if now.Before(qp.backoffUntil) {
		q.toBackoff(qp)
		return
	}
	q.toActive(qp)
}

// FlushBackoffCompleted makes the pods whose backoff ended active.
func (q *Queue) FlushBackoffCompleted() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.clock.Now()
	for q.backoff.Len() > 0 && !q.backoff.peek().backoffUntil.After(now) {
		qp := q.backoff.pop()
		delete(q.pods, qp.Info.Key)
		q.toActive(qp)
	}
}

// FlushUnschedulableLeftover moves the pods that have waited in the
// unschedulable pool for UnschedulableTimeout or more.
func (q *Queue) FlushUnschedulableLeftover() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.clock.Now()
	for _, qp := range q.unschedulable {
		if now.Sub(qp.unschedulableSince) >= q.cfg.UnschedulableTimeout {
			q.moveOut(qp, now)
		}
	}
}

// nextBackoff returns when the first backoff ends (zero if none).
func (q *Queue) nextBackoff() time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.backoff.Len() == 0 {
		return time.Time{}
	}
	return q.backoff.peek().backoffUntil
}

// Run moves pods out of backoff as their backoff ends and flushes the
// unschedulable pool every FlushInterval, until ctx ends. It sleeps until
// the next deadline; it never polls.
func (q *Queue) Run(ctx context.Context) {
	nextFlush := q.clock.Now().Add(q.cfg.FlushInterval)
	for {
		q.FlushBackoffCompleted()
		now := q.clock.Now()
		if !now.Before(nextFlush) {
			q.FlushUnschedulableLeftover()
			nextFlush = now.Add(q.cfg.FlushInterval)
		}
		deadline := nextFlush
		if b := q.nextBackoff(); !b.IsZero() && b.Before(deadline) {
			deadline = b
		}
		t := q.clock.NewTimer(deadline.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		case <-q.wake:
			t.Stop()
		}
	}
}
