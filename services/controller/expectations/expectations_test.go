package expectations

import (
	"testing"
	"time"

	"github.com/gantryio/gantry/internal/workqueue"
)

func TestCreationsAndDeletions(t *testing.T) {
	e := New(workqueue.NewFakeClock(time.Unix(0, 0)), time.Minute)
	if !e.Satisfied("rs") {
		t.Fatal("a key without expectations must be satisfied")
	}
	e.Expect("rs", 2, []string{"ns/a"})
	if e.Satisfied("rs") {
		t.Fatal("satisfied with 2 creations and 1 deletion outstanding")
	}
	e.CreationObserved("rs")
	e.DeletionObserved("rs", "ns/other") // not expected: no effect
	if a, d := e.Pending("rs"); a != 1 || d != 1 {
		t.Fatalf("pending %d/%d, want 1/1", a, d)
	}
	e.CreationObserved("rs")
	e.CreationObserved("rs") // a late extra observation never goes negative
	if e.Satisfied("rs") {
		t.Fatal("satisfied before the deletion was seen")
	}
	e.DeletionObserved("rs", "ns/a")
	if !e.Satisfied("rs") {
		t.Fatal("not satisfied after everything was observed")
	}
	e.Expect("rs", 3, nil)
	e.LowerCreations("rs", 3)
	if !e.Satisfied("rs") {
		t.Fatal("lowering by the failed creates must satisfy")
	}
}

func TestExpiry(t *testing.T) {
	clock := workqueue.NewFakeClock(time.Unix(0, 0))
	e := New(clock, time.Minute)
	e.Expect("rs", 1, nil)
	clock.Step(time.Minute)
	if e.Satisfied("rs") {
		t.Fatal("expired at exactly the TTL")
	}
	clock.Step(time.Millisecond)
	if !e.Satisfied("rs") {
		t.Fatal("still unsatisfied after the TTL")
	}
}

func TestDelete(t *testing.T) {
	e := New(nil, 0)
	e.Expect("rs", 5, nil)
	e.Delete("rs")
	if !e.Satisfied("rs") || e.Len() != 0 {
		t.Fatal("Delete did not forget the key")
	}
}
