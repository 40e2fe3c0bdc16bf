package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gantryio/gantry/internal/client"
	"go.uber.org/zap"
	"google.golang.org/grpc/status"
)

// loadSpec is one closed-loop measurement: clients goroutines each call op
// back to back until duration passes or count operations were started.
type loadSpec struct {
	clients  int
	duration time.Duration
	count    int
	// op performs the seq-th operation of client c.
	op func(ctx context.Context, c, seq int) error
}

// loadResult is what a load measured.
type loadResult struct {
	ops, errors int
	elapsed     time.Duration
	samples     []time.Duration
	errSamples  []string
}

// maxErrSamples bounds the distinct errors a result keeps.
const maxErrSamples = 3

func runLoad(ctx context.Context, spec loadSpec) loadResult {
	var (
		wg      sync.WaitGroup
		issued  atomic.Int64
		mu      sync.Mutex
		res     loadResult
		parts   = make([][]time.Duration, spec.clients)
		lastEnd atomic.Int64
	)
	start := time.Now()
	deadline := start.Add(spec.duration)
	for c := 0; c < spec.clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			samples := make([]time.Duration, 0, 1024)
			errs := 0
			var errMsgs []string
			now := start
			for seq := 0; ctx.Err() == nil; seq++ {
				if spec.count > 0 {
					if issued.Add(1) > int64(spec.count) {
						break
					}
				} else if !now.Before(deadline) {
					break
				}
				t0 := time.Now()
				err := spec.op(ctx, c, seq)
				now = time.Now()
				if err == nil {
					samples = append(samples, now.Sub(t0))
				} else if ctx.Err() == nil {
					errs++
					if len(errMsgs) < maxErrSamples {
						errMsgs = append(errMsgs, errString(err))
					}
				}
			}
			parts[c] = samples
			for end := now.UnixNano(); ; {
				old := lastEnd.Load()
				if end <= old || lastEnd.CompareAndSwap(old, end) {
					break
				}
			}
			mu.Lock()
			res.errors += errs
			for _, m := range errMsgs {
				res.errSamples = addDistinct(res.errSamples, m)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.samples = merge(parts)
	res.ops = len(res.samples)
	res.elapsed = time.Unix(0, lastEnd.Load()).Sub(start)
	return res
}

func addDistinct(list []string, s string) []string {
	if len(list) >= maxErrSamples {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// errString is a short form of a gRPC error.
func errString(err error) string {
	if st, ok := status.FromError(err); ok {
		msg := st.Message()
		if len(msg) > 160 {
			msg = msg[:160] + "..."
		}
		return st.Code().String() + ": " + msg
	}
	return err.Error()
}

// pool is the client connections of one load: FanOut closed-loop clients
// share each client.Client (which holds one connection to every server).
type pool struct {
	clients []*client.Client
	fanOut  int
	servers int
}

func newPool(servers []string, clients, fanOut int) (*pool, error) {
	p := &pool{fanOut: fanOut, servers: len(servers)}
	for i := 0; i < (clients+fanOut-1)/fanOut; i++ {
		cfg := client.DefaultConfig()
		cfg.Servers = servers
		c, err := client.New(cfg, zap.NewNop())
		if err != nil {
			p.close()
			return nil, err
		}
		p.clients = append(p.clients, c)
	}
	return p, nil
}

// get returns the client of closed-loop client i.
func (p *pool) get(i int) *client.Client { return p.clients[i/p.fanOut] }

// conns is how many TCP connections the pool holds.
func (p *pool) conns() int { return len(p.clients) * p.servers }

// warm waits until every client is connected to every server, by sending
// each a read per server, so no load measures connection setup.
func (p *pool) warm(ctx context.Context) error {
	for _, c := range p.clients {
		for i := 0; i < p.servers; i++ {
			if _, err := c.Get(ctx, "Namespace", "", "default"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *pool) close() {
	for _, c := range p.clients {
		_ = c.Close()
	}
}
