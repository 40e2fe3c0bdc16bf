package store

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
)

// deadline bounds every wait on a channel in these tests: a wait that
// should succeed at once fails the test instead of hanging it.
const deadline = 10 * time.Second

// command builds the n events of one command at rev, as Apply does.
func command(rev uint64, n int) []*Event {
	info, _ := apimeta.Lookup(kCM)
	evs := make([]*Event, n)
	for i := range evs {
		o := cmObj("default", fmt.Sprintf("r%d-e%d", rev, i), nil)
		apimeta.Meta(o).ResourceVersion = apimeta.FormatResourceVersion(rev)
		evs[i] = &Event{Type: evAdded, Kind: info, Object: o, Rev: rev, Last: i == n-1}
	}
	return evs
}

// fill appends one command per (rev, size) pair and returns all events.
func fill(l *EventLog, revs []uint64, sizes []int) []*Event {
	var all []*Event
	for i, rev := range revs {
		evs := command(rev, sizes[i])
		l.append(rev, evs)
		all = append(all, evs...)
	}
	return all
}

// readAll reads from c with max until the log has nothing more, checking
// every batch, and returns the events and the final cursor.
func readAll(t *testing.T, l *EventLog, c Cursor, max int) ([]*Event, Cursor) {
	t.Helper()
	var out []*Event
	for {
		batch, next, wait, err := l.Read(c, max, nil)
		if err != nil {
			t.Fatalf("Read(%v, %d): %v", c, max, err)
		}
		if len(batch) == 0 {
			if wait == nil {
				t.Fatalf("Read(%v, %d) returned no events and no wait channel", c, max)
			}
			if next != c {
				t.Fatalf("an empty Read moved the cursor %v -> %v", c, next)
			}
			return out, c
		}
		if wait != nil {
			t.Fatalf("Read returned events and a wait channel")
		}
		if !batch[len(batch)-1].Last {
			t.Fatalf("max %d: a batch of %d ends inside a command (Rev %d)", max, len(batch), batch[len(batch)-1].Rev)
		}
		if len(batch) > max {
			// Over max only to finish the command that straddles it.
			for _, e := range batch[max-1 : len(batch)-1] {
				if e.Last {
					t.Fatalf("max %d: batch of %d goes past the end of a command at Rev %d", max, len(batch), e.Rev)
				}
			}
		}
		if next.Seq != c.Seq+uint64(len(batch)) || next.Epoch != c.Epoch {
			t.Fatalf("cursor %v + %d events = %v", c, len(batch), next)
		}
		out = append(out, batch...)
		c = next
	}
}

func sameEvents(t *testing.T, got, want []*Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d:\ngot  %s\nwant %s", len(got), len(want), describeEvents(got), describeEvents(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("event %d: got %s, want %s", i, describeEvents(got[i:i+1]), describeEvents(want[i:i+1]))
		}
	}
}

var (
	testRevs  = []uint64{2, 3, 5, 8, 13, 21, 34, 55}
	testSizes = []int{3, 1, 4, 1, 5, 9, 2, 6}
)

func TestEventLogReadInOrder(t *testing.T) {
	l := NewEventLog(1000)
	all := fill(l, testRevs, testSizes)
	c, err := l.CursorAfter(0)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, l, c, 1000)
	sameEvents(t, got, all)
	if l.LastRev() != 55 || l.Floor() != 0 {
		t.Fatalf("LastRev %d Floor %d, want 55 and 0", l.LastRev(), l.Floor())
	}
}

func TestEventLogReadMaxNeverSplitsCommand(t *testing.T) {
	l := NewEventLog(1000)
	all := fill(l, testRevs, testSizes)
	for max := 1; max <= 12; max++ {
		c, _ := l.CursorAfter(0)
		var batches [][]*Event
		for {
			batch, next, wait, err := l.Read(c, max, nil)
			if err != nil {
				t.Fatal(err)
			}
			if wait != nil {
				break
			}
			batches = append(batches, batch)
			c = next
		}
		var got []*Event
		for i, b := range batches {
			if len(b) < max && i != len(batches)-1 {
				t.Fatalf("max %d: short batch %d of %d events before the end", max, i, len(b))
			}
			got = append(got, b...)
		}
		sameEvents(t, got, all)
		// readAll checks every batch ends on Last and goes past max only
		// to finish a command.
		c, _ = l.CursorAfter(0)
		readAll(t, l, c, max)
	}
}

