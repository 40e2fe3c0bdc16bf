package events

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/workqueue"
	"go.uber.org/zap/zaptest"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newTest(t *testing.T, mutate func(*Config)) (*Broadcaster, *fakeSink, *workqueue.FakeClock) {
	t.Helper()
	clk := workqueue.NewFakeClock(t0)
	cfg := DefaultConfig()
	cfg.Clock = clk
	cfg.WriteQPS = 0 // TestWriteBudget tests it
	if mutate != nil {
		mutate(&cfg)
	}
	sink := newFakeSink()
	b, err := New(cfg, sink, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return b, sink, clk
}

// settle correlates what is queued and writes everything due, as Run's
// loop does, without a goroutine.
func settle(b *Broadcaster) {
	b.drain()
	for b.flush(context.Background()) > 0 {
	}
}

func pod(name string) *gantryv1.Pod {
	return &gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Namespace: "ns1", Name: name, Uid: "uid-" + name}}
}

func only(t *testing.T, sink *fakeSink) *gantryv1.Event {
	t.Helper()
	all := sink.all()
	if len(all) != 1 {
		t.Fatalf("want 1 stored event, got %d: %s", len(all), sink)
	}
	return all[0]
}

func TestEventShape(t *testing.T) {
	b, sink, _ := newTest(t, nil)
	r := b.NewRecorder("default-scheduler", "")
	r.Eventf(pod("web-1"), Normal, "Scheduled", "Successfully assigned %s to %s", "ns1/web-1", "n1")
	settle(b)
	ev := only(t, sink)
	if want := fmt.Sprintf("web-1.%x", t0.UnixNano()); ev.GetMetadata().GetName() != want || ev.GetMetadata().GetNamespace() != "ns1" {
		t.Errorf("name %s/%s, want ns1/%s", ev.GetMetadata().GetNamespace(), ev.GetMetadata().GetName(), want)
	}
	io := ev.GetInvolvedObject()
	if io.GetKind() != "Pod" || io.GetApiVersion() != "v1" || io.GetName() != "web-1" || io.GetUid() != "uid-web-1" || io.GetNamespace() != "ns1" {
		t.Errorf("involvedObject %v", io)
	}
	if ev.GetMessage() != "Successfully assigned ns1/web-1 to n1" || ev.GetType() != Normal || ev.GetCount() != 1 ||
		ev.GetSource().GetComponent() != "default-scheduler" || ev.GetReportingComponent() != "default-scheduler" ||
		!ev.GetFirstTimestamp().AsTime().Equal(t0) || !ev.GetLastTimestamp().AsTime().Equal(t0) {
		t.Errorf("event %v", ev)
	}
}

func TestClusterScopedObjectsGoToDefault(t *testing.T) {
	b, sink, _ := newTest(t, nil)
	b.NewRecorder("nodeagent", "n1").Event(&gantryv1.Node{Metadata: &gantryv1.ObjectMeta{Name: "n1", Uid: "u1"}}, Normal, "NodeReady", "Node n1 status is now: NodeReady")
	settle(b)
	ev := only(t, sink)
	if ev.GetMetadata().GetNamespace() != "default" || ev.GetInvolvedObject().GetNamespace() != "" || ev.GetInvolvedObject().GetKind() != "Node" ||
		ev.GetSource().GetHost() != "n1" {
		t.Errorf("node event %v", ev)
	}
}

func TestLongNamesAndMessagesAreCut(t *testing.T) {
	long := strings.Repeat("a", 250)
	if n := eventName(long, t0); len(n) > maxNameBytes || !strings.HasSuffix(n, fmt.Sprintf(".%x", t0.UnixNano())) {
		t.Errorf("eventName of a 250-byte name: %d bytes: %s", len(n), n)
	}
	msg := strings.Repeat("é", 600) // 1200 bytes
	if got := truncate(msg, maxMessageBytes); len(got) > maxMessageBytes || !strings.HasPrefix(msg, got) || len(got) < maxMessageBytes-1 {
		t.Errorf("truncate: %d bytes", len(got))
	}
}

func TestInvalidEventsAreCounted(t *testing.T) {
	b, sink, _ := newTest(t, nil)
	r := b.NewRecorder("c", "")
	r.Event(nil, Normal, "R", "m")
	r.Event(&gantryv1.Pod{}, Normal, "R", "no name")
	r.Event(pod("p"), "Info", "R", "bad type")
	r.Event(pod("p"), Normal, "", "no reason")
	settle(b)
	if n := len(sink.all()); n != 0 || b.Stats().Invalid != 4 {
		t.Errorf("stored %d, invalid %d; want 0 and 4", n, b.Stats().Invalid)
	}
}

