// Package apiserver owns one master process: it wires the Raft replica,
// the store, the watch server and the gRPC handlers together, serves gRPC
// (with health and reflection) and HTTP (/healthz, /readyz, /metrics), and
// joins or bootstraps the cluster.
package apiserver
