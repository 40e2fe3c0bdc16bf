package bench

import (
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// split cuts b into buffers of n bytes, as gRPC hands over a message that
// arrived in several HTTP/2 frames.
func split(b []byte, n int) mem.BufferSlice {
	var out mem.BufferSlice
	for len(b) > n {
		out = append(out, mem.SliceBuffer(b[:n]))
		b = b[n:]
	}
	return append(out, mem.SliceBuffer(b))
}

// receive runs a response through the codec as a watcher does.
func receive(data mem.BufferSlice) ([]wireEvent, error) {
	var got []wireEvent
	f := rawFrame{onEvent: func(_ time.Time, b []byte) error {
		ev, err := parseEvent(b)
		// The bytes are only valid during the call: keep copies.
		ev.name, ev.sent = append([]byte(nil), ev.name...), append([]byte(nil), ev.sent...)
		got = append(got, ev)
		return err
	}}
	return got, rawCodec{}.Unmarshal(data, &f)
}

func TestWatchResponsesAreReadInPlaceWhateverTheBuffers(t *testing.T) {
	pl := newPayload(64)
	cm := pl.configMap("ns", "e-42", map[string]string{"a": "b", sentAnnotation: "1700000000123456789", "z": "y"})
	cm.GetConfigMap().Metadata.Uid = "uid"
	cm.GetConfigMap().Metadata.CreationTimestamp = timestamppb.Now() // nested fixed-less message to skip
	cm.GetConfigMap().Metadata.Generation = 3
	resp := &gantryv1.WatchResponse{Events: []*gantryv1.WatchEvent{
		{Type: gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED, Object: cm, ResourceVersion: "17"},
		{Type: gantryv1.WatchEventType_WATCH_EVENT_TYPE_BOOKMARK, ResourceVersion: "18"},
		{Type: gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED, Object: namespaceObject("other"), ResourceVersion: "19"},
	}}
	b, err := proto.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{len(b), 100, 7, 1} {
		got, err := receive(split(b, n))
		if err != nil {
			t.Fatalf("buffers of %d bytes: %v", n, err)
		}
		if len(got) != 3 {
			t.Fatalf("buffers of %d bytes: got %d events, want 3", n, len(got))
		}
		if got[0].typ != gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED || string(got[0].name) != "e-42" || string(got[0].sent) != "1700000000123456789" {
			t.Errorf("buffers of %d bytes: config map event = {%v %q %q}", n, got[0].typ, got[0].name, got[0].sent)
		}
		if got[1].typ != gantryv1.WatchEventType_WATCH_EVENT_TYPE_BOOKMARK || len(got[1].name) != 0 {
			t.Errorf("buffers of %d bytes: bookmark = {%v %q}", n, got[1].typ, got[1].name)
		}
		if len(got[2].name) != 0 || len(got[2].sent) != 0 {
			t.Errorf("buffers of %d bytes: a namespace event must not look like a config map: {%q %q}", n, got[2].name, got[2].sent)
		}
		if _, err := receive(split(b[:len(b)-3], n)); err == nil {
			t.Errorf("buffers of %d bytes: truncated response parsed without error", n)
		}
	}
}

func TestRawCodecKeepsBytes(t *testing.T) {
	req := &gantryv1.WatchRequest{Kind: "ConfigMap", Namespace: "ns", AllowBookmarks: true}
	out, err := rawCodec{}.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var f rawFrame
	if err := (rawCodec{}).Unmarshal(out, &f); err != nil {
		t.Fatal(err)
	}
	back := &gantryv1.WatchRequest{}
	if err := proto.Unmarshal(f.b, back); err != nil || !proto.Equal(back, req) {
		t.Errorf("round trip = %v, %v", back, err)
	}
}
