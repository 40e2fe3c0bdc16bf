package events

import (
	"context"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/workqueue"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
)

// Run correlates and writes events until ctx ends, then spends up to
// FlushTimeout writing what is still waiting. Run it once per Broadcaster.
func (b *Broadcaster) Run(ctx context.Context) {
	for {
		var timer workqueue.Timer
		var fire <-chan time.Time
		if d, ok := b.nextDue(); ok {
			timer = b.cfg.Clock.NewTimer(d)
			fire = timer.C()
		}
		select {
		case ev := <-b.queue:
			b.observe(ev)
		case <-fire:
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			b.finish()
			return
		}
		if timer != nil {
			timer.Stop()
		}
		b.drain()
		b.flush(ctx)
	}
}

// finish writes what is queued or ready, within FlushTimeout, so the last
// events of a stopping component (a pod killed on the way out) land.
func (b *Broadcaster) finish() {
	if b.cfg.FlushTimeout <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.FlushTimeout)
	defer cancel()
	b.drain()
	// Writes waiting out a back-off get one last try now (one: a failure
	// backs off again, past the loop).
	for _, s := range b.pending {
		s.notBefore = time.Time{}
	}
	for ctx.Err() == nil && b.flush(ctx) > 0 {
	}
}

// drain correlates what the queue holds now (at most one queue's worth,
// so writing is never starved).
func (b *Broadcaster) drain() {
	for range b.cfg.QueueSize {
		select {
		case ev := <-b.queue:
			b.observe(ev)
		default:
			return
		}
	}
}

// observe runs one event through the correlator and queues its write.
func (b *Broadcaster) observe(ev *gantryv1.Event) {
	s, v := b.corr.observe(ev, ev.GetLastTimestamp().AsTime())
	switch v {
	case verdictRepeat:
		b.stats.repeats.Add(1)
	case verdictCombine:
		b.stats.combined.Add(1)
	}
	b.enqueue(s)
}

// enqueue adds s to the pending writes (once), giving up the oldest when
// MaxPending are waiting.
func (b *Broadcaster) enqueue(s *series) {
	if s.queued {
		return
	}
	if len(b.pending) >= b.cfg.MaxPending {
		old := b.pending[0]
		old.queued = false
		b.pending = b.pending[1:]
		b.stats.pendingFull.Add(1)
		b.logDrop("too many events waiting to be written; giving up the oldest", b.stats.pendingFull.Load(), old.ev)
	}
	s.queued = true
	b.pending = append(b.pending, s)
}

// nextDue says how long until a pending write is due and within the
// write budget, if any is pending.
func (b *Broadcaster) nextDue() (time.Duration, bool) {
	if len(b.pending) == 0 {
		return 0, false
	}
	now := b.cfg.Clock.Now()
	wait := b.budget.wait(now)
	var first time.Time
	for _, s := range b.pending {
		if !s.notBefore.After(now) {
			return wait, true
		}
		if first.IsZero() || s.notBefore.Before(first) {
			first = s.notBefore
		}
	}
	return max(first.Sub(now), wait), true
}

// takeDue removes up to BatchSize due writes from pending, oldest first,
// as many as the write budget allows.
func (b *Broadcaster) takeDue(now time.Time) []*series {
	limit := min(b.cfg.BatchSize, b.budget.available(now))
	var due []*series
	keep := b.pending[:0]
	for _, s := range b.pending {
		if len(due) < limit && !s.notBefore.After(now) {
			s.queued = false
			due = append(due, s)
			continue
		}
		keep = append(keep, s)
	}
	clear(b.pending[len(keep):])
	b.pending = keep
	b.budget.spend(len(due))
	return due
}

// flush writes one batch of due writes and returns how many it tried.
func (b *Broadcaster) flush(ctx context.Context) int {
	due := b.takeDue(b.cfg.Clock.Now())
	if len(due) == 0 {
		return 0
	}
	var send []*series
	for _, s := range due {
		if s.readBack && !b.readBack(ctx, s) {
			continue
		}
		send = append(send, s)
	}
	if len(send) == 0 {
		return len(due)
	}
	req := &gantryv1.BatchRequest{Ops: make([]*gantryv1.BatchOp, len(send))}
	for i, s := range send {
		req.Ops[i] = writeOp(s)
	}
	cctx, cancel := context.WithTimeout(ctx, b.cfg.RequestTimeout)
	resp, err := b.sink.Batch(cctx, req)
	cancel()
	if err == nil && len(resp.GetResults()) != len(send) {
		err = errShortBatch
	}
	if err != nil {
		b.log.Debug("writing events failed; retrying", zap.Int("events", len(send)), zap.Error(err))
		for _, s := range send {
			b.retry(s, true)
		}
		return len(due)
	}
	for i, r := range resp.GetResults() {
		b.settle(send[i], req.Ops[i].GetCreate() != nil, r)
	}
	return len(due)
}

// writeOp creates the Event, or updates it when it is stored already.
func writeOp(s *series) *gantryv1.BatchOp {
	ev := proto.Clone(s.ev).(*gantryv1.Event)
	obj := &gantryv1.Object{Kind: &gantryv1.Object_Event{Event: ev}}
	if ev.GetMetadata().GetResourceVersion() == "" {
		ev.Metadata.Uid = ""
		return &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Create{Create: obj}}
	}
	return &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Update{Update: obj}}
}
