// Package nodestatus owns the Node objects of a node agent: registration
// (create, or adopt an existing Node and merge our labels into it), the
// status (capacity, allocatable, addresses, daemon endpoint, system info,
// conditions with Ready) and its heartbeat: the status is written when it
// changes and otherwise every Interval with a fresh lastHeartbeatTime. One
// Manager serves any number of nodes; writes are batched.
package nodestatus