// TestEventLogReadMaxBelowOne: a max below 1 still returns one whole
// command (it used to index the slot before the cursor and panic).
func TestEventLogReadMaxBelowOne(t *testing.T) {
	for _, max := range []int{0, -1} {
		l := NewEventLog(16)
		all := fill(l, []uint64{1, 2}, []int{2, 1})
		c, _ := l.CursorAfter(0)
		batch, next, wait, err := l.Read(c, max, nil)
		if err != nil || wait != nil {
			t.Fatalf("max %d: wait=%v err=%v", max, wait, err)
		}
		sameEvents(t, batch, all[:2])
		batch, _, _, _ = l.Read(next, max, nil)
		sameEvents(t, batch, all[2:])
	}
}

func TestEventLogReadAppendsToDst(t *testing.T) {
	l := NewEventLog(16)
	all := fill(l, []uint64{1}, []int{2})
	sentinel := &Event{}
	dst := make([]*Event, 1, 8)
	dst[0] = sentinel
	c, _ := l.CursorAfter(0)
	got, _, _, _ := l.Read(c, 10, dst)
	if len(got) != 3 || got[0] != sentinel || &got[0] != &dst[0] {
		t.Fatalf("Read did not append to dst in place: %v", got)
	}
	sameEvents(t, got[1:], all)
}

func TestEventLogCompacted(t *testing.T) {
	l := NewEventLog(16)
	start, _ := l.CursorAfter(0)
	var revs []uint64
	for r := uint64(1); r <= 40; r++ {
		revs = append(revs, r)
	}
	sizes := make([]int, len(revs))
	for i := range sizes {
		sizes[i] = 1
	}
	all := fill(l, revs, sizes)
	// The ring keeps the last 16 events: revisions 25..40.
	if l.Floor() != 24 || l.LastRev() != 40 {
		t.Fatalf("Floor %d LastRev %d, want 24 and 40", l.Floor(), l.LastRev())
	}
	_, next, _, err := l.Read(start, 10, nil)
	if !errors.Is(err, ErrCompacted) || !strings.Contains(err.Error(), "24") {
		t.Fatalf("Read of a cursor that fell off the ring: %v, want ErrCompacted naming 24", err)
	}
	if next != start {
		t.Fatalf("failed Read moved the cursor to %v", next)
	}
	for _, rev := range []uint64{0, 10, 23} {
		if _, err := l.CursorAfter(rev); !errors.Is(err, ErrCompacted) || !strings.Contains(err.Error(), "oldest available 24") {
			t.Fatalf("CursorAfter(%d) = %v, want ErrCompacted naming 24", rev, err)
		}
	}
	c, err := l.CursorAfter(24)
	if err != nil {
		t.Fatalf("CursorAfter(floor): %v", err)
	}
	got, _ := readAll(t, l, c, 100)
	sameEvents(t, got, all[24:])
	// A cursor still inside the ring keeps working while older ones fail.
	c, _ = l.CursorAfter(35)
	got, _ = readAll(t, l, c, 100)
	sameEvents(t, got, all[35:])
}

// TestEventLogDropMidCommand: when the ring drops part of a command, a
// watch may resume exactly at that command's revision (it has all of it)
// but not before.
func TestEventLogDropMidCommand(t *testing.T) {
	l := NewEventLog(16)
	all := fill(l, []uint64{1, 2, 3, 4, 5}, []int{5, 5, 5, 5, 5})
	// 25 events, 16 kept: the last of revision 2, and 3..5 whole.
	if l.Floor() != 2 {
		t.Fatalf("Floor = %d, want 2", l.Floor())
	}
	if _, err := l.CursorAfter(1); !errors.Is(err, ErrCompacted) {
		t.Fatalf("CursorAfter(1) = %v, want ErrCompacted", err)
	}
	c, err := l.CursorAfter(2)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, l, c, 4)
	sameEvents(t, got, all[10:])
}

