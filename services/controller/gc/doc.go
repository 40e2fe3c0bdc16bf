// Package gc owns the garbage collector: it keeps a graph of owner
// references between the objects of every watched kind (Pod, ReplicaSet,
// Deployment and, by default, every other kind but Event) and deletes what
// an owner leaves behind.
//
//   - Background: when an owner is gone (its delete event, NOT_FOUND on a
//     live read, or a live object with another uid), each dependent that
//     has no other live owner is deleted with a uid precondition; owner
//     references to missing owners are removed from dependents that still
//     have a live owner. Owners the graph has not observed are read live
//     before anything is deleted, and owners known to be absent are
//     remembered (bounded), so a thousand pods of one deleted ReplicaSet
//     cost one read.
//   - Orphan: an object being deleted with the "orphan" finalizer has its
//     owner reference removed from every dependent, then the finalizer.
//   - Foreground: an object being deleted with the "foregroundDeletion"
//     finalizer has its dependents deleted first (dependents that have
//     dependents of their own are deleted in foreground too); once no
//     dependent with blockOwnerDeletion remains, the finalizer is removed.
//
// Deletes from all workers are coalesced into Batch calls (ctrl.Batcher).
// Graph changes happen in the informers' handlers, under one mutex; work
// items ("delete:<uid>", "orphan:<uid>") go through one rate-limited
// queue.
package gc
