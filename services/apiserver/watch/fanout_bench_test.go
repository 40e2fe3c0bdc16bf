package watch

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/apiserver/store"
	"google.golang.org/grpc/encoding"
)

// countingSender stands in for a gRPC stream: it marshals every message
// with the server's codec, as grpc does, and counts the bytes and messages.
type countingSender struct {
	ctx   context.Context
	codec encoding.CodecV2
	bytes atomic.Int64
	msgs  atomic.Int64
}

func (s *countingSender) Context() context.Context { return s.ctx }

func (s *countingSender) SendMsg(m any) error {
	data, err := s.codec.Marshal(m)
	if err != nil {
		return err
	}
	s.bytes.Add(int64(data.Len()))
	s.msgs.Add(1)
	data.Free()
	return nil
}

// cpuTime is the user+system CPU this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchmarkFanout serves n watchers of one namespace from one store and
// applies b.N ConfigMap creates (1 KiB value), one command each, every
// interval (0: back to back), then waits until every watcher has sent
// every event. It reports the CPU the whole process spent per event
// delivered to one watcher, and the messages per delivered event.
func benchmarkFanout(b *testing.B, n int, interval, sendInterval time.Duration) {
	st := newStore()
	kind, _ := apimeta.Lookup(apimeta.KindConfigMap)
	ctx, cancel := context.WithCancel(context.Background())
	sinks := make([]*countingSender, n)
	var wg sync.WaitGroup
	cfg := DefaultConfig()
	cfg.SendInterval = sendInterval
	srv := New(cfg, st, caughtUp{})
	first := st.Revision()
	req := &gantryv1.WatchRequest{ResourceVersion: apimeta.FormatResourceVersion(first)}
	for i := range sinks {
		sinks[i] = &countingSender{ctx: ctx, codec: Codec()}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ctx, req, &Filter{Kind: kind, Namespace: "default"}, sinks[i]); err != nil {
				b.Error(err)
			}
		}()
	}
	value := strings.Repeat("x", 1024)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if interval > 0 {
			if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
				time.Sleep(d)
			}
		}
		apply(st, create(apimeta.Wrap(&gantryv1.ConfigMap{
			Metadata: &gantryv1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i), Namespace: "default"},
			Data:     map[string]string{"v": value},
		})))
	}
	want := int64(0)
	evs, _, _, _ := st.Events().Read(mustCursor(b, st, first), b.N+1, nil)
	for _, ev := range evs {
		want += int64(len(ev.Encoded()))
	}
	for _, s := range sinks {
		for s.bytes.Load() < want {
			time.Sleep(100 * time.Microsecond)
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	cancel()
	wg.Wait()
	msgs := int64(0)
	for _, s := range sinks {
		msgs += s.msgs.Load()
	}
	deliveries := float64(b.N) * float64(n)
	b.ReportMetric(float64(cpu.Nanoseconds())/deliveries, "cpu-ns/delivery")
	b.ReportMetric(float64(msgs)/deliveries, "msgs/delivery")
}

func mustCursor(b *testing.B, st *store.Store, rev uint64) store.Cursor {
	c, err := st.Events().CursorAfter(rev)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkFanout: writes back to back (watchers batch naturally) and at
// 500 a second (the gantry bench watch section's rate, where per-message
// costs show, with and without send coalescing), to 100 and 1,000
// watchers.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("watchers=%d/burst", n), func(b *testing.B) { benchmarkFanout(b, n, 0, DefaultConfig().SendInterval) })
		for _, si := range []time.Duration{0, 10 * time.Millisecond} {
			b.Run(fmt.Sprintf("watchers=%d/500per_s/send-interval=%v", n, si), func(b *testing.B) {
				benchmarkFanout(b, n, 2*time.Millisecond, si)
			})
		}
	}
}