func TestEventLogCursorAfter(t *testing.T) {
	l := NewEventLog(64)
	all := fill(l, []uint64{2, 3, 7, 9}, []int{2, 1, 3, 1})
	for rev := uint64(0); rev <= 12; rev++ {
		c, err := l.CursorAfter(rev)
		if err != nil {
			t.Fatalf("CursorAfter(%d): %v", rev, err)
		}
		var want []*Event
		for _, e := range all {
			if e.Rev > rev {
				want = append(want, e)
			}
		}
		got, _ := readAll(t, l, c, 3)
		sameEvents(t, got, want)
	}
}

func TestEventLogMinimumCapacity(t *testing.T) {
	l := NewEventLog(0)
	revs, sizes := make([]uint64, 16), make([]int, 16)
	for i := range revs {
		revs[i], sizes[i] = uint64(i+1), 1
	}
	all := fill(l, revs, sizes)
	c, err := l.CursorAfter(0)
	if err != nil {
		t.Fatalf("16 events do not fit a log made with capacity 0: %v", err)
	}
	got, _ := readAll(t, l, c, 100)
	sameEvents(t, got, all)
	l.append(17, command(17, 1))
	if _, err := l.CursorAfter(0); !errors.Is(err, ErrCompacted) {
		t.Fatalf("17th event did not push the first out: %v", err)
	}
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestEventLogNotify(t *testing.T) {
	l := NewEventLog(16)
	c, _ := l.CursorAfter(0)
	_, _, wait, err := l.Read(c, 10, nil)
	if err != nil || wait == nil {
		t.Fatalf("Read of an empty log: wait=%v err=%v", wait, err)
	}
	if closed(wait) {
		t.Fatal("wait channel closed before any append")
	}
	// A command without events moves LastRev but wakes nobody.
	l.append(1, nil)
	if closed(wait) || l.LastRev() != 1 {
		t.Fatalf("empty append: closed=%v LastRev=%d", closed(wait), l.LastRev())
	}

	// A reader blocked on the channel wakes at the next append.
	got := make(chan []*Event, 1)
	go func() {
		<-wait
		evs, _, _, _ := l.Read(c, 10, nil)
		got <- evs
	}()
	want := command(2, 2)
	l.append(2, want)
	select {
	case evs := <-got:
		sameEvents(t, evs, want)
	case <-time.After(deadline):
		t.Fatal("the reader was not woken by append")
	}
	// Each append replaces the channel: the next one is open again.
	c, _ = l.CursorAfter(2)
	_, _, wait2, _ := l.Read(c, 10, nil)
	if wait2 == nil || closed(wait2) {
		t.Fatal("no fresh wait channel after an append")
	}
	l.reset(10)
	select {
	case <-wait2:
	case <-time.After(deadline):
		t.Fatal("reset did not wake readers")
	}
	if _, _, _, err := l.Read(c, 10, nil); !errors.Is(err, ErrCompacted) {
		t.Fatalf("Read of a cursor from before a reset: %v, want ErrCompacted", err)
	}
}

// TestEventEncoded: the concatenated encodings of a read are a valid
// WatchResponse carrying every event.
func TestEventEncoded(t *testing.T) {
	h := newHarness(t)
	h.mustApply(createOp(nsObj("default")))
	h.mustApply(createOp(cmObj("default", "a", nil)), createOp(deployObj("default", "d", 1)))
	h.mustApply(updateOp(deployObj("default", "d", 2), 0))
	h.mustApply(deleteOp(kCM, "default", "a"))
	c, _ := h.s.Events().CursorAfter(0)
	evs, _ := readAll(t, h.s.Events(), c, 100)
	if len(evs) != 5 {
		t.Fatalf("got %d events, want 5", len(evs))
	}
	var wire []byte
	for _, e := range evs {
		b := e.Encoded()
		if b2 := e.Encoded(); &b2[0] != &b[0] {
			t.Fatal("Encoded marshalled twice")
		}
		wire = append(wire, b...)
	}
	var resp gantryv1.WatchResponse
	if err := proto.Unmarshal(wire, &resp); err != nil {
		t.Fatalf("unmarshal WatchResponse: %v", err)
	}
	if len(resp.GetEvents()) != len(evs) {
		t.Fatalf("WatchResponse has %d events, want %d", len(resp.GetEvents()), len(evs))
	}
	wantTypes := []gantryv1.WatchEventType{evAdded, evAdded, evAdded, evModified, evDeleted}
	for i, we := range resp.GetEvents() {
		if we.GetType() != wantTypes[i] || we.GetType() != evs[i].Type {
			t.Fatalf("event %d type %v, want %v", i, we.GetType(), wantTypes[i])
		}
		if we.GetResourceVersion() != apimeta.FormatResourceVersion(evs[i].Rev) {
			t.Fatalf("event %d resource_version %q, want %d", i, we.GetResourceVersion(), evs[i].Rev)
		}
		if !proto.Equal(we.GetObject(), evs[i].Object) {
			t.Fatalf("event %d object %v, want %v", i, we.GetObject(), evs[i].Object)
		}
	}
	// The DELETED event carries the object stamped with the delete's index.
	if last := resp.GetEvents()[4]; last.GetObject().GetConfigMap().GetMetadata().GetResourceVersion() != last.GetResourceVersion() {
		t.Fatalf("DELETED object rv %q, event rv %q", last.GetObject().GetConfigMap().GetMetadata().GetResourceVersion(), last.GetResourceVersion())
	}

	// AppendEncoded keeps what dst held.
	prefix := []byte("keep")
	out := AppendEncoded(prefix, &gantryv1.WatchEvent{Type: evAdded, Object: evs[0].Object, ResourceVersion: "7"})
	if string(out[:4]) != "keep" {
		t.Fatal("AppendEncoded overwrote dst")
	}
	resp.Reset()
	if err := proto.Unmarshal(out[4:], &resp); err != nil || len(resp.GetEvents()) != 1 || resp.GetEvents()[0].GetResourceVersion() != "7" {
		t.Fatalf("AppendEncoded output: %v, %v", &resp, err)
	}
}

// TestEventLogConcurrentReaders: readers waiting on the channel see every
// event exactly once, in order, in whole commands, while Apply runs.
func TestEventLogConcurrentReaders(t *testing.T) {
	h := newHarness(t)
	h.mustApply(createOp(nsObj("default")))
	log := h.s.Events()
	const commands, readers = 200, 8
	final := h.idx + commands*indexStep

	type seen struct {
		rev  uint64
		last bool
	}
	results := make([][]seen, readers)
	errs := make(chan error, readers)
	var wg sync.WaitGroup
	for r := 0; r < readers; r++ {
		c, err := log.CursorAfter(h.idx)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func(r int, c Cursor) {
			defer wg.Done()
			timeout := time.After(deadline)
			for {
				evs, next, wait, err := log.Read(c, r+1, nil)
				if err != nil {
					errs <- err
					return
				}
				for _, e := range evs {
					results[r] = append(results[r], seen{e.Rev, e.Last})
				}
				if n := len(evs); n > 0 && evs[n-1].Rev == final {
					return
				}
				c = next
				if wait != nil {
					select {
					case <-wait:
					case <-timeout:
						errs <- fmt.Errorf("reader %d: timed out after %d events", r, len(results[r]))
						return
					}
				}
			}
		}(r, c)
	}
	var want []seen
	for i := 0; i < commands; i++ {
		n := i%3 + 1
		ops := make([]*storagev1.Op, 0, n)
		for j := 0; j < n; j++ {
			ops = append(ops, createOp(cmObj("default", fmt.Sprintf("c%d-%d", i, j), nil)))
		}
		h.mustApply(ops...)
		for j := 0; j < n; j++ {
			want = append(want, seen{h.idx, j == n-1})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for r, got := range results {
		if len(got) != len(want) {
			t.Fatalf("reader %d saw %d events, want %d", r, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("reader %d event %d: %v, want %v", r, i, got[i], want[i])
			}
		}
	}
}
