// Package runtime owns the contract between the node agent and what runs
// containers: pod sandboxes (a pod's network identity), containers (one
// supervised process group each), their states and exit codes, their
// logs, and commands exec'd beside them. Implementations: process (host
// processes) and simulated (hollow nodes that run nothing).
package runtime
