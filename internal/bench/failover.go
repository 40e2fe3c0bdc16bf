package bench

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// runFailover kills the leader under write load, restarts it and checks
// that no acknowledged write was lost.
func (b *Bench) runFailover(ctx context.Context) error {
	if _, ok := b.target.(remote); ok {
		if len(b.cfg.Sections) == 1 {
			return ErrNoKill
		}
		progress(&b.cfg, "failover: skipped (%v)", ErrNoKill)
		return nil
	}
	ns, err := b.namespace(ctx, "failover")
	if err != nil {
		return err
	}
	p, err := newPool(b.target.Servers(), b.cfg.FailoverClients, b.cfg.FanOut)
	if err != nil {
		return err
	}
	defer p.close()
	if err := p.warm(ctx); err != nil {
		return err
	}
	res := &FailoverResult{Clients: b.cfg.FailoverClients}
	b.report.Failover = res
	roles := b.roles(ctx)
	cpu := b.cpu()
	fw := &failoverWriters{}
	done := fw.start(ctx, p, b.cfg.FailoverClients, func(c, seq int) *gantryv1.Object {
		return b.pl.configMap(ns, objectName("f", c, seq), nil)
	})
	time.Sleep(b.cfg.FailoverBefore)
	st, err := b.status(ctx)
	if err != nil {
		fw.stop.Store(true)
		<-done
		return err
	}
	res.KilledID = st.GetLeaderId()
	progress(&b.cfg, "failover: SIGKILL leader %s", res.KilledID)
	killAt := time.Now()
	if err := b.target.Kill(res.KilledID); err != nil {
		fw.stop.Store(true)
		<-done
		return err
	}
	elected := b.watchElection(ctx, res.KilledID, killAt)
	time.Sleep(b.cfg.FailoverAfter)
	fw.stop.Store(true)
	<-done
	stopAt := time.Now()
	res.CPU = cpu.stop(roles)
	e := <-elected
	res.NewLeader, res.ElectionSeconds = e.leader, round3(e.after.Seconds())
	fw.summarize(res, killAt, stopAt)
	if err := b.restart(ctx, res, fw.maxRV()); err != nil {
		return err
	}
	return b.verify(ctx, ns, res, fw)
}

// failoverWriters are closed-loop writers that record every outcome.
type failoverWriters struct {
	stop atomic.Bool
	mu   sync.Mutex
	ok   []ackedWrite
	// failed are names whose create returned an error.
	failed  []string
	errMsgs []string
}

type ackedWrite struct {
	name           string
	sent, finished time.Time
	rv             uint64
}

