package watch

import (
	"fmt"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

func (s *sink) responses() []*gantryv1.WatchResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*gantryv1.WatchResponse(nil), s.resp...)
}

// The first change after a quiet spell goes out alone and at once; the
// changes that follow within SendInterval share one later message.
func TestBusyWatchCoalescesIdleWatchDoesNot(t *testing.T) {
	st := newStore()
	info, _ := apimeta.Lookup(apimeta.KindConfigMap)
	cfg := DefaultConfig()
	cfg.SendInterval = 5 * time.Second
	from := apimeta.FormatResourceVersion(st.Revision())
	out, stop := serve(t, cfg, st, &gantryv1.WatchRequest{ResourceVersion: from}, &Filter{Kind: info})
	defer stop()
	start := time.Now()
	apply(st, create(cm("first", nil)))
	waitFor(t, func() bool { return len(out.events()) == 1 })
	if d := time.Since(start); d >= cfg.SendInterval {
		t.Fatalf("the first change after a quiet spell took %v, as long as a coalescing interval", d)
	}
	// Spaced out so that, without coalescing, each would be sent alone.
	for i := 0; i < 5; i++ {
		apply(st, create(cm(fmt.Sprintf("burst-%d", i), nil)))
		time.Sleep(20 * time.Millisecond)
	}
	// The burst goes out one SendInterval after the first change: wait
	// longer than waitFor's 5 s for it.
	deadline := time.Now().Add(cfg.SendInterval + 15*time.Second)
	for len(out.events()) != 6 {
		if time.Now().After(deadline) {
			t.Fatalf("%d events after %v, want 6", len(out.events()), cfg.SendInterval+15*time.Second)
		}
		time.Sleep(5 * time.Millisecond)
	}
	resp := out.responses()
	if len(resp) != 2 || len(resp[1].GetEvents()) != 5 {
		t.Fatalf("got %d responses, want 2: the first change, then the burst of 5 in one", len(resp))
	}
}

// Past MaxBatchBytes a response ends at the next command boundary, never
// inside a command.
func TestResponsesAreCutAtCommandBoundaries(t *testing.T) {
	st := newStore()
	info, _ := apimeta.Lookup(apimeta.KindConfigMap)
	from := apimeta.FormatResourceVersion(st.Revision())
	apply(st, create(cm("a", nil)), create(cm("b", nil)))
	apply(st, create(cm("c", nil)))
	apply(st, create(cm("d", nil)), create(cm("e", nil)), create(cm("f", nil)))
	cfg := DefaultConfig()
	cfg.MaxBatchBytes = 1
	out, stop := serve(t, cfg, st, &gantryv1.WatchRequest{ResourceVersion: from}, &Filter{Kind: info})
	defer stop()
	waitFor(t, func() bool { return len(out.events()) == 6 })
	var sizes []int
	for _, r := range out.responses() {
		sizes = append(sizes, len(r.GetEvents()))
	}
	if fmt.Sprint(sizes) != "[2 1 3]" {
		t.Fatalf("events per response = %v, want one response per command [2 1 3]", sizes)
	}
}