func TestRepeatsBumpCountOfOneEvent(t *testing.T) {
	b, sink, clk := newTest(t, nil)
	r := b.NewRecorder("nodeagent", "n1")
	ref := ContainerRef(pod("web-1"), "app")
	r.Event(ref, Warning, "BackOff", "Back-off restarting failed container app")
	settle(b)
	first := only(t, sink)
	for range 2 {
		clk.Step(10 * time.Second)
		r.Event(ref, Warning, "BackOff", "Back-off restarting failed container app")
	}
	settle(b)
	ev := only(t, sink)
	if ev.GetCount() != 3 || !ev.GetFirstTimestamp().AsTime().Equal(t0) || !ev.GetLastTimestamp().AsTime().Equal(t0.Add(20*time.Second)) ||
		ev.GetMetadata().GetName() != first.GetMetadata().GetName() || ev.GetInvolvedObject().GetFieldPath() != "spec.containers{app}" {
		t.Errorf("after 3 repeats: %v", ev)
	}
	// One create, then both repeats in one update.
	if calls := sink.calls(); len(calls) != 2 || calls[0] != 1 || calls[1] != 1 {
		t.Errorf("Batch calls %v, want [1 1]", calls)
	}
	if s := b.Stats(); s.Created != 1 || s.Updated != 1 || s.Repeats != 2 {
		t.Errorf("stats %+v", s)
	}
	// Another container of the pod is another event.
	r.Event(ContainerRef(pod("web-1"), "sidecar"), Warning, "BackOff", "Back-off restarting failed container app")
	settle(b)
	if n := len(sink.all()); n != 2 {
		t.Errorf("a second container's event: %d stored, want 2", n)
	}
}

func TestSimilarEventsAreCombined(t *testing.T) {
	b, sink, clk := newTest(t, nil)
	r := b.NewRecorder("nodeagent", "n1")
	p := pod("web-1")
	for i := range 12 {
		r.Eventf(p, Warning, "Unhealthy", "Liveness probe failed: attempt %d", i)
		clk.Step(time.Second)
	}
	settle(b)
	var combined []*gantryv1.Event
	for _, ev := range sink.all() {
		if strings.HasPrefix(ev.GetMessage(), combinedPrefix) {
			combined = append(combined, ev)
		}
	}
	if len(sink.all()) != 10 || len(combined) != 1 {
		t.Fatalf("want 9 single events and 1 combined, got: %s", sink)
	}
	if c := combined[0]; c.GetCount() != 3 || c.GetMessage() != combinedPrefix+"Liveness probe failed: attempt 11" {
		t.Errorf("combined event %v", c)
	}
	if s := b.Stats(); s.Combined != 3 {
		t.Errorf("combined %d, want 3", s.Combined)
	}
	// After the window, a new message stands alone again.
	clk.Step(11 * time.Minute)
	r.Event(p, Warning, "Unhealthy", "Liveness probe failed: later")
	settle(b)
	if len(sink.all()) != 11 {
		t.Errorf("after the window: %s", sink)
	}
}

func TestSpamFilterPerObject(t *testing.T) {
	b, sink, clk := newTest(t, nil)
	r := b.NewRecorder("nodeagent", "n1")
	for range 30 {
		r.Event(pod("a"), Normal, "Pulled", "same")
	}
	r.Event(pod("b"), Normal, "Pulled", "same")
	settle(b)
	counts := map[string]int32{}
	for _, ev := range sink.all() {
		counts[ev.GetInvolvedObject().GetName()] = ev.GetCount()
	}
	if counts["a"] != 25 || counts["b"] != 1 || b.Stats().Spam != 5 {
		t.Fatalf("counts %v spam %d; want a=25 b=1 spam=5", counts, b.Stats().Spam)
	}
	// One token every 5 minutes.
	clk.Step(5 * time.Minute)
	r.Event(pod("a"), Normal, "Pulled", "same")
	r.Event(pod("a"), Normal, "Pulled", "same")
	settle(b)
	for _, ev := range sink.all() {
		if ev.GetInvolvedObject().GetName() == "a" && ev.GetCount() != 26 {
			t.Errorf("after 5 min: count %d, want 26", ev.GetCount())
		}
	}
	if b.Stats().Spam != 6 {
		t.Errorf("spam %d, want 6", b.Stats().Spam)
	}
}

