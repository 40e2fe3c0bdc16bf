package clock

import (
	"testing"
	"time"
)

func TestFake(t *testing.T) {
	c := NewFake()
	start := c.Now()
	t1, t2 := c.NewTimer(time.Second), c.NewTimer(2*time.Second)
	if c.Waiters() != 2 {
		t.Fatalf("Waiters = %d, want 2", c.Waiters())
	}
	c.Advance(999 * time.Millisecond)
	select {
	case <-t1.C():
		t.Fatal("fired early")
	default:
	}
	c.Advance(time.Millisecond)
	if got := <-t1.C(); !got.Equal(start.Add(time.Second)) {
		t.Fatalf("fired at %v", got)
	}
	if !t2.Stop() || t2.Stop() {
		t.Fatal("Stop should report true once")
	}
	c.Advance(time.Hour)
	select {
	case <-t2.C():
		t.Fatal("a stopped timer fired")
	default:
	}
	select {
	case <-c.NewTimer(0).C():
	default:
		t.Fatal("a zero timer did not fire at once")
	}
}
