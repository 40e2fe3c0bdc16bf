// Package apimeta owns what Gantry knows about its kinds: their names,
// whether they are namespaced, and uniform access to the metadata, spec and
// status of any object carried in a gantryv1.Object envelope.
package apimeta
