package events

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Limits of one event, as the apiserver's validation has them.
const (
	maxMessageBytes = 1024
	maxNameBytes    = 253
	// clusterNamespace holds the events of cluster-scoped objects.
	clusterNamespace = "default"
)

// Broadcaster is a process's event pipeline: Recorders queue events, Run
// correlates and writes them.
type Broadcaster struct {
	cfg   Config
	sink  Sink
	log   *zap.Logger
	queue chan *gantryv1.Event
	stats counters
	// lastDropLog is the UnixNano of the last log line about drops.
	lastDropLog atomic.Int64
	// spam is used by every recording goroutine, under spamMu: spam is
	// dropped before it takes room in the queue.
	spamMu sync.Mutex
	spam   *spamFilter

	// Owned by Run's goroutine.
	corr    *correlator
	pending []*series
	budget  *budget
}

// New returns a Broadcaster writing to sink; start it with Run.
func New(cfg Config, sink Sink, logger *zap.Logger) (*Broadcaster, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, fmt.Errorf("%w: a Sink is required", ErrConfig)
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	return &Broadcaster{cfg: cfg, sink: sink, log: logger.Named("events"), queue: make(chan *gantryv1.Event, cfg.QueueSize),
		spam: newSpamFilter(cfg.SpamBurst, cfg.SpamRefill, cfg.CacheSize), corr: newCorrelator(cfg), budget: newBudget(cfg.WriteQPS, cfg.WriteBurst, cfg.Clock.Now())}, nil
}

// NewRecorder returns a Recorder whose events name component and host as
// their source (host: the node, for node agents; "" for cluster services).
func (b *Broadcaster) NewRecorder(component, host string) Recorder {
	return &recorder{b: b, component: component, host: host}
}

type recorder struct {
	b               *Broadcaster
	component, host string
}

func (r *recorder) Event(obj proto.Message, eventType, reason, message string) {
	r.b.record(r, obj, eventType, reason, message)
}

func (r *recorder) Eventf(obj proto.Message, eventType, reason, messageFmt string, args ...any) {
	r.b.record(r, obj, eventType, reason, fmt.Sprintf(messageFmt, args...))
}

// record builds the event and offers it to the queue without waiting.
func (b *Broadcaster) record(r *recorder, obj proto.Message, eventType, reason, message string) {
	ref, ok := Ref(obj)
	if !ok || reason == "" || (eventType != Normal && eventType != Warning) {
		b.stats.invalid.Add(1)
		b.log.Debug("event not recorded: it names no object, reason or valid type",
			zap.String("reason", reason), zap.String("type", eventType))
		return
	}
	ev := b.newEvent(r, proto.Clone(ref).(*gantryv1.ObjectReference), eventType, reason, message)
	b.spamMu.Lock()
	ok = b.spam.allow(spamKey(ev), ev.GetLastTimestamp().AsTime())
	b.spamMu.Unlock()
	if !ok {
		b.stats.spam.Add(1)
		return
	}
	select {
	case b.queue <- ev:
	default:
		b.logDrop("event queue full; dropping events", b.stats.queueFull.Add(1), ev)
	}
}

func (b *Broadcaster) newEvent(r *recorder, ref *gantryv1.ObjectReference, eventType, reason, message string) *gantryv1.Event {
	now := b.cfg.Clock.Now()
	ts := timestamppb.New(now)
	ns := ref.GetNamespace()
	if ns == "" {
		ns = clusterNamespace
	}
	return &gantryv1.Event{
		Metadata:       &gantryv1.ObjectMeta{Name: eventName(ref.GetName(), now), Namespace: ns},
		InvolvedObject: ref, Reason: reason, Message: truncate(message, maxMessageBytes), Type: eventType,
		Source:         &gantryv1.EventSource{Component: r.component, Host: r.host},
		FirstTimestamp: ts, LastTimestamp: ts, Count: 1,
		ReportingComponent: r.component, ReportingInstance: r.host,
	}
}

// eventName is Kubernetes' <object>.<hex nanoseconds>, the object's part
// shortened so the whole stays a valid name.
func eventName(object string, t time.Time) string {
	suffix := fmt.Sprintf(".%x", t.UnixNano())
	if len(object)+len(suffix) > maxNameBytes {
		object = strings.TrimRight(object[:maxNameBytes-len(suffix)], ".-")
	}
	return object + suffix
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// dropLogEvery spaces the log lines about a full queue.
const dropLogEvery = 10 * time.Second

// logDrop logs a dropped event, at most once every dropLogEvery.
func (b *Broadcaster) logDrop(msg string, total int64, ev *gantryv1.Event) {
	now := time.Now().UnixNano()
	last := b.lastDropLog.Load()
	if now-last >= int64(dropLogEvery) && b.lastDropLog.CompareAndSwap(last, now) {
		b.log.Warn(msg, zap.Int64("dropped_total", total), zap.String("reason", ev.GetReason()),
			zap.String("object", ev.GetInvolvedObject().GetKind()+" "+ev.GetInvolvedObject().GetName()))
	}
}
