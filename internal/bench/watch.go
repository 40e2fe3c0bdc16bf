package bench

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// runWatch measures watch delivery for every count of WatchCounts.
func (b *Bench) runWatch(ctx context.Context) error {
	for _, n := range b.cfg.WatchCounts {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		res, err := b.watchLevel(ctx, n)
		if err != nil {
			return err
		}
		b.report.Watch = append(b.report.Watch, res)
		progress(&b.cfg, "watch %d watchers: delivery p50 %.1f ms p99 %.1f ms max %.1f ms; %d/%d complete, drain %.2fs",
			n, res.Delivery.P50, res.Delivery.P99, res.Delivery.Max, res.Complete, n, res.DrainSeconds)
	}
	return nil
}

func (b *Bench) watchLevel(ctx context.Context, n int) (WatchResult, error) {
	ns, err := b.namespace(ctx, "watch"+strconv.Itoa(n))
	if err != nil {
		return WatchResult{}, err
	}
	writes := int(b.cfg.WatchDuration.Seconds() * float64(b.cfg.WatchRate))
	writes = max(writes, 1)
	conns, err := watchConns(b.target.Servers(), n, b.cfg.WatchersPerConn)
	if err != nil {
		return WatchResult{}, err
	}
	defer closeConns(conns)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	ws, err := b.startWatchers(wctx, ns, n, writes, conns)
	if err != nil {
		return WatchResult{}, err
	}
	roles := b.roles(ctx)
	cpu := b.cpu()
	progress(&b.cfg, "watch: %d watchers live on %d connections; writing %d objects at %d/s", n, len(conns), writes, b.cfg.WatchRate)
	wr, err := b.watchWriter(ctx, ns, writes)
	if err != nil {
		return WatchResult{}, err
	}
	b.drain(ctx, ws, wr)
	cpuUse := cpu.stop(roles)
	stop()
	for _, w := range ws {
		<-w.done
	}
	res := summarizeWatch(ws, wr)
	res.Watchers, res.Conns, res.TargetRate, res.CPU = n, len(conns), b.cfg.WatchRate, cpuUse
	return res, nil
}

