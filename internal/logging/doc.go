// Package logging owns how Gantry processes build their zap loggers and
// how libraries with their own logging (hashicorp/raft's hclog) are routed
// into them.
package logging
