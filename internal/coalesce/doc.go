// Package coalesce owns one pattern: concurrent callers that each need the
// result of a call started after they arrived share one such call. A
// linearizable read needs a leadership check (or a read index from the
// leader) taken after the read arrived; every read waiting at the time can
// share the next one, so the cost is per round, not per read.
package coalesce
