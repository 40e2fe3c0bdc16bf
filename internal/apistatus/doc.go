// Package apistatus owns the error vocabulary shared by Gantry's servers
// and clients beyond plain gRPC codes: the ErrorInfo reasons that tell a
// client whether an UNAVAILABLE write may be retried safely.
package apistatus
