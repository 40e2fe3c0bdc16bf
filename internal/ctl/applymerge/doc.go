// Package applymerge owns the update half of "gantryctl apply": a three-way
// JSON merge of the manifest, the manifest last applied (kept in the
// kubectl.kubernetes.io/last-applied-configuration annotation, as kubectl
// does) and the live object. A field the manifest dropped since the last
// apply is removed; a field nobody applied (an allocated clusterIP, a
// replica count set by "scale" when the manifest has none) stays. Lists of
// named elements (containers, env, ports) merge element by element, as
// Kubernetes' strategic merge does, so defaults the server filled into a
// container are not mistaken for changes; other lists are replaced whole,
// unless the manifest left them as they were and others only added to them
// (the default tolerations of a pod). A changed Deployment strategy keeps
// only the keys the manifest sets, as Kubernetes' retainKeys does.
package applymerge
