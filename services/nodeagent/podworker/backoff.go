package podworker

import "time"

// backoff is the kubelet's restart back-off for one container: a container
// that exits is restarted at once the first time; after that it waits the
// current delay from its last exit, and each restart doubles the delay up
// to max. A container that stayed quiet for 2*max starts over.
type backoff struct {
	delay      time.Duration
	lastUpdate time.Time
}

// wait returns how long a container that finished at finished must still
// wait before its restart (0: restart now).
func (b *backoff) wait(now, finished time.Time) time.Duration {
	if b == nil || b.delay == 0 {
		return 0
	}
	if d := finished.Add(b.delay).Sub(now); d > 0 {
		return d
	}
	return 0
}

// next records a restart at now.
func (b *backoff) next(now time.Time, initial, max time.Duration) {
	if b.delay == 0 || now.Sub(b.lastUpdate) > 2*max {
		b.delay = initial
	} else {
		b.delay = min(b.delay*2, max)
	}
	b.lastUpdate = now
}
