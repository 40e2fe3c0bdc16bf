package watch

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// watchOnly serves ResourceService.Watch of every ConfigMap in "default".
type watchOnly struct {
	gantryv1.UnimplementedResourceServiceServer
	srv *Server
}

func (w watchOnly) Watch(req *gantryv1.WatchRequest, s gantryv1.ResourceService_WatchServer) error {
	kind, _ := apimeta.Lookup(apimeta.KindConfigMap)
	return w.srv.Serve(s.Context(), req, &Filter{Kind: kind, Namespace: "default"}, s)
}

// byteCount is a client codec that only counts what it receives.
type byteCount struct{ n *atomic.Int64 }

func (c byteCount) Marshal(v any) (mem.BufferSlice, error) {
	b, err := proto.Marshal(v.(proto.Message))
	return mem.BufferSlice{mem.SliceBuffer(b)}, err
}

func (c byteCount) Unmarshal(data mem.BufferSlice, _ any) error {
	c.n.Add(int64(data.Len()))
	return nil
}

func (byteCount) Name() string { return "proto" }

// benchmarkFanoutGRPC is benchmarkFanout through real gRPC on loopback:
// n client streams (10 per connection, as gantry bench opens them) read
// and count bytes in this process too, so the CPU reported covers both
// ends of every message.
func benchmarkFanoutGRPC(b *testing.B, n int, sendInterval time.Duration) {
	st := newStore()
	cfg := DefaultConfig()
	cfg.SendInterval = sendInterval
	gs := grpc.NewServer(grpc.ForceServerCodecV2(Codec()))
	gantryv1.RegisterResourceServiceServer(gs, watchOnly{srv: New(cfg, st, caughtUp{})})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	counts := make([]atomic.Int64, n)
	var conns []*grpc.ClientConn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	from := apimeta.FormatResourceVersion(st.Revision())
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		if i%10 == 0 {
			c, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
		}
		s, err := conns[len(conns)-1].NewStream(ctx, &gantryv1.ResourceService_ServiceDesc.Streams[0],
			gantryv1.ResourceService_Watch_FullMethodName, grpc.ForceCodecV2(byteCount{n: &counts[i]}))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.SendMsg(&gantryv1.WatchRequest{ResourceVersion: from}); err != nil {
			b.Fatal(err)
		}
		_ = s.CloseSend()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s.RecvMsg(new(struct{})) == nil {
			}
		}()
	}
	first := st.Revision()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if d := time.Until(start.Add(time.Duration(i) * 2 * time.Millisecond)); d > 0 {
			time.Sleep(d)
		}
		apply(st, create(apimeta.Wrap(&gantryv1.ConfigMap{
			Metadata: &gantryv1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i), Namespace: "default"},
			Data:     map[string]string{"v": string(make([]byte, 1024))},
		})))
	}
	want := int64(0)
	evs, _, _, _ := st.Events().Read(mustCursor(b, st, first), b.N+1, nil)
	for _, ev := range evs {
		want += int64(len(ev.Encoded()))
	}
	for i := range counts {
		for counts[i].Load() < want {
			time.Sleep(100 * time.Microsecond)
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	cancel()
	wg.Wait()
	b.ReportMetric(float64(cpu.Nanoseconds())/(float64(b.N)*float64(n)), "cpu-ns/delivery")
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N), "wall-ns/event")
}

// BenchmarkFanoutGRPC: 500 ConfigMap creates a second (1 KiB values) to
// 100 and 1,000 watchers over loopback gRPC, with and without coalescing.
func BenchmarkFanoutGRPC(b *testing.B) {
	for _, n := range []int{100, 1000} {
		for _, si := range []time.Duration{0, 10 * time.Millisecond} {
			b.Run(fmt.Sprintf("watchers=%d/send-interval=%v", n, si), func(b *testing.B) { benchmarkFanoutGRPC(b, n, si) })
		}
	}
}
