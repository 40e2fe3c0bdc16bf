package bench

import (
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestParseEventsReadsWhatTheBenchNeeds(t *testing.T) {
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
	var got []wireEvent
	if err := parseEvents(b, func(ev wireEvent) { got = append(got, ev) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d events, want 3", len(got))
	}
	if got[0].typ != gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED || string(got[0].name) != "e-42" || string(got[0].sent) != "1700000000123456789" {
		t.Errorf("config map event = {%v %q %q}", got[0].typ, got[0].name, got[0].sent)
	}
	if got[1].typ != gantryv1.WatchEventType_WATCH_EVENT_TYPE_BOOKMARK || got[1].name != nil {
		t.Errorf("bookmark = {%v %q}", got[1].typ, got[1].name)
	}
	if got[2].name != nil || got[2].sent != nil {
		t.Errorf("a namespace event must not look like a config map: {%q %q}", got[2].name, got[2].sent)
	}
	if err := parseEvents(b[:len(b)-3], func(wireEvent) {}); err == nil {
		t.Error("truncated response parsed without error")
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
