// Package ctrltest owns the in-memory world controller tests run against:
// World is a fake API (ctrl.Client) with Kubernetes-like write semantics
// (generateName, uid and resource_version stamping, preconditions,
// generation, deletion finalizers and propagation policies) whose changes
// reach per-kind caches (ctrl.Cache) only when the test calls Sync, so a
// test decides exactly how stale each controller's view is.
package ctrltest
