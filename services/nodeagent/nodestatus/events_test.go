package nodestatus

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gantryio/gantry/internal/events"
	"go.uber.org/zap"
)

func TestStartingAndReadyChangesAreRecorded(t *testing.T) {
	api := &blockingAPI{inFlight: make(chan struct{}), release: make(chan struct{}), wrote: make(chan struct{}, 10)}
	close(api.release)
	rec := events.NewFake(10)
	cfg := DefaultConfig()
	var hosts []string
	cfg.Interval, cfg.Flush = time.Hour, 5*time.Millisecond
	cfg.Recorder = func(node string) events.Recorder { hosts = append(hosts, node); return rec }
	m := New(cfg, api, []Node{{Name: "n1"}}, zap.NewNop())
	if err := m.SetCondition("n1", "Ready", Condition{Reason: "KubeletNotReady"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.Register(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-api.wrote
	if err := m.SetCondition("n1", "Ready", Condition{Status: true, Reason: "KubeletReady"}); err != nil {
		t.Fatal(err)
	}
	<-api.wrote
	// An unchanged Ready records nothing. (Writes are sequential, and the
	// API sees a write before the manager records its result: the
	// second write here makes sure the first was settled.)
	for _, other := range []bool{true, false} {
		if err := m.SetCondition("n1", "Other", Condition{Status: other}); err != nil {
			t.Fatal(err)
		}
		<-api.wrote
	}
	want := "[Normal Starting Starting node agent. Normal NodeNotReady Node n1 status is now: NodeNotReady " +
		"Normal NodeReady Node n1 status is now: NodeReady]"
	if got := fmt.Sprint(rec.Drain()); got != want {
		t.Errorf("events %s\nwant %s", got, want)
	}
	if fmt.Sprint(hosts) != "[n1 n1 n1]" {
		t.Errorf("recorders asked for %v, want n1's for each event", hosts)
	}
}
