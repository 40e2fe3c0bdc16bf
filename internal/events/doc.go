// Package events owns how Gantry's components record Events: a
// Broadcaster per process with one Recorder per source (component, host),
// in the shape of client-go's record.EventBroadcaster and EventRecorder.
//
// Recording never blocks the caller: Eventf builds the Event, passes it
// through the spam filter — a token bucket per source and involved object
// (25 events at once, then one per 5 minutes), so a looping failure or a
// ReplicaSet creating 10,000 pods cannot flood the store, nor crowd other
// events out of the queue — and offers it to a bounded queue; a full queue
// drops it (counted, logged at most every few seconds). One writer
// goroutine drains the queue and runs each event through the correlator,
// as Kubernetes' EventCorrelator does:
//
//   - aggregation: more than 10 events of one source, object, type and
//     reason with different messages within 10 minutes become one event
//     whose message starts "(combined from similar events): ";
//   - de-duplication: an event equal to a recent one (same source, object,
//     type, reason and message) bumps that Event's count and lastTimestamp
//     instead of creating a new object.
//
// The correlator's caches are bounded LRUs. The writer sends creates and
// updates in Batch calls, coalescing repeated bumps of one Event into one
// write, and retries what failed: a conflict or a lost create is read back
// and written again, a write the server refused for good is dropped. A
// write budget (50 a second, bursts of 250, as the kubelet's --event-qps)
// bounds what events cost the apiservers: past it events wait, and then
// are dropped, rather than slow the work they describe.
//
// Events are named <object>.<hex nanoseconds> as in Kubernetes; events of
// cluster-scoped objects (Nodes) go to namespace "default". The apiservers
// expire them (services/apiserver/eventgc), so none of this can grow the
// store without limit.
package events
