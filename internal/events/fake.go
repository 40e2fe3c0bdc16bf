package events

import (
	"fmt"

	"google.golang.org/protobuf/proto"
)

// Fake is a Recorder for tests: each event arrives on Events as
// "Type Reason Message" (client-go's FakeRecorder format). Like the real
// one it never blocks: once Events is full, further events are dropped.
type Fake struct {
	Events chan string
}

// NewFake returns a Fake that holds up to buffer events.
func NewFake(buffer int) *Fake { return &Fake{Events: make(chan string, buffer)} }

// Event implements Recorder.
func (f *Fake) Event(obj proto.Message, eventType, reason, message string) {
	if _, ok := Ref(obj); !ok {
		return
	}
	select {
	case f.Events <- eventType + " " + reason + " " + message:
	default:
	}
}

// Eventf implements Recorder.
func (f *Fake) Eventf(obj proto.Message, eventType, reason, messageFmt string, args ...any) {
	f.Event(obj, eventType, reason, fmt.Sprintf(messageFmt, args...))
}

// Drain returns the events recorded so far, oldest first.
func (f *Fake) Drain() []string {
	var out []string
	for {
		select {
		case e := <-f.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}
