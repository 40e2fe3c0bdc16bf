package ctrl_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"github.com/gantryio/gantry/services/controller/ctrltest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func cm(name string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.ConfigMap{Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default"}})
}

func TestRunBatchChunksAndKeepsOrder(t *testing.T) {
	w := ctrltest.NewWorld()
	w.Seed(cm("taken"))
	var ops []*gantryv1.BatchOp
	for i := range 25 {
		name := fmt.Sprintf("c%02d", i)
		if i == 7 {
			name = "taken"
		}
		ops = append(ops, ctrl.CreateOp(cm(name)))
	}
	res := ctrl.RunBatch(context.Background(), w, ops, 10, 2)
	if w.Batches() != 3 {
		t.Fatalf("%d Batch calls, want 3 chunks of at most 10", w.Batches())
	}
	for i, r := range res {
		if i == 7 {
			if status.Code(r.Err) != codes.AlreadyExists {
				t.Fatalf("op 7: %v, want ALREADY_EXISTS", r.Err)
			}
			continue
		}
		if r.Err != nil || ctrl.Meta(r.Object).GetName() != fmt.Sprintf("c%02d", i) {
			t.Fatalf("op %d: %v %v", i, r.Object, r.Err)
		}
	}
}

func TestBatcherCoalesces(t *testing.T) {
	w := ctrltest.NewWorld()
	b := ctrl.NewBatcher(w, 100, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := b.Do(ctx, ctrl.CreateOp(cm(fmt.Sprintf("c%03d", i)))); r.Err != nil {
				errs <- r.Err
			}
		}()
	}
	go b.Run(ctx)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := len(w.Objects(apimeta.KindConfigMap)); got != n {
		t.Fatalf("%d objects, want %d", got, n)
	}
	if w.Batches() >= n/2 {
		t.Fatalf("%d Batch calls for %d concurrent writes: not coalesced", w.Batches(), n)
	}
}
