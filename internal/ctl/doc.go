// Package ctl is gantryctl: the command-line client of Gantry, shaped like
// kubectl. It owns the commands (one file per verb), how they find the
// cluster (the client config "gantry up" writes, $GANTRY_CONFIG, --server)
// and how failures are told to a user (one line, gRPC codes in words).
//
// Manifest decoding lives in internal/manifest and table printing in
// internal/ctl/printer; this package wires them to the API.
package ctl
