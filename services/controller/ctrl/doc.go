// Package ctrl owns what every Gantry controller shares: the Client and
// Cache interfaces controllers are written against (satisfied by
// internal/client and internal/informer in production, by ctrltest in
// tests), the worker loop (Runner) that feeds keys from a work queue to an
// idempotent reconcile function, owner-reference and pod-readiness helpers,
// adoption/release of objects by selector (Claim), and chunked, parallel
// Batch writes.
//
// Reconcile functions read only caches; every write carries a precondition
// (resource_version or uid), so a write based on a stale cache fails with
// ABORTED/FAILED_PRECONDITION and the key is retried once the cache has
// caught up.
package ctrl
