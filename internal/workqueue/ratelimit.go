package workqueue

import "time"

// AddRateLimited adds item after its backoff: BaseDelay doubled for each
// failure since the last Forget, capped at MaxDelay.
func (q *Queue[T]) AddRateLimited(item T) {
	q.mu.Lock()
	n := q.failures[item]
	if !q.shutdown {
		q.failures[item] = n + 1
	}
	q.mu.Unlock()
	q.retries.Add(1)
	q.AddAfter(item, q.backoff(n))
}

// backoff returns the delay after n earlier failures.
func (q *Queue[T]) backoff(n int) time.Duration {
	d := q.cfg.BaseDelay
	for i := 0; i < n; i++ {
		if d >= q.cfg.MaxDelay/2 {
			return q.cfg.MaxDelay
		}
		d *= 2
	}
	return min(d, q.cfg.MaxDelay)
}

// Forget resets item's failures (call it when it was processed without
// error). It does not remove the item from the queue.
func (q *Queue[T]) Forget(item T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.failures, item)
}

// NumRequeues returns the failures counted for item since its last Forget.
func (q *Queue[T]) NumRequeues(item T) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.failures[item]
}
