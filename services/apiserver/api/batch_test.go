package api_test

import (
	"context"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestBindAndBatchThroughFollower(t *testing.T) {
	c := testutil.NewCluster(t, 3)
	f := c.Followers()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pod := func(name string) *gantryv1.BatchOp {
		return &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Create{Create: apimeta.Wrap(&gantryv1.Pod{
			Metadata: &gantryv1.ObjectMeta{Name: name},
			Spec:     &gantryv1.PodSpec{Containers: []*gantryv1.Container{{Name: "c", Image: "x"}}}})}}
	}
	bad := &gantryv1.BatchOp{Op: &gantryv1.BatchOp_Create{Create: apimeta.Wrap(&gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Name: "Bad"}})}}
	resp, err := f.Resource.Batch(ctx, &gantryv1.BatchRequest{Ops: []*gantryv1.BatchOp{pod("a"), bad, pod("b"), pod("a")}})
	if err != nil {
		t.Fatal(err)
	}
	wantCodes := []codes.Code{codes.OK, codes.InvalidArgument, codes.OK, codes.AlreadyExists}
	for i, r := range resp.GetResults() {
		if codes.Code(r.GetCode()) != wantCodes[i] {
			t.Fatalf("op %d: code %v (%s), want %v", i, codes.Code(r.GetCode()), r.GetMessage(), wantCodes[i])
		}
	}
	// Both creates share one Raft entry, so one resource version.
	rvA, rvB := apimeta.Meta(resp.Results[0].Object).GetResourceVersion(), apimeta.Meta(resp.Results[2].Object).GetResourceVersion()
	if rvA == "" || rvA != rvB {
		t.Fatalf("batched creates have versions %q and %q, want one shared version", rvA, rvB)
	}
	uidA := apimeta.Meta(resp.Results[0].Object).GetUid()
	br, err := f.Resource.Bind(ctx, &gantryv1.BindRequest{Bindings: []*gantryv1.Binding{
		{Name: "a", Uid: uidA, NodeName: "n1"},
		{Name: "a", NodeName: "n2"},
		{Name: "b", Uid: "not-b", NodeName: "n1"},
		{Name: "missing", NodeName: "n1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantCodes = []codes.Code{codes.OK, codes.Aborted, codes.FailedPrecondition, codes.NotFound}
	for i, r := range br.GetResults() {
		if codes.Code(r.GetCode()) != wantCodes[i] {
			t.Fatalf("binding %d: code %v (%s), want %v", i, codes.Code(r.GetCode()), r.GetMessage(), wantCodes[i])
		}
	}
	got, err := c.Followers()[1].Resource.Get(ctx, &gantryv1.GetRequest{Kind: "Pod", Name: "a"})
	if err != nil || got.GetObject().GetPod().GetSpec().GetNodeName() != "n1" {
		t.Fatalf("pod a after bind: %v, %v", got, err)
	}
	if _, err := f.Resource.Bind(ctx, &gantryv1.BindRequest{}); batchTestCode(err) != codes.InvalidArgument {
		t.Fatalf("empty Bind: %v, want InvalidArgument", err)
	}
}

func batchTestCode(err error) codes.Code { return status.Code(err) }