// watchConns dials the connections watchers share: watcher i watches on
// master i mod len(servers), WatchersPerConn watchers per connection.
func watchConns(servers []string, watchers, perConn int) ([]*grpc.ClientConn, error) {
	var conns []*grpc.ClientConn
	perMaster := (watchers + len(servers) - 1) / len(servers)
	for k := 0; k < (perMaster+perConn-1)/perConn; k++ {
		for _, s := range servers {
			c, err := grpc.NewClient(s, grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
			if err != nil {
				closeConns(conns)
				return nil, err
			}
			conns = append(conns, c)
		}
	}
	return conns, nil
}

func closeConns(conns []*grpc.ClientConn) {
	for _, c := range conns {
		_ = c.Close()
	}
}

// startWatchers opens n watches of ns and waits until every one is live
// (has received the bookmark that ends its empty initial list).
func (b *Bench) startWatchers(ctx context.Context, ns string, n, writes int, conns []*grpc.ClientConn) ([]*watcher, error) {
	req := &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: ns, SendInitialEvents: true, AllowBookmarks: true}
	servers := len(b.target.Servers())
	ws := make([]*watcher, n)
	for i := range ws {
		ws[i] = newWatcher(writes)
		// Watcher i: master i%servers, that master's (i/servers)/perConn-th connection.
		conn := conns[(i/servers/b.cfg.WatchersPerConn)*servers+i%servers]
		go ws[i].run(ctx, conn, req)
	}
	deadline := time.After(60 * time.Second)
	for i, w := range ws {
		select {
		case <-w.ready:
		case <-w.done:
			return nil, fmt.Errorf("watcher %d: %v", i, w.err)
		case <-deadline:
			return nil, fmt.Errorf("watcher %d not live after 60s", i)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return ws, nil
}

// drain waits until every watcher has received every acknowledged write
// (or failed), or WatchDrain passes.
func (b *Bench) drain(ctx context.Context, ws []*watcher, wr *writerResult) {
	deadline := time.Now().Add(b.cfg.WatchDrain)
	pending := slices.Clone(ws)
	for ctx.Err() == nil {
		pending = slices.DeleteFunc(pending, func(w *watcher) bool {
			select {
			case <-w.done:
				return true
			default:
			}
			// The count is cheap and necessary; the exact check scans.
			return w.received.Load() >= int64(wr.ackedCount) && w.missing(wr.acked) == 0
		})
		if len(pending) == 0 {
			return
		}
		if time.Now().After(deadline) {
			progress(&b.cfg, "watch: %d watchers still behind after %s", len(pending), b.cfg.WatchDrain)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writerResult is what the watch writer did.
type writerResult struct {
	acked      []bool // by sequence number
	ackedCount int
	errors     int
	errSamples []string
	samples    []time.Duration
	started    time.Time
	lastSend   time.Time
	lastAck    time.Time
}

// watchWriter creates writes ConfigMaps in ns at WatchRate a second,
// open loop (up to WatchInFlight outstanding), each carrying its send
// time. The client spreads them round robin over the masters.
func (b *Bench) watchWriter(ctx context.Context, ns string, writes int) (*writerResult, error) {
	p, err := newPool(b.target.Servers(), 1, 1)
	if err != nil {
		return nil, err
	}
	defer p.close()
	if err := p.warm(ctx); err != nil {
		return nil, err
	}
	c := p.get(0)
	r := &writerResult{acked: make([]bool, writes), samples: make([]time.Duration, 0, writes)}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, b.cfg.WatchInFlight)
	)
	r.started = time.Now()
	for i := 0; i < writes && ctx.Err() == nil; i++ {
		if d := time.Until(r.started.Add(time.Duration(i) * time.Second / time.Duration(b.cfg.WatchRate))); d > 0 {
			time.Sleep(d)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(seq int) {
			defer func() { <-sem; wg.Done() }()
			t0 := time.Now()
			obj := b.pl.configMap(ns, eventPrefix+strconv.Itoa(seq), map[string]string{sentAnnotation: strconv.FormatInt(t0.UnixNano(), 10)})
			_, err := c.Create(ctx, obj)
			t1 := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.errors++
				r.errSamples = addDistinct(r.errSamples, errString(err))
				return
			}
			r.acked[seq] = true
			r.ackedCount++
			r.samples = append(r.samples, t1.Sub(t0))
			if t1.After(r.lastAck) {
				r.lastAck = t1
			}
		}(i)
		r.lastSend = time.Now()
	}
	wg.Wait()
	return r, ctx.Err()
}

func summarizeWatch(ws []*watcher, wr *writerResult) WatchResult {
	res := WatchResult{Writes: wr.ackedCount, WriteErrors: wr.errors, ErrorSamples: wr.errSamples,
		WriteLatency: latencyOf(Summarize(wr.samples))}
	if span := wr.lastSend.Sub(wr.started); span > 0 {
		res.Rate = round1(float64(len(wr.acked)-1) / span.Seconds())
	}
	parts := make([][]time.Duration, len(ws))
	var last time.Time
	for i, w := range ws {
		parts[i] = w.samples
		miss := w.missing(wr.acked)
		res.Missing += miss
		res.Duplicates += w.dups
		if w.err != nil {
			res.StreamErrors++
			res.ErrorSamples = addDistinct(res.ErrorSamples, "watch: "+errString(w.err))
		}
		if miss == 0 && w.dups == 0 && w.err == nil {
			res.Complete++
		}
		if w.last.After(last) {
			last = w.last
		}
	}
	all := merge(parts)
	res.Events = len(all)
	res.Delivery = latencyOf(Summarize(all))
	if d := last.Sub(wr.lastAck); d > 0 {
		res.DrainSeconds = round3(d.Seconds())
	}
	return res
}
