package proxy

import (
	"context"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/proxy/table"
	"go.uber.org/zap"
)

// markDirty asks for a sync; it never blocks (one pending signal covers
// any number of events).
func (p *Proxy) markDirty() {
	p.pendingMu.Lock()
	if p.pendingSince.IsZero() {
		p.pendingSince = time.Now()
	}
	p.pendingMu.Unlock()
	select {
	case p.dirty <- struct{}{}:
	default:
	}
}

// takePending returns and clears when the oldest uncarried event arrived.
func (p *Proxy) takePending() time.Time {
	p.pendingMu.Lock()
	defer p.pendingMu.Unlock()
	t := p.pendingSince
	p.pendingSince = time.Time{}
	return t
}

// restorePending puts back the time of events a failed sync did not carry.
func (p *Proxy) restorePending(t time.Time) {
	if t.IsZero() {
		return
	}
	p.pendingMu.Lock()
	if p.pendingSince.IsZero() || t.Before(p.pendingSince) {
		p.pendingSince = t
	}
	p.pendingMu.Unlock()
}

// syncLoop waits for both caches, then syncs on every dirty signal, at
// most once per MinSyncPeriod, and retries failed applies with backoff.
func (p *Proxy) syncLoop(ctx context.Context) {
	for _, inf := range []interface{ WaitForSync(context.Context) error }{p.services, p.slices} {
		if err := inf.WaitForSync(ctx); err != nil {
			return // ctx ended, or the informer failed (Run reports it)
		}
	}
	p.log.Info("caches synced", zap.Int("services", p.services.Store().Len()), zap.Int("endpointslices", p.slices.Store().Len()))
	var last time.Time
	failures := 0
	retry := time.NewTimer(0) // the first sync runs at once
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.dirty:
		case <-retry.C:
		}
		if wait := time.Until(last.Add(p.cfg.MinSyncPeriod)); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		// Events from here on are in the caches read below, or signal
		// again: draining first never loses one.
		select {
		case <-p.dirty:
		default:
		}
		last = time.Now()
		if err := p.syncOnce(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			d := p.cfg.RetryBackoff.Delay(failures)
			failures++
			p.log.Warn("sync failed, retrying", zap.Int("failures", failures), zap.Duration("in", d), zap.Error(err))
			retry.Reset(d)
			continue
		}
		failures = 0
		retry.Stop()
	}
}

// syncOnce builds the table from the caches and applies its diff.
func (p *Proxy) syncOnce(ctx context.Context) error {
	since := p.takePending()
	start := time.Now()
	next := table.Build(p.cachedServices(), p.cachedSlices())
	p.publish(next)
	prev := p.applied.Load()
	var old *table.Table
	if prev != nil {
		old = prev.table
	}
	ch := table.Diff(old, next)
	p.syncs.Add(1)
	if prev == nil || !ch.Empty() {
		if err := p.dp.Apply(ctx, ch); err != nil {
			p.restorePending(since)
			p.syncErrors.Add(1)
			msg := err.Error()
			p.lastErr.Store(&msg)
			p.metrics.syncs.WithLabelValues("error").Inc()
			return err
		}
	}
	gen := int64(1)
	if prev != nil {
		gen = prev.generation
		if !ch.Empty() {
			gen++
		}
	}
	now := time.Now()
	p.applied.Store(&snapshot{table: next, generation: gen, at: now})
	p.lastErr.Store(nil)
	p.metrics.observeSync(ch, now.Sub(start), since, now)
	if !p.synced.Swap(true) {
		p.setServing()
		p.log.Info("first table applied", zap.Int("routes", next.Len()), zap.Int("endpoints", next.EndpointCount()),
			zap.Duration("took", now.Sub(start)))
	} else if !ch.Empty() {
		p.log.Debug("table applied", zap.Int64("generation", gen), zap.Int("added", len(ch.Added)),
			zap.Int("removed", len(ch.Removed)), zap.Int("changed", len(ch.Changed)), zap.Duration("took", now.Sub(start)))
	}
	return nil
}

func (p *Proxy) cachedServices() []*gantryv1.Service {
	objs := p.services.Store().List()
	out := make([]*gantryv1.Service, 0, len(objs))
	for _, o := range objs {
		if s := o.GetService(); s != nil {
			out = append(out, s)
		}
	}
	return out
}

func (p *Proxy) cachedSlices() []*gantryv1.EndpointSlice {
	objs := p.slices.Store().List()
	out := make([]*gantryv1.EndpointSlice, 0, len(objs))
	for _, o := range objs {
		if s := o.GetEndpointSlice(); s != nil {
			out = append(out, s)
		}
	}
	return out
}
