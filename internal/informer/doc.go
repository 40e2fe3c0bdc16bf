// Package informer owns the list+watch cache of one kind: it lists every
// page, fills a thread-safe Store, watches from the list's version, resumes
// the watch after errors, relists and reconciles after OUT_OF_RANGE, and
// tells event handlers about every change, in order, from one goroutine.
//
// Objects in the Store and passed to handlers are shared and immutable:
// handlers and readers must not modify them (clone with proto.Clone first).
// Handlers run synchronously on the informer's goroutine, after the Store
// has been updated; they must be quick (typically: enqueue a key into a
// work queue), because a slow handler holds up the watch.
//
// Replayed events are ignored: an event whose resource_version is not newer
// than the cached object's changes nothing and calls no handler. This makes
// watching from the first page's version of a paginated list correct even
// though later pages were read at newer state.
package informer
