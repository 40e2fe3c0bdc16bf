// Package localcluster owns running a whole Gantry cluster on one machine
// as separate child processes of the gantry binary: starting them with
// consistent ports and data directories, waiting until the cluster is
// ready, and stopping (or killing and restarting) them. "gantry up" and
// the end-to-end tests both use it.
package localcluster
