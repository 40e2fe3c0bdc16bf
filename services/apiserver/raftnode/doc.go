// Package raftnode owns a master's Raft replica: the hashicorp/raft
// instance with its bbolt log store, file snapshots and TCP transport, the
// FSM that feeds committed commands to the store, leadership (barrier
// before serving, transfer on shutdown), batched read-index for
// linearizable reads, and membership changes. It is the only package that
// imports hashicorp/raft.
package raftnode
