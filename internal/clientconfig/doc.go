// Package clientconfig owns the small file that tells clients (gantryctl,
// node agents, tools) where a cluster's masters are: written by
// "gantry up", read from $GANTRY_CONFIG or the per-user default path.
package clientconfig
