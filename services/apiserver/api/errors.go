package api

import (
	"context"
	"errors"

	"github.com/gantryio/gantry/internal/apistatus"
	"github.com/gantryio/gantry/services/apiserver/admission"
	"github.com/gantryio/gantry/services/apiserver/raftnode"
	"github.com/gantryio/gantry/services/apiserver/store"
	"github.com/gantryio/gantry/services/apiserver/watch"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Errors of the edge itself.
var (
	errInvalid  = errors.New("invalid request")
	errTooLarge = errors.New("too large")
	errNoLeader = errors.New("no leader")
	errForbid   = errors.New("not allowed")
)

// toStatus turns any error into the gRPC status a client sees. It is the
// only place that does.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	msg := err.Error()
	switch {
	case errors.Is(err, errInvalid), errors.Is(err, admission.ErrInvalid), errors.Is(err, watch.ErrInvalid),
		errors.Is(err, store.ErrBadCommand), errors.Is(err, store.ErrInvalid):
		return status.Error(codes.InvalidArgument, msg)
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrNamespaceNotFound), errors.Is(err, raftnode.ErrNoMember):
		return status.Error(codes.NotFound, msg)
	case errors.Is(err, store.ErrAlreadyExists):
		return status.Error(codes.AlreadyExists, msg)
	case errors.Is(err, store.ErrConflict):
		return status.Error(codes.Aborted, msg)
	case errors.Is(err, store.ErrUIDMismatch), errors.Is(err, store.ErrNamespaceTerminating),
		errors.Is(err, admission.ErrImmutable), errors.Is(err, errForbid):
		return status.Error(codes.FailedPrecondition, msg)
	case errors.Is(err, store.ErrCompacted):
		return status.Error(codes.OutOfRange, msg)
	case errors.Is(err, errTooLarge), errors.Is(err, raftnode.ErrTooLarge), errors.Is(err, store.ErrExhausted):
		return status.Error(codes.ResourceExhausted, msg)
	case errors.Is(err, raftnode.ErrNotLeader), errors.Is(err, raftnode.ErrNotApplied), errors.Is(err, errNoLeader):
		return apistatus.WithReason(codes.Unavailable, apistatus.ReasonNotApplied, msg)
	case errors.Is(err, raftnode.ErrOutcomeUnknown):
		return apistatus.WithReason(codes.Unavailable, apistatus.ReasonOutcomeUnknown, msg)
	case errors.Is(err, raftnode.ErrBehind):
		return status.Error(codes.Unavailable, msg)
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, msg)
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, msg)
	}
	return status.Error(codes.Internal, msg)
}
