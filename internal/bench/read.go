package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// Read modes.
const (
	ModeLinearizable = "linearizable"
	ModeStale        = "stale"
)

// readTimeout bounds one Get, so a stuck master cannot stall a level.
const readTimeout = 15 * time.Second

// runRead creates ReadKeys objects, then measures Gets of them at every
// level of ReadClients, linearizable first, then stale.
func (b *Bench) runRead(ctx context.Context) error {
	ns, err := b.namespace(ctx, "read")
	if err != nil {
		return err
	}
	if err := b.fill(ctx, ns); err != nil {
		return err
	}
	for _, mode := range []string{ModeLinearizable, ModeStale} {
		consistency := gantryv1.Consistency_CONSISTENCY_UNSPECIFIED
		if mode == ModeStale {
			consistency = gantryv1.Consistency_CONSISTENCY_STALE
		}
		reqs := make([]*gantryv1.GetRequest, b.cfg.ReadKeys)
		for i := range reqs {
			reqs[i] = &gantryv1.GetRequest{Kind: "ConfigMap", Namespace: ns, Name: "k-" + strconv.Itoa(i), Consistency: consistency}
		}
		for _, n := range b.cfg.ReadClients {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			res, err := b.readLevel(ctx, mode, n, reqs)
			if err != nil {
				return err
			}
			b.report.Read = append(b.report.Read, res)
			progress(&b.cfg, "read %s %d clients: %.0f/s p50 %.2f ms p99 %.2f ms (%d errors)",
				mode, n, res.PerSecond, res.Latency.P50, res.Latency.P99, res.Errors)
		}
	}
	return nil
}

// fill creates the objects the readers read, with up to 64 writers.
func (b *Bench) fill(ctx context.Context, ns string) error {
	n := min(64, b.cfg.ReadKeys)
	p, err := newPool(b.target.Servers(), n, b.cfg.FanOut)
	if err != nil {
		return err
	}
	defer p.close()
	var next atomic.Int64
	r := runLoad(ctx, loadSpec{clients: n, count: b.cfg.ReadKeys, op: func(ctx context.Context, c, _ int) error {
		i := next.Add(1) - 1
		_, err := p.get(c).Create(ctx, b.pl.configMap(ns, "k-"+strconv.FormatInt(i, 10), nil))
		return err
	}})
	if r.errors > 0 {
		return fmt.Errorf("create the %d objects to read: %d failed: %v", b.cfg.ReadKeys, r.errors, r.errSamples)
	}
	progress(&b.cfg, "read: created %d objects to read in %.1fs", r.ops, r.elapsed.Seconds())
	return nil
}

func (b *Bench) readLevel(ctx context.Context, mode string, clients int, reqs []*gantryv1.GetRequest) (LoadResult, error) {
	p, err := newPool(b.target.Servers(), clients, b.cfg.FanOut)
	if err != nil {
		return LoadResult{}, err
	}
	defer p.close()
	if err := p.warm(ctx); err != nil {
		return LoadResult{}, fmt.Errorf("connect: %w", err)
	}
	roles := b.roles(ctx)
	cpu := b.cpu()
	r := runLoad(ctx, loadSpec{clients: clients, duration: b.cfg.Duration, count: b.cfg.Count,
		op: func(ctx context.Context, c, seq int) error {
			ctx, cancel := context.WithTimeout(ctx, readTimeout)
			defer cancel()
			// Clients start at different keys and walk them all.
			_, err := p.get(c).Resources().Get(ctx, reqs[(c*7919+seq)%len(reqs)])
			return err
		}})
	return loadResultOf(mode, clients, p.conns(), r, cpu.stop(roles)), nil
}
