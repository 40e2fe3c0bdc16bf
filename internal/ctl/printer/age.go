package printer

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Since is kubectl's translateTimestampSince: the human duration from ts to
// now, or "<unknown>" when ts is unset.
func Since(ts *timestamppb.Timestamp, now time.Time) string {
	if !isSet(ts) {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(ts.AsTime()))
}

func isSet(ts *timestamppb.Timestamp) bool {
	return ts != nil && (ts.GetSeconds() != 0 || ts.GetNanos() != 0)
}
