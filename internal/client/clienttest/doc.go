// Package clienttest owns an in-memory fake of Gantry's ResourceService for
// tests of API clients: a Store with Raft-like resource versions, paging,
// a compactable event log and watch cursors, and a gRPC Server over it with
// fault injection. It is not the real apiserver: label selectors support
// only "k=v" terms, field selectors are ignored, and a watch does not turn
// an object leaving its selector into a DELETED event.
package clienttest
