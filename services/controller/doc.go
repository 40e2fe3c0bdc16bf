// Package controller owns the controller manager (`gantry controller`):
// one process that runs the ReplicaSet, Deployment, garbage collector,
// node IPAM, node lifecycle and EndpointSlice controllers (packages
// replicaset, deployment, gc, nodeipam, nodelifecycle, endpointslice)
// over shared informers, with one active replica elected through the Lease
// gantry-system/gantry-controller.
//
// Every replica serves gantry.v1.ControllerService (Status), gRPC health
// and reflection on Listen, and /healthz and /metrics on HTTPListen. Each
// replica lists and watches from the start (a warm standby: its caches and
// garbage-collection graph are ready when it takes over) but only the
// lease holder runs the controllers' workers. When the lease is lost, Run
// returns an error wrapping leaderelect.ErrLost and the process exits, to
// be restarted; correctness never rests on the lease alone, since every
// write carries a precondition.
//
// The controllers share one skeleton (package ctrl): informer handlers
// enqueue keys into a workqueue, N workers call an idempotent
// reconcile(ctx, key) that reads only caches, and expectations keep a
// ReplicaSet from creating pods twice before its watch catches up. See
// DESIGN.md for the invariants and the figures.
package controller
