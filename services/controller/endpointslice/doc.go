// Package endpointslice owns the EndpointSlice controller: for every
// Service with a selector it keeps EndpointSlices (discovery.k8s.io/v1
// shape, addressType IPv4) that list the pods the selector matches, at most
// MaxEndpointsPerSlice endpoints each, grouped by the ports the pods
// resolve the service's ports to.
//
// The reconciler writes the smallest change: an endpoint stays in the
// slice it is in; only slices whose content changes are rewritten; new
// endpoints go to slices that are being written anyway, then to one with
// room, and only then to new slices; slices that empty are reused for
// creates or deleted, down to one placeholder. Every write carries the
// resource_version it read, and a tracker of the versions this controller
// wrote keeps it from acting on a cache that has not seen its own writes
// (Kubernetes' endpointSliceTracker).
//
// Services without a selector are left to their users: the controller only
// removes slices it manages itself.
package endpointslice
