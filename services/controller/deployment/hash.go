package deployment

import (
	"encoding/binary"
	"hash/fnv"
	"maps"
	"strconv"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/deployutil"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/util/rand"
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
	c.Metadata.Labels[deployutil.PodTemplateHashLabel] = hash
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
	c.MatchLabels[deployutil.PodTemplateHashLabel] = hash
	return c
}

// collisionCount returns status.collisionCount (nil when unset).
func collisionCount(d *gantryv1.Deployment) *int32 {
	if d.GetStatus() == nil {
		return nil
	}
	return d.GetStatus().CollisionCount
}
