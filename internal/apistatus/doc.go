// Package apistatus owns the error vocabulary shared by Gantry's servers
// and clients beyond plain gRPC codes: the ErrorInfo reasons that tell a
// client whether an UNAVAILABLE write may be retried safely, and the
// metadata that routes calls (forwarding, leader hints for writes).
package apistatus
