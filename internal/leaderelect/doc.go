// Package leaderelect owns electing one active replica among several
// processes (schedulers, controllers) through a Lease object, with the
// client-go algorithm: acquire by create or conditional update, renew
// periodically, and judge a holder's lease by this process's own clock —
// the time it last saw the lease change — never by the holder's clock.
//
// A lease alone does not fence: a paused leader may act after losing it.
// Gantry's correctness comes from preconditions on every write; the lease
// only keeps replicas from wasting work on each other.
package leaderelect
