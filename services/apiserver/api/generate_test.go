package api_test

import (
	"context"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/apiserver"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestGenerateNameNeverFailsOnCollision(t *testing.T) {
	c := testutil.NewCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 400
	var mu sync.Mutex
	names := map[string]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(m *testutil.Member) {
			defer wg.Done()
			// A one-letter prefix and 400 objects: collisions between the
			// random suffixes would surface as ALREADY_EXISTS without retries.
			req := &gantryv1.CreateRequest{Object: apimeta.Wrap(&gantryv1.ConfigMap{
				Metadata: &gantryv1.ObjectMeta{GenerateName: "g-"}})}
			resp, err := m.Resource.Create(ctx, req)
			// A loaded machine may lose the Raft leader meanwhile: that is
			// UNAVAILABLE, which a client retries; only a collision that
			// escapes as ALREADY_EXISTS (or anything else) fails the test.
			for status.Code(err) == codes.Unavailable && ctx.Err() == nil {
				time.Sleep(50 * time.Millisecond)
				resp, err = m.Resource.Create(ctx, req)
			}
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			names[apimeta.Meta(resp.GetObject()).GetName()] = true
			mu.Unlock()
		}(c.Members[i%3])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("create with generateName failed: %v", err)
	}
	if len(names) != n {
		t.Fatalf("%d distinct names for %d creates", len(names), n)
	}
}

func TestGenerateNameSkipsTakenNames(t *testing.T) {
	// Every suffix comes up twice in a row, so each create after the first
	// meets a taken name and must generate again.
	var mu sync.Mutex
	seq := []string{"aaaaa", "aaaaa", "bbbbb", "bbbbb", "ccccc"}
	c := testutil.NewCluster(t, 3, func(cfg *apiserver.Config) {
		cfg.API.NameSuffix = func() string {
			mu.Lock()
			defer mu.Unlock()
			if len(seq) == 0 {
				return "zzzzz"
			}
			s := seq[0]
			seq = seq[1:]
			return s
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []string
	for i := 0; i < 3; i++ {
		resp, err := c.Leader().Resource.Create(ctx, &gantryv1.CreateRequest{Object: apimeta.Wrap(&gantryv1.ConfigMap{
			Metadata: &gantryv1.ObjectMeta{GenerateName: "g-"}})})
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		got = append(got, apimeta.Meta(resp.GetObject()).GetName())
	}
	want := []string{"g-aaaaa", "g-bbbbb", "g-ccccc"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("generated names %v, want %v", got, want)
		}
	}
}
