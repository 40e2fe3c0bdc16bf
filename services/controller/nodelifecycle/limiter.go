package nodelifecycle

import (
	"sync"
	"time"
)

// limiter is a token bucket of one on the controller's clock: take
// succeeds at most once per 1/rate seconds, and the first take at once.
type limiter struct {
	mu     sync.Mutex
	period time.Duration
	// next is when the next token is there (zero: now).
	next time.Time
}

func newLimiter(rate float64) *limiter {
	return &limiter{period: time.Duration(float64(time.Second) / rate)}
}

// take takes the token if it is there, or says how long until it is.
func (l *limiter) take(now time.Time) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.next) {
		return false, l.next.Sub(now)
	}
	l.next = now.Add(l.period)
	return true, 0
}
