// Package snapshotfile reads a Gantry backup — the stream
// ClusterService.Snapshot sends, which is the store's persisted snapshot:
// a length-delimited SnapshotHeader followed by length-delimited Object
// envelopes — and checks it without loading it into a store. gantryctl
// uses it to verify a backup it saved ("cluster snapshot save/status");
// "gantry restore" uses it before it lays out a new cluster's data.
//
// The writer is services/apiserver/store (Snapshot.Persist); this reader
// must follow its format version.
package snapshotfile
