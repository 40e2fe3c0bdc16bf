package table

import (
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/proto"
)

// BenchmarkBuildDiff is one sync at 1,000 services x 10 endpoints with one
// endpoint changed: a full rebuild from the caches and the diff against
// the previous table.
func BenchmarkBuildDiff(b *testing.B) {
	svcs, sls := bigCluster(1000, 10)
	prev := Build(svcs, sls)
	changed := append([]*gantryv1.EndpointSlice(nil), sls...)
	s := proto.Clone(sls[500]).(*gantryv1.EndpointSlice)
	f := false
	s.Endpoints[3].Conditions.Ready = &f
	changed[500] = s
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		next := Build(svcs, changed)
		d := Diff(prev, next)
		if len(d.Changed) != 1 {
			b.Fatalf("changed %d", len(d.Changed))
		}
	}
}

func BenchmarkBuild(b *testing.B) {
	svcs, sls := bigCluster(1000, 10)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Build(svcs, sls)
	}
}
