package events

import (
	"context"
	"errors"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var errShortBatch = errors.New("events: Batch returned fewer results than ops")

// settle applies one write's result to its series: remember the stored
// version, or decide how to try again, or give up.
func (b *Broadcaster) settle(s *series, create bool, r *gantryv1.BatchResult) {
	code := codes.Code(r.GetCode())
	switch {
	case code == codes.OK:
		m := r.GetObject().GetEvent().GetMetadata()
		s.ev.Metadata.ResourceVersion, s.ev.Metadata.Uid = m.GetResourceVersion(), m.GetUid()
		s.attempts, s.readBack = 0, false
		if create {
			b.stats.created.Add(1)
		} else {
			b.stats.updated.Add(1)
		}
	case create && code == codes.AlreadyExists,
		!create && (code == codes.Aborted || code == codes.FailedPrecondition):
		// An earlier create landed after all, or the stored copy moved
		// (or was replaced): read it before writing again.
		s.readBack = true
		b.retry(s, false)
	case !create && code == codes.NotFound:
		// Expired (or deleted) meanwhile: create it again, count and all,
		// as client-go does.
		s.ev.Metadata.ResourceVersion, s.ev.Metadata.Uid = "", ""
		b.retry(s, false)
	case code == codes.Unavailable || code == codes.DeadlineExceeded || code == codes.Internal ||
		code == codes.Unknown || code == codes.Canceled:
		b.retry(s, true)
	default:
		// Refused for good: the namespace is gone or terminating, or the
		// event breaks a rule. Retrying would not change that.
		b.stats.rejected.Add(1)
		b.log.Debug("event refused", zap.String("event", s.ev.GetMetadata().GetNamespace()+"/"+s.ev.GetMetadata().GetName()),
			zap.Stringer("code", code), zap.String("message", r.GetMessage()))
	}
}

// retry queues s again, after a back-off when the failure was the
// server's or the network's, at once otherwise; MaxAttempts failures in
// a row give it up.
func (b *Broadcaster) retry(s *series, backoff bool) {
	s.attempts++
	if s.attempts >= b.cfg.MaxAttempts {
		b.stats.givenUp.Add(1)
		b.log.Debug("giving up an event", zap.String("event", s.ev.GetMetadata().GetName()), zap.Int("attempts", s.attempts))
		s.attempts, s.readBack = 0, false
		return
	}
	s.notBefore = b.cfg.Clock.Now()
	if backoff {
		d := b.cfg.RetryBackoff << min(s.attempts-1, 20)
		s.notBefore = s.notBefore.Add(min(d, b.cfg.RetryMaxBackoff))
	}
	b.enqueue(s)
}

// readBack reads the stored copy of s's Event before it is written again:
// ours (an earlier create landed) gives the version to update; another
// event of the same name (two events of one object in one nanosecond)
// makes s take a new name; none makes s a create. It reports whether s
// can be written now.
func (b *Broadcaster) readBack(ctx context.Context, s *series) bool {
	m := s.ev.GetMetadata()
	cctx, cancel := context.WithTimeout(ctx, b.cfg.RequestTimeout)
	stored, err := b.sink.Get(cctx, m.GetNamespace(), m.GetName())
	cancel()
	switch {
	case status.Code(err) == codes.NotFound:
		m.ResourceVersion, m.Uid = "", ""
	case err != nil:
		b.retry(s, true)
		return false
	case sameSeries(stored, s.ev):
		sm := stored.GetMetadata()
		m.ResourceVersion, m.Uid = sm.GetResourceVersion(), sm.GetUid()
		s.ev.Count = max(s.ev.GetCount(), stored.GetCount())
	default:
		now := b.cfg.Clock.Now()
		name := eventName(s.ev.GetInvolvedObject().GetName(), now)
		if name == m.GetName() {
			name = eventName(s.ev.GetInvolvedObject().GetName(), now.Add(time.Nanosecond))
		}
		m.Name, m.ResourceVersion, m.Uid = name, "", ""
	}
	s.readBack = false
	return true
}

// sameSeries reports whether stored is the Event ev continues.
func sameSeries(stored, ev *gantryv1.Event) bool {
	a, b := stored.GetInvolvedObject(), ev.GetInvolvedObject()
	return a.GetUid() == b.GetUid() && a.GetKind() == b.GetKind() && a.GetName() == b.GetName() &&
		stored.GetReason() == ev.GetReason() && stored.GetType() == ev.GetType() &&
		stored.GetSource().GetComponent() == ev.GetSource().GetComponent() && stored.GetSource().GetHost() == ev.GetSource().GetHost()
}
