package apistatus

// Trailers a master sets on every write it answers, so that clients can
// send later writes straight to the leader instead of paying a forwarding
// hop through a follower. They are hints: a stale one costs only that hop.
const (
	// MemberTrailer names the member that answered the call.
	MemberTrailer = "x-gantry-member"
	// LeaderTrailer names the member that led when the call was answered
	// ("" when there was no leader).
	LeaderTrailer = "x-gantry-leader"
)

// leaderWrites are the unary methods a follower forwards to the leader.
var leaderWrites = map[string]bool{
	"/gantry.v1.ResourceService/Create":       true,
	"/gantry.v1.ResourceService/Update":       true,
	"/gantry.v1.ResourceService/UpdateStatus": true,
	"/gantry.v1.ResourceService/Delete":       true,
	"/gantry.v1.ResourceService/Bind":         true,
	"/gantry.v1.ResourceService/Batch":        true,
	"/gantry.v1.PodService/Evict":             true,
}

// LeaderWrite reports whether fullMethod ("/package.Service/Method") is a
// write that only the leader applies.
func LeaderWrite(fullMethod string) bool { return leaderWrites[fullMethod] }
