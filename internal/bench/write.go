package bench

import (
	"context"
	"fmt"
)

// runWrite measures Creates at every level of WriteClients, per write mode.
func (b *Bench) runWrite(ctx context.Context) error {
	ns, err := b.namespace(ctx, "write")
	if err != nil {
		return err
	}
	for _, mode := range b.cfg.WriteModes {
		for _, n := range b.cfg.WriteClients {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			res, err := b.writeLevel(ctx, ns, mode, n)
			if err != nil {
				return err
			}
			b.report.Write = append(b.report.Write, res)
			progress(&b.cfg, "write %s %d clients: %.0f/s p50 %.1f ms p99 %.1f ms (%d errors)",
				mode, n, res.PerSecond, res.Latency.P50, res.Latency.P99, res.Errors)
		}
	}
	return nil
}

func (b *Bench) writeLevel(ctx context.Context, ns, mode string, clients int) (LoadResult, error) {
	servers, err := b.writeServers(ctx, mode)
	if err != nil {
		return LoadResult{}, err
	}
	p, err := newPool(servers, clients, b.cfg.FanOut)
	if err != nil {
		return LoadResult{}, err
	}
	defer p.close()
	if err := p.warm(ctx); err != nil {
		return LoadResult{}, fmt.Errorf("connect: %w", err)
	}
	prefix := map[string]string{ModeRoundRobin: "rr", ModeLeader: "l", ModeFollowers: "f"}[mode]
	prefix = objectName(prefix, clients, 0)
	roles := b.roles(ctx)
	cpu := b.cpu()
	r := runLoad(ctx, loadSpec{clients: clients, duration: b.cfg.Duration, count: b.cfg.Count,
		op: func(ctx context.Context, c, seq int) error {
			_, err := p.get(c).Create(ctx, b.pl.configMap(ns, objectName(prefix, c, seq), nil))
			return err
		}})
	return loadResultOf(mode, clients, p.conns(), r, cpu.stop(roles)), nil
}

// writeServers are the masters a write mode's clients are given.
func (b *Bench) writeServers(ctx context.Context, mode string) ([]string, error) {
	if mode == ModeRoundRobin {
		return b.target.Servers(), nil
	}
	st, err := b.status(ctx)
	if err != nil {
		return nil, err
	}
	if mode == ModeLeader {
		return []string{st.GetLeaderAddress()}, nil
	}
	var out []string
	for _, m := range st.GetMembers() {
		if m.GetId() != st.GetLeaderId() && m.GetApiAddress() != "" {
			out = append(out, m.GetApiAddress())
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("write mode %s: the cluster has no follower", mode)
	}
	return out, nil
}
