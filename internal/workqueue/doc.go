// Package workqueue owns the work queues of Gantry's controllers: a
// client-go style queue of keys that
//
//   - deduplicates: an item waiting in the queue is held once, however often
//     it is added;
//   - never hands one item to two workers at once: an item added while a
//     worker processes it is queued again when the worker calls Done;
//   - delays: AddAfter holds an item until its time comes (one entry per
//     item, the earliest time wins);
//   - rate-limits per item: AddRateLimited waits BaseDelay·2^(failures-1),
//     capped at MaxDelay, until Forget resets the item's failures;
//   - is bounded: at most one entry per distinct item in the queue, one in
//     the waiting heap, and Add blocks (backpressure) while MaxLen items are
//     ready and unprocessed;
//   - takes its time from an injected Clock, so tests step time instead of
//     sleeping (FakeClock).
//
// Typical worker:
//
//	for {
//		key, ok := q.Get()
//		if !ok {
//			return // shut down
//		}
//		if err := reconcile(ctx, key); err != nil {
//			q.AddRateLimited(key)
//		} else {
//			q.Forget(key)
//		}
//		q.Done(key)
//	}
package workqueue
