package store

import (
	"fmt"
	"testing"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
)

// benchStore returns a store holding n deployments in namespace default,
// at index n+1.
func benchStore(b *testing.B, n int) *Store {
	b.Helper()
	s := New(DefaultConfig())
	ops := []*storagev1.Op{createOp(nsObj("default"))}
	for i := 0; i < n; i++ {
		ops = append(ops, createOp(deployObj("default", fmt.Sprintf("d-%05d", i), 1)))
	}
	for _, r := range s.Apply(&storagev1.Command{Ops: ops}, 1) {
		if r.Err != nil {
			b.Fatal(r.Err)
		}
	}
	return s
}

// BenchmarkApplyUpdate: one command updating the spec of one of 10,000
// deployments (generation bump, new version, one event).
func BenchmarkApplyUpdate(b *testing.B) {
	const objects = 10_000
	s := benchStore(b, objects)
	names := make([]string, objects)
	for i := range names {
		names[i] = fmt.Sprintf("d-%05d", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// The command is decoded per Apply in production; building it here
		// stands in for that and is part of the cost.
		cmd := &storagev1.Command{Ops: []*storagev1.Op{updateOp(deployObj("default", names[i%objects], int32(i%7+2)), 0)}}
		if r := s.Apply(cmd, uint64(i)+2); r[0].Err != nil {
			b.Fatal(r[0].Err)
		}
	}
}

// BenchmarkEventFanout: each op is one update read by 1,000 watchers,
// each encoding it into its own response buffer, as the watch server
// does. The encoding is computed once and shared.
func BenchmarkEventFanout(b *testing.B) {
	const readers = 1000
	s := benchStore(b, 100)
	cursors := make([]Cursor, readers)
	for i := range cursors {
		c, err := s.Events().CursorAfter(s.Revision())
		if err != nil {
			b.Fatal(err)
		}
		cursors[i] = c
	}
	dst := make([]*Event, 0, 16)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := &storagev1.Command{Ops: []*storagev1.Op{updateOp(deployObj("default", fmt.Sprintf("d-%05d", i%100), int32(i%7+2)), 0)}}
		s.Apply(cmd, uint64(i)+2)
		for r := range cursors {
			evs, next, _, err := s.Events().Read(cursors[r], 100, dst[:0])
			if err != nil || len(evs) != 1 {
				b.Fatalf("reader %d: %d events, %v", r, len(evs), err)
			}
			buf = buf[:0]
			for _, e := range evs {
				buf = append(buf, e.Encoded()...)
			}
			cursors[r] = next
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*readers), "ns/read")
}
