package events

import (
	"strings"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// combinedPrefix starts the message of an aggregated event (Kubernetes'
// words).
const combinedPrefix = "(combined from similar events): "

// series is one stored Event and the writes it still needs. The writer
// goroutine owns it.
type series struct {
	key string
	// ev is the Event as it should be stored; its metadata carries the
	// resource_version and uid of the stored copy ("" before the create).
	ev *gantryv1.Event
	// queued: waiting in the writer's pending list.
	queued bool
	// attempts counts failed writes in a row; notBefore delays the next.
	attempts  int
	notBefore time.Time
	// readBack: a conflict or a lost create; read the stored copy first.
	readBack bool
}

// verdict is what the correlator decided about one event.
type verdict int

const (
	verdictNew     verdict = iota // a new Event to create
	verdictRepeat                 // an existing Event's count bumped
	verdictCombine                // folded into a "combined" Event (new or bumped)
)

// correlator decides, for each event in turn, whether it is a repeat of a
// recent Event, one of many similar events to combine, or new. (Spam is
// filtered before the queue, so it takes no room there.)
type correlator struct {
	similar    *lru[*similarRecord]
	recent     *lru[*series]
	maxSimilar int
	window     time.Duration
}

// similarRecord is the distinct messages seen for one aggregation key
// within the window.
type similarRecord struct {
	messages map[string]struct{}
	last     time.Time
}

func newCorrelator(cfg Config) *correlator {
	return &correlator{
		similar:    newLRU[*similarRecord](cfg.CacheSize),
		recent:     newLRU[*series](cfg.CacheSize),
		maxSimilar: cfg.AggregateMaxEvents,
		window:     cfg.AggregateWindow,
	}
}

// observe correlates ev (which it may keep) at now and returns the series
// to write.
func (c *correlator) observe(ev *gantryv1.Event, now time.Time) (*series, verdict) {
	key, combined := c.aggregate(ev, now)
	if s, ok := c.recent.get(key); ok {
		s.ev.Count++
		s.ev.LastTimestamp = ev.GetLastTimestamp()
		s.ev.Message = ev.GetMessage()
		if combined {
			return s, verdictCombine
		}
		return s, verdictRepeat
	}
	s := &series{key: key, ev: ev}
	c.recent.add(key, s)
	if combined {
		return s, verdictCombine
	}
	return s, verdictNew
}

// aggregate returns the key ev is de-duplicated under: its own, or, once
// more than maxSimilar-1 different messages of the same reason came
// within the window, the reason's (and ev's message gets the combined
// prefix).
func (c *correlator) aggregate(ev *gantryv1.Event, now time.Time) (string, bool) {
	akey := aggregateKey(ev)
	rec, ok := c.similar.get(akey)
	if !ok || now.Sub(rec.last) > c.window {
		rec = &similarRecord{messages: map[string]struct{}{}}
		c.similar.add(akey, rec)
	}
	rec.last = now
	rec.messages[ev.GetMessage()] = struct{}{}
	if len(rec.messages) < c.maxSimilar {
		return fullKey(ev), false
	}
	// Keep the set bounded; the next different message combines again.
	for m := range rec.messages {
		delete(rec.messages, m)
		break
	}
	ev.Message = combinedPrefix + ev.GetMessage()
	return akey, true
}

func join(parts ...string) string { return strings.Join(parts, "\x00") }

// spamKey: one bucket per source and involved object.
func spamKey(ev *gantryv1.Event) string {
	r, s := ev.GetInvolvedObject(), ev.GetSource()
	return join(s.GetComponent(), s.GetHost(), r.GetKind(), r.GetNamespace(), r.GetName(), r.GetUid(), r.GetApiVersion())
}

// aggregateKey is everything but the message (and field path).
func aggregateKey(ev *gantryv1.Event) string {
	r, s := ev.GetInvolvedObject(), ev.GetSource()
	return join("agg", s.GetComponent(), s.GetHost(), r.GetKind(), r.GetNamespace(), r.GetName(), r.GetUid(), r.GetApiVersion(),
		ev.GetType(), ev.GetReason(), ev.GetReportingComponent(), ev.GetReportingInstance())
}

// fullKey identifies an event for de-duplication.
func fullKey(ev *gantryv1.Event) string {
	r, s := ev.GetInvolvedObject(), ev.GetSource()
	return join("ev", s.GetComponent(), s.GetHost(), r.GetKind(), r.GetNamespace(), r.GetName(), r.GetFieldPath(), r.GetUid(), r.GetApiVersion(),
		ev.GetType(), ev.GetReason(), ev.GetMessage())
}
