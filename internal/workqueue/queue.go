package workqueue

import (
	"sync"
	"sync/atomic"
)

// Queue is a deduplicating, delaying, rate-limited work queue of items of
// type T (usually "namespace/name" keys). It is safe for concurrent use.
type Queue[T comparable] struct {
	cfg Config

	mu       sync.Mutex
	notEmpty *sync.Cond
	notFull  *sync.Cond
	// queue holds the ready items in order; dirty the items that need
	// processing (queued, or re-added while processing); processing the
	// items handed to workers.
	queue      []T
	dirty      map[T]struct{}
	processing map[T]struct{}
	failures   map[T]int
	shutdown   bool

	waiting *waitHeap[T]
	wake    chan struct{}
	stopped chan struct{}

	adds, retries atomic.Int64
}

// New returns a queue and starts its delay loop; ShutDown stops it.
func New[T comparable](cfg Config) (*Queue[T], error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	q := &Queue[T]{
		cfg: cfg, dirty: map[T]struct{}{}, processing: map[T]struct{}{}, failures: map[T]int{},
		waiting: newWaitHeap[T](), wake: make(chan struct{}, 1), stopped: make(chan struct{}),
	}
	q.notEmpty = sync.NewCond(&q.mu)
	q.notFull = sync.NewCond(&q.mu)
	go q.delayLoop()
	return q, nil
}

// Add queues item unless it is already waiting to be processed. While
// MaxLen items are ready, Add blocks until a worker takes one (or the queue
// shuts down). Adding to a shut-down queue does nothing.
func (q *Queue[T]) Add(item T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for !q.shutdown && q.cfg.MaxLen > 0 && len(q.queue) >= q.cfg.MaxLen {
		if _, ok := q.dirty[item]; ok {
			return
		}
		q.notFull.Wait()
	}
	q.addLocked(item)
}

// addLocked marks item dirty and queues it unless a worker holds it (Done
// queues it then).
func (q *Queue[T]) addLocked(item T) {
	if q.shutdown {
		return
	}
	q.adds.Add(1)
	if _, ok := q.dirty[item]; ok {
		return
	}
	q.dirty[item] = struct{}{}
	if _, ok := q.processing[item]; ok {
		return
	}
	q.queue = append(q.queue, item)
	q.notEmpty.Signal()
}

// Get blocks until an item is ready and hands it to the caller, who must
// call Done with it. ok is false once the queue is shut down (items still
// queued are abandoned).
func (q *Queue[T]) Get() (item T, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.queue) == 0 && !q.shutdown {
		q.notEmpty.Wait()
	}
	if q.shutdown {
		return item, false
	}
	item = q.queue[0]
	var zero T
	q.queue[0] = zero
	q.queue = q.queue[1:]
	if len(q.queue) == 0 {
		q.queue = nil // let the backing array go
	}
	q.processing[item] = struct{}{}
	delete(q.dirty, item)
	q.notFull.Signal()
	return item, true
}

// Done tells the queue the worker finished item; if it was added again
// meanwhile, it is queued now.
func (q *Queue[T]) Done(item T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, item)
	if _, ok := q.dirty[item]; ok && !q.shutdown {
		q.queue = append(q.queue, item)
		q.notEmpty.Signal()
	}
}

// Len returns how many items are ready and waiting for a worker.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queue)
}

// Waiting returns how many items wait for their delay to pass.
func (q *Queue[T]) Waiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.waiting.Len()
}

// Adds returns how many times items were added (deduplicated ones too).
func (q *Queue[T]) Adds() int64 { return q.adds.Load() }

// Retries returns how many times AddRateLimited was called.
func (q *Queue[T]) Retries() int64 { return q.retries.Load() }

// ShutDown makes Get return ok=false to every worker, stops the delay loop
// and drops what is queued. It is safe to call more than once.
func (q *Queue[T]) ShutDown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.shutdown {
		return
	}
	q.shutdown = true
	q.queue = nil
	close(q.stopped)
	q.notEmpty.Broadcast()
	q.notFull.Broadcast()
}

// ShuttingDown reports whether ShutDown was called.
func (q *Queue[T]) ShuttingDown() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.shutdown
}