func TestFullQueueDropsWithoutBlocking(t *testing.T) {
	b, sink, _ := newTest(t, func(c *Config) { c.QueueSize = 4 })
	r := b.NewRecorder("c", "")
	done := make(chan struct{})
	go func() {
		for i := range 10 {
			r.Eventf(pod(fmt.Sprint("p", i)), Normal, "R", "m")
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Eventf blocked on a full queue")
	}
	if s := b.Stats(); s.QueueFull != 6 {
		t.Errorf("dropped %d, want 6", s.QueueFull)
	}
	settle(b)
	if n := len(sink.all()); n != 4 {
		t.Errorf("stored %d, want the 4 queued", n)
	}
}

func TestWritesAreBatched(t *testing.T) {
	b, sink, _ := newTest(t, func(c *Config) { c.BatchSize = 250 })
	r := b.NewRecorder("replicaset-controller", "")
	for i := range 600 {
		r.Eventf(pod(fmt.Sprint("p", i)), Normal, "SuccessfulCreate", "Created pod: p%d", i)
	}
	settle(b)
	if calls := sink.calls(); fmt.Sprint(calls) != "[250 250 100]" {
		t.Errorf("Batch calls %v, want [250 250 100]", calls)
	}
	if n := len(sink.all()); n != 600 {
		t.Errorf("stored %d, want 600", n)
	}
}

func TestUnavailableIsRetriedWithBackoff(t *testing.T) {
	b, sink, clk := newTest(t, nil)
	sink.failNext = 2
	b.NewRecorder("c", "").Event(pod("p"), Normal, "R", "m")
	settle(b)
	if n := len(sink.all()); n != 0 || len(sink.calls()) != 1 {
		t.Fatalf("stored %d after %d calls; want 0 after 1 (then back off)", n, len(sink.calls()))
	}
	d, ok := b.nextDue()
	if !ok || d != b.cfg.RetryBackoff {
		t.Fatalf("next retry in %v (%v), want %v", d, ok, b.cfg.RetryBackoff)
	}
	clk.Step(d)
	settle(b)
	d, _ = b.nextDue()
	if d != 2*b.cfg.RetryBackoff {
		t.Fatalf("second back-off %v, want %v", d, 2*b.cfg.RetryBackoff)
	}
	clk.Step(d)
	settle(b)
	if ev := only(t, sink); ev.GetCount() != 1 {
		t.Errorf("stored %v", ev)
	}
}

func TestLostCreateIsReadBackNotDuplicated(t *testing.T) {
	b, sink, clk := newTest(t, nil)
	r := b.NewRecorder("c", "")
	sink.loseNext = 1 // the create lands, its answer is lost
	r.Event(pod("p"), Normal, "R", "m")
	settle(b)
	clk.Step(time.Minute)
	settle(b) // create again: ALREADY_EXISTS, read back, adopt
	r.Event(pod("p"), Normal, "R", "m")
	settle(b)
	ev := only(t, sink)
	if ev.GetCount() != 2 || sink.gets != 1 {
		t.Errorf("count %d after %d reads; want 2 after 1: %s", ev.GetCount(), sink.gets, sink)
	}
}

func TestNameClashTakesANewName(t *testing.T) {
	b, sink, _ := newTest(t, nil)
	other := &gantryv1.Event{Metadata: &gantryv1.ObjectMeta{Namespace: "ns1", Name: eventName("p", t0)},
		InvolvedObject: &gantryv1.ObjectReference{Kind: "Pod", Name: "p", Uid: "uid-p"}, Reason: "Other", Type: Normal}
	sink.put(other)
	b.NewRecorder("c", "").Event(pod("p"), Normal, "R", "m")
	settle(b)
	if n := len(sink.all()); n != 2 {
		t.Errorf("want both events stored, got %s", sink)
	}
}

func TestExpiredEventIsCreatedAgain(t *testing.T) {
	b, sink, clk := newTest(t, nil)
	r := b.NewRecorder("c", "")
	r.Event(pod("p"), Normal, "R", "m")
	settle(b)
	ev := only(t, sink)
	sink.remove(ev.GetMetadata().GetNamespace(), ev.GetMetadata().GetName()) // expired
	clk.Step(time.Minute)
	r.Event(pod("p"), Normal, "R", "m")
	settle(b)
	if again := only(t, sink); again.GetCount() != 2 || again.GetMetadata().GetName() != ev.GetMetadata().GetName() {
		t.Errorf("recreated %v", again)
	}
}

func TestConflictIsReadBack(t *testing.T) {
	b, sink, _ := newTest(t, nil)
	r := b.NewRecorder("c", "")
	r.Event(pod("p"), Normal, "R", "m")
	settle(b)
	ev := only(t, sink)
	ev.Count = 7
	sink.put(ev) // someone else wrote it meanwhile
	r.Event(pod("p"), Normal, "R", "m")
	settle(b)
	if got := only(t, sink); got.GetCount() != 7 {
		t.Errorf("count %d after a conflict, want the larger (7)", got.GetCount())
	}
}

func TestRefusedEventsAreDropped(t *testing.T) {
	b, sink, _ := newTest(t, nil)
	sink.missingNS["gone"] = true
	b.NewRecorder("c", "").Event(&gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Namespace: "gone", Name: "p"}}, Normal, "R", "m")
	settle(b)
	if _, ok := b.nextDue(); ok || b.Stats().Rejected != 1 || len(sink.calls()) != 1 {
		t.Errorf("pending %v, rejected %d, calls %v", ok, b.Stats().Rejected, sink.calls())
	}
}

