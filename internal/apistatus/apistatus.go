package apistatus

import (
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Domain is the ErrorInfo domain of Gantry's error details.
const Domain = "gantry.io"

// ErrorInfo reasons attached to UNAVAILABLE errors.
const (
	// ReasonNotApplied: the request was not proposed to Raft (no leader,
	// shutting down). Retrying cannot apply it twice.
	ReasonNotApplied = "NOT_APPLIED"
	// ReasonOutcomeUnknown: the request was proposed but its result is not
	// known (leadership lost, deadline). It may or may not have applied.
	ReasonOutcomeUnknown = "OUTCOME_UNKNOWN"
)

// Forwarded is the gRPC metadata key a master sets when it forwards a call
// to the leader; a master that receives a forwarded call it cannot serve
// fails rather than forwarding again.
const Forwarded = "x-gantry-forwarded"

// WithReason returns a status error with code, message and an ErrorInfo
// carrying reason.
func WithReason(code codes.Code, reason, msg string) error {
	st := status.New(code, msg)
	if d, err := st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: Domain}); err == nil {
		st = d
	}
	return st.Err()
}

// Reason returns the ErrorInfo reason of a gRPC error, or "".
func Reason(err error) string {
	st, ok := status.FromError(err)
	if !ok {
		return ""
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == Domain {
			return info.GetReason()
		}
	}
	return ""
}

// WriteRetryable reports whether a failed write can be sent again without
// risk of applying it twice: the server said it did not apply it.
func WriteRetryable(err error) bool {
	return status.Code(err) == codes.Unavailable && Reason(err) == ReasonNotApplied
}

// ReadRetryable reports whether a failed read (or watch) should be tried
// again, possibly on another master. Callers also stop when their own
// context is done.
func ReadRetryable(err error) bool {
	return status.Code(err) == codes.Unavailable
}
