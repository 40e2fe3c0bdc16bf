package events

import "time"

// bucket is a token bucket: burst tokens, one more every refill.
type bucket struct {
	tokens float64
	last   time.Time
}

// spamFilter limits how many events one source may record about one
// object: a burst, then one per refill interval (Kubernetes' defaults:
// 25, then one every 5 minutes).
type spamFilter struct {
	burst  float64
	refill time.Duration
	cache  *lru[*bucket]
}

func newSpamFilter(burst int, refill time.Duration, size int) *spamFilter {
	return &spamFilter{burst: float64(burst), refill: refill, cache: newLRU[*bucket](size)}
}

// allow takes a token for key at now and reports whether there was one.
func (f *spamFilter) allow(key string, now time.Time) bool {
	b, ok := f.cache.get(key)
	if !ok {
		b = &bucket{tokens: f.burst, last: now}
		f.cache.add(key, b)
	}
	if f.refill > 0 && now.After(b.last) {
		b.tokens = min(f.burst, b.tokens+float64(now.Sub(b.last))/float64(f.refill))
	}
	if now.After(b.last) {
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
