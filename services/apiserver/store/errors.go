package store

import "errors"

// Sentinel results of Apply and errors of reads. They are deterministic
// outcomes, identical on every master.
var (
	ErrNotFound             = errors.New("not found")
	ErrAlreadyExists        = errors.New("already exists")
	ErrConflict             = errors.New("conflict")
	ErrUIDMismatch          = errors.New("uid precondition failed")
	ErrNamespaceNotFound    = errors.New("namespace not found")
	ErrNamespaceTerminating = errors.New("namespace is terminating")
	ErrBadCommand           = errors.New("malformed command")
	// ErrCompacted: a watch asked for history the event log no longer holds.
	ErrCompacted = errors.New("resource version too old")
)
