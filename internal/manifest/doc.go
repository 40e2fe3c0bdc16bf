// Package manifest owns the translation between manifests written for
// Kubernetes (YAML or JSON files, as `kubectl apply -f` reads them) and
// Gantry's API objects (gantryv1.Object).
//
// Decode and ReadPaths turn files into objects; Encode and EncodeList turn
// objects back into Kubernetes-shaped YAML or JSON for `gantryctl get -o`.
// Whatever Encode writes, Decode reads back to an equal object.
//
// Decoding walks each document against the protobuf descriptors of its kind,
// so that every problem is reported with its file, line, document and exact
// field path ("spec.template.spec.containers[0].ports[0].containerPort"),
// and so that the Kubernetes spellings the protobuf JSON mapping does not
// know are accepted:
//
//   - quantities written as numbers (cpu: 1, cpu: 0.5) become their
//     canonical string ("1", "500m"); quantities written as strings are
//     checked with resource.ParseQuantity and kept as written;
//   - IntOrString fields (maxSurge, maxUnavailable, targetPort, probe ports)
//     take an integer or a string;
//   - booleans may be spelled the YAML 1.1 way (yes, on) that Kubernetes'
//     YAML parser reads as booleans;
//   - Secret and ConfigMap binary data are base64, as in Kubernetes.
//
// Unknown fields and duplicate fields are errors in strict mode (the default,
// like kubectl's --validate=strict) and warnings otherwise, the field dropped.
//
// `status` is dropped without being looked at unless Options.KeepStatus is
// set: kubectl sends it and the Kubernetes apiserver ignores it on create and
// update, and a manifest saved from another cluster carries status fields
// Gantry may not know.
//
// Inputs are untrusted: sizes, document counts, nesting depth and YAML alias
// expansion are bounded (see Options), and a call either returns every
// object of its inputs or none.
package manifest