func (f *failoverWriters) start(ctx context.Context, p *pool, clients int, obj func(c, seq int) *gantryv1.Object) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; !f.stop.Load() && ctx.Err() == nil; seq++ {
				o := obj(c, seq)
				t0 := time.Now()
				out, err := p.get(c).Create(ctx, o)
				t1 := time.Now()
				f.mu.Lock()
				if err != nil {
					f.failed = append(f.failed, apimeta.Meta(o).GetName())
					f.errMsgs = addDistinct(f.errMsgs, errString(err))
				} else {
					rv, _ := strconv.ParseUint(apimeta.Meta(out).GetResourceVersion(), 10, 64)
					f.ok = append(f.ok, ackedWrite{name: apimeta.Meta(o).GetName(), sent: t0, finished: t1, rv: rv})
				}
				f.mu.Unlock()
				if err != nil {
					time.Sleep(10 * time.Millisecond) // do not spin on a fast error
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	return done
}

func (f *failoverWriters) maxRV() uint64 {
	var m uint64
	for _, w := range f.ok {
		m = max(m, w.rv)
	}
	return m
}

// summarize computes the gaps: the longest interval without a completed
// write from a second before the kill until the writers stopped, and the
// first success of a write sent after the kill.
func (f *failoverWriters) summarize(res *FailoverResult, killAt, stopAt time.Time) {
	res.Acked, res.Failed, res.ErrorSamples = len(f.ok), len(f.failed), f.errMsgs
	from := killAt.Add(-time.Second)
	points := []time.Time{from, stopAt}
	samples := make([]time.Duration, 0, len(f.ok))
	first := time.Duration(-1)
	for _, w := range f.ok {
		samples = append(samples, w.finished.Sub(w.sent))
		if w.finished.After(from) && w.finished.Before(stopAt) {
			points = append(points, w.finished)
		}
		if w.sent.After(killAt) && (first < 0 || w.finished.Sub(killAt) < first) {
			first = w.finished.Sub(killAt)
		}
	}
	sort.Slice(points, func(i, j int) bool { return points[i].Before(points[j]) })
	var gap time.Duration
	for i := 1; i < len(points); i++ {
		gap = max(gap, points[i].Sub(points[i-1]))
	}
	res.MaxGapSeconds = round3(gap.Seconds())
	res.FirstWriteSeconds = round3(first.Seconds())
	res.Latency = latencyOf(Summarize(samples))
}

type election struct {
	leader string
	after  time.Duration
}

// watchElection reports when a leader other than killed is reported.
func (b *Bench) watchElection(ctx context.Context, killed string, killAt time.Time) <-chan election {
	out := make(chan election, 1)
	go func() {
		deadline := time.Now().Add(60 * time.Second)
		for ctx.Err() == nil && time.Now().Before(deadline) {
			cctx, cancel := context.WithTimeout(ctx, time.Second)
			st, err := b.ctl.Cluster().Status(cctx, &gantryv1.StatusRequest{Local: true})
			cancel()
			if err == nil && st.GetLeaderId() != "" && st.GetLeaderId() != killed {
				out <- election{leader: st.GetLeaderId(), after: time.Since(killAt)}
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		out <- election{after: -1}
	}()
	return out
}

// restart starts the killed master again and waits until every master has
// applied at least rv.
func (b *Bench) restart(ctx context.Context, res *FailoverResult, rv uint64) error {
	t0 := time.Now()
	if err := b.target.Restart(res.KilledID); err != nil {
		return fmt.Errorf("restart %s: %w", res.KilledID, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		st, err := b.status(ctx)
		if err == nil && caughtUp(st, rv) {
			res.RestartSeconds = round3(time.Since(t0).Seconds())
			progress(&b.cfg, "failover: %s restarted and caught up in %.2fs", res.KilledID, res.RestartSeconds)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("restarted %s did not catch up to %d: %v", res.KilledID, rv, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func caughtUp(st *gantryv1.StatusResponse, rv uint64) bool {
	for _, m := range st.GetMembers() {
		if m.GetRole() == "unknown" || m.GetAppliedIndex() < rv {
			return false
		}
	}
	return len(st.GetMembers()) > 0
}

// verify lists the namespace on every master, at or after the newest
// acknowledged write, and counts acknowledged creates that are missing.
func (b *Bench) verify(ctx context.Context, ns string, res *FailoverResult, fw *failoverWriters) error {
	minRV := strconv.FormatUint(fw.maxRV(), 10)
	var errs []error
	for i, addr := range b.target.Servers() {
		p, err := newPool([]string{addr}, 1, 1)
		if err != nil {
			return err
		}
		list, err := p.get(0).ListAll(ctx, &gantryv1.ListRequest{Kind: "ConfigMap", Namespace: ns,
			Consistency: gantryv1.Consistency_CONSISTENCY_STALE, MinResourceVersion: minRV})
		p.close()
		if err != nil {
			errs = append(errs, fmt.Errorf("list on %s: %w", addr, err))
			continue
		}
		have := make(map[string]bool, len(list.GetItems()))
		for _, o := range list.GetItems() {
			have[apimeta.Meta(o).GetName()] = true
		}
		lost := 0
		for _, w := range fw.ok {
			if !have[w.name] {
				lost++
			}
		}
		res.Lost = max(res.Lost, lost)
		res.Verified = append(res.Verified, addr)
		if i == 0 {
			for _, name := range fw.failed {
				if have[name] {
					res.FailedApplied++
				}
			}
		}
	}
	progress(&b.cfg, "failover: %d acknowledged writes, %d lost, verified on %d masters", res.Acked, res.Lost, len(res.Verified))
	if res.Lost > 0 {
		errs = append(errs, fmt.Errorf("%d acknowledged writes lost", res.Lost))
	}
	return errors.Join(errs...)
}
