// Package execstream owns what every hop of an exec session (gantryctl,
// apiserver, node agent) shares: its size limits, the check of its start
// message, and a writer that sends output in bounded chunks.
package execstream
