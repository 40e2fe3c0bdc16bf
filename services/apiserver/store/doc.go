// Package store owns the state every master replicates: the objects of
// every kind, the member list, the revision, and the event log that feeds
// watches. It applies Raft commands deterministically and never imports
// raft; see DESIGN.md beside this file for the invariants.
package store
