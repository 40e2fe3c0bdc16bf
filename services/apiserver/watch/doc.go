// Package watch owns serving ResourceService.Watch from a master's event
// log: the starting point (initial events, resume from a resource_version,
// OUT_OF_RANGE when too old), per-watcher filtering with Kubernetes
// selector semantics, bookmarks, and cheap fan-out: every event is
// marshalled once and its bytes are shared by all watchers.
package watch
