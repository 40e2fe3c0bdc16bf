// Package process owns the process runtime: each container runs as a host
// process group, supervised by a small shim (the same binary, re-executed)
// that outlives the node agent, writes the container's output to a capped
// log file and records its exit status. Everything a container needs to be
// found again after an agent restart lives under the runtime's data
// directory, so a restarted agent adopts running containers instead of
// starting them twice.
//
// Layout under DataDir:
//
//	pods/<uid>/pod.json                                  the sandbox
//	pods/<uid>/resolv.conf                               the pod's DNS config, if any: bind-mounted
//	                                                     over /etc/resolv.conf in a mount namespace
//	                                                     of each container and exec (root)
//	pods/<uid>/containers/<name>/<attempt>/config.json   what to run (agent)
//	pods/<uid>/containers/<name>/<attempt>/state.json    pids (shim, once started)
//	pods/<uid>/containers/<name>/<attempt>/exit.json     exit status (shim)
//	pods/<uid>/containers/<name>/<attempt>/log, log.1    output, rotated at a cap
package process
