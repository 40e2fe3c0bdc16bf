package raftnode

import "errors"

var (
	// ErrNotLeader: this master is not a leader ready to serve; nothing was
	// proposed.
	ErrNotLeader = errors.New("not the leader")
	// ErrNotApplied: the command was refused before it entered the log.
	ErrNotApplied = errors.New("command not applied")
	// ErrOutcomeUnknown: the command was proposed, but whether it committed
	// is unknown (leadership lost, deadline, shutdown).
	ErrOutcomeUnknown = errors.New("command outcome unknown")
	// ErrTooLarge: the command is over the size limit.
	ErrTooLarge = errors.New("command too large")
	// ErrBehind: this master did not catch up to the requested index in time.
	ErrBehind = errors.New("master is behind")
	// ErrNoMember: the named member is not in the cluster.
	ErrNoMember = errors.New("no such member")
)
