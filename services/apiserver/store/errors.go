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
	// ErrInvalid: the object breaks a rule only the store can judge, such
	// as a cluster IP or node port another Service already holds.
	ErrInvalid = errors.New("invalid object")
	// ErrExhausted: a range (cluster IPs, node ports) has nothing left.
	ErrExhausted = errors.New("range exhausted")
	// ErrCompacted: a watch asked for history the event log no longer holds.
	ErrCompacted = errors.New("resource version too old")
)

// fieldError is a result that names the object's field and the rule, in
// Kubernetes' words, and wraps a sentinel for the API edge to map.
type fieldError struct {
	kind error
	msg  string
}

func (e *fieldError) Error() string { return e.msg }
func (e *fieldError) Unwrap() error { return e.kind }
