package store

import (
	"sync/atomic"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Event is one change to one object. Events are immutable once appended.
type Event struct {
	Type gantryv1.WatchEventType
	// Kind is the kind's info; Object the object after the change (its last
	// state for DELETED); Prev the object before it (nil for ADDED).
	Kind   *apimeta.Info
	Object *gantryv1.Object
	Prev   *gantryv1.Object
	// Meta and PrevMeta are the metadata of Object and Prev (nil when they
	// are), looked up once here so N watchers filtering the event do not
	// each pay for the reflection.
	Meta, PrevMeta *gantryv1.ObjectMeta
	// Rev is the Raft index of the command; all events of one command share it.
	Rev uint64
	// Last is true for the last event of its command: a watcher may only
	// end a response, or record a resume point, after such an event.
	Last bool

	enc atomic.Pointer[[]byte]
}

// watchEventField is WatchResponse.events' field number.
const watchEventField = 1

// Encoded returns the event as one element of WatchResponse.events, in
// wire format, computed once and shared by every watcher: fan-out to N
// watchers costs one marshal, not N.
func (e *Event) Encoded() []byte { return *e.EncodedRef() }

// EncodedRef is Encoded as a pointer that stays the same for the event's
// life, so a caller can hand it on (e.g. as a gRPC buffer) without
// allocating. The bytes are shared: never modify them.
func (e *Event) EncodedRef() *[]byte {
	if p := e.enc.Load(); p != nil {
		return p
	}
	b := AppendEncoded(nil, &gantryv1.WatchEvent{
		Type: e.Type, Object: e.Object, ResourceVersion: apimeta.FormatResourceVersion(e.Rev),
	})
	// Readers racing to encode first all end up with the winner's bytes.
	if e.enc.CompareAndSwap(nil, &b) {
		return &b
	}
	return e.enc.Load()
}

// AppendEncoded appends ev as one element of WatchResponse.events.
func AppendEncoded(dst []byte, ev *gantryv1.WatchEvent) []byte {
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
	if err != nil {
		// A stored object always marshals; failing here means memory corruption.
		panic("store: marshal watch event: " + err.Error())
	}
	dst = protowire.AppendTag(dst, watchEventField, protowire.BytesType)
	return protowire.AppendBytes(dst, body)
}