func TestGiveUpAfterMaxAttempts(t *testing.T) {
	b, sink, clk := newTest(t, func(c *Config) { c.MaxAttempts = 3 })
	sink.failNext = 100
	b.NewRecorder("c", "").Event(pod("p"), Normal, "R", "m")
	for range 5 {
		settle(b)
		clk.Step(time.Minute)
	}
	if _, ok := b.nextDue(); ok || b.Stats().GivenUp != 1 || len(sink.calls()) != 3 {
		t.Errorf("pending %v, given up %d, calls %v", ok, b.Stats().GivenUp, sink.calls())
	}
}

func TestPendingIsBounded(t *testing.T) {
	b, sink, _ := newTest(t, func(c *Config) { c.MaxPending = 5 })
	sink.failNext = 1
	r := b.NewRecorder("c", "")
	for i := range 8 {
		r.Eventf(pod(fmt.Sprint("p", i)), Normal, "R", "m")
	}
	b.drain()
	if len(b.pending) != 5 || b.Stats().PendingFull != 3 {
		t.Errorf("pending %d, given up %d; want 5 and 3", len(b.pending), b.Stats().PendingFull)
	}
}

func TestRunWritesAndFlushesOnStop(t *testing.T) {
	b, sink, _ := newTest(t, nil)
	b.cfg.Clock = workqueue.RealClock{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx); close(done) }()
	r := b.NewRecorder("c", "")
	r.Event(pod("a"), Normal, "R", "m")
	deadline := time.Now().Add(5 * time.Second)
	for len(sink.all()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run wrote nothing within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Queued just before the stop: written on the way out.
	sink.mu.Lock()
	r.Event(pod("b"), Normal, "R", "m")
	cancel()
	sink.mu.Unlock()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	if n := len(sink.all()); n != 2 {
		t.Errorf("stored %d, want 2", n)
	}
}

// A write backing off when Run stops gets one last try.
func TestStopRetriesWhatWasBackingOff(t *testing.T) {
	b, sink, _ := newTest(t, nil)
	sink.failNext = 1
	b.NewRecorder("c", "").Event(pod("p"), Normal, "R", "m")
	settle(b)
	if _, ok := b.nextDue(); !ok || len(sink.all()) != 0 {
		t.Fatalf("want the event backing off, stored %d", len(sink.all()))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.Run(ctx)
	if len(sink.all()) != 1 {
		t.Errorf("stored %d after Run stopped, want 1", len(sink.all()))
	}
}

func TestWriteBudget(t *testing.T) {
	b, sink, clk := newTest(t, func(c *Config) { c.WriteQPS, c.WriteBurst, c.BatchSize = 10, 30, 25 })
	r := b.NewRecorder("c", "")
	for i := range 100 {
		r.Eventf(pod(fmt.Sprint("p", i)), Normal, "R", "m")
	}
	settle(b)
	if calls := sink.calls(); fmt.Sprint(calls) != "[25 5]" {
		t.Fatalf("Batch calls %v, want the burst of 30: [25 5]", calls)
	}
	if d, ok := b.nextDue(); !ok || d != 100*time.Millisecond {
		t.Fatalf("next write in %v (%v), want 100ms (10 a second)", d, ok)
	}
	clk.Step(time.Second)
	settle(b)
	if n := len(sink.all()); n != 40 {
		t.Errorf("stored %d after 1s more, want 30+10", n)
	}
	clk.Step(time.Hour) // refills to the burst, not beyond
	settle(b)
	if n := len(sink.all()); n != 70 {
		t.Errorf("stored %d after an hour, want 40+30", n)
	}
}

// Spam is dropped before the queue, so it cannot crowd other events out.
func TestSpamTakesNoRoomInTheQueue(t *testing.T) {
	b, sink, _ := newTest(t, func(c *Config) { c.QueueSize = 30 })
	r := b.NewRecorder("replicaset-controller", "")
	for i := range 100 {
		r.Eventf(pod("rs"), Normal, "SuccessfulCreate", "Created pod: p%d", i)
	}
	r.Event(pod("other"), Normal, "R", "m")
	if s := b.Stats(); s.Spam != 75 || s.QueueFull != 0 {
		t.Fatalf("spam %d, queue full %d; want 75 and 0", s.Spam, s.QueueFull)
	}
	settle(b)
	found := false
	for _, ev := range sink.all() {
		found = found || ev.GetInvolvedObject().GetName() == "other"
	}
	if !found {
		t.Errorf("the other object's event was crowded out: %s", sink)
	}
}
