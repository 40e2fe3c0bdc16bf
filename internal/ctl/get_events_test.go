package ctl

import (
	"regexp"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// get events lists by last seen, oldest first, whatever the names say.
func TestGetEventsSortsByLastSeen(t *testing.T) {
	c := newOpsCluster(t)
	now := time.Now()
	for _, e := range []struct {
		name, reason string
		ago          time.Duration
	}{{"a", "Newest", time.Second}, {"b", "Oldest", time.Hour}, {"c", "Middle", time.Minute}} {
		c.create(t, &gantryv1.Event{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: e.name},
			InvolvedObject: &gantryv1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "p"},
			Reason:         e.reason, Type: "Normal", Count: 1, LastTimestamp: timestamppb.New(now.Add(-e.ago))})
	}
	out := c.getOut(t, "events")
	if !regexp.MustCompile(`(?s)LAST SEEN.*Oldest.*Middle.*Newest`).MatchString(out) {
		t.Fatalf("get events not oldest first:\n%s", out)
	}
}
