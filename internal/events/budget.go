package events

import (
	"math"
	"time"
)

// budget is the writer's token bucket: qps Event writes a second, burst
// at once (the kubelet's --event-qps and --event-burst). Past it events
// wait in the pending list, and then the queue, which drop what does not
// fit: a burst of events costs the apiservers a bounded share.
type budget struct {
	qps, burst, tokens float64
	last               time.Time
}

// newBudget starts full; qps 0 means no limit.
func newBudget(qps float64, burst int, now time.Time) *budget {
	return &budget{qps: qps, burst: float64(burst), tokens: float64(burst), last: now}
}

func (b *budget) refill(now time.Time) {
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.qps)
		b.last = now
	}
}

// available is how many writes may go now.
func (b *budget) available(now time.Time) int {
	if b.qps <= 0 {
		return math.MaxInt
	}
	b.refill(now)
	return int(b.tokens)
}

// spend takes n writes from the budget.
func (b *budget) spend(n int) {
	if b.qps > 0 {
		b.tokens -= float64(n)
	}
}

// wait is how long until one write may go.
func (b *budget) wait(now time.Time) time.Duration {
	if b.available(now) >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / b.qps * float64(time.Second))
}
