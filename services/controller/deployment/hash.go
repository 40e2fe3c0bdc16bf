package deployment

import (
	"encoding/binary"
	"hash/fnv"
	"maps"
	"strconv"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/util/rand"
)

// Annotations and labels, as Kubernetes names them.
const (
	// RevisionAnnotation is the revision of a ReplicaSet, and on a
	// Deployment the revision of its new ReplicaSet.
	RevisionAnnotation = "deployment.kubernetes.io/revision"
	// DesiredReplicasAnnotation is the Deployment's replicas when the
	// ReplicaSet was last scaled.
	DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	// MaxReplicasAnnotation is replicas+maxSurge when the ReplicaSet was
	// last scaled (proportional scaling uses it).
	MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"
	// PodTemplateHashLabel tells the ReplicaSets of one Deployment apart.
	PodTemplateHashLabel = "pod-template-hash"
)

// ComputeHash returns the pod-template-hash of a template: FNV-32a over its
// deterministic protobuf encoding and the collision count, encoded with
// SafeEncodeString (no vowels, no look-alikes), as Kubernetes does with
// its own encoding of the template.
func ComputeHash(tmpl *gantryv1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(tmpl)
	_, _ = h.Write(b)
	if collisionCount != nil {
		var buf [4]byte
		binary.LittleEndian.PutUint32(buf[:], uint32(*collisionCount))
		_, _ = h.Write(buf[:])
	}
	return rand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// withoutHash returns a copy of tmpl without the pod-template-hash label.
func withoutHash(tmpl *gantryv1.PodTemplateSpec) *gantryv1.PodTemplateSpec {
	c := proto.Clone(tmpl).(*gantryv1.PodTemplateSpec)
	if c == nil {
		return nil
	}
	if c.Metadata != nil && c.Metadata.Labels != nil {
		delete(c.Metadata.Labels, PodTemplateHashLabel)
	}
	return c
}

// EqualIgnoreHash reports whether two templates are equal apart from the
// pod-template-hash label.
func EqualIgnoreHash(a, b *gantryv1.PodTemplateSpec) bool {
	return proto.Equal(withoutHash(a), withoutHash(b))
}

// withHash returns a copy of tmpl labelled with hash.
func withHash(tmpl *gantryv1.PodTemplateSpec, hash string) *gantryv1.PodTemplateSpec {
	c := proto.Clone(tmpl).(*gantryv1.PodTemplateSpec)
	if c.Metadata == nil {
		c.Metadata = &gantryv1.ObjectMeta{}
	}
	c.Metadata.Labels = maps.Clone(c.Metadata.Labels)
	if c.Metadata.Labels == nil {
		c.Metadata.Labels = map[string]string{}
	}
	c.Metadata.Labels[PodTemplateHashLabel] = hash
	return c
}

// selectorWithHash returns a copy of sel that also requires the hash.
func selectorWithHash(sel *gantryv1.LabelSelector, hash string) *gantryv1.LabelSelector {
	c := proto.Clone(sel).(*gantryv1.LabelSelector)
	if c == nil {
		c = &gantryv1.LabelSelector{}
	}
	c.MatchLabels = maps.Clone(c.MatchLabels)
	if c.MatchLabels == nil {
		c.MatchLabels = map[string]string{}
	}
	c.MatchLabels[PodTemplateHashLabel] = hash
	return c
}

// collisionCount returns status.collisionCount (nil when unset).
func collisionCount(d *gantryv1.Deployment) *int32 {
	if d.GetStatus() == nil {
		return nil
	}
	return d.GetStatus().CollisionCount
}
