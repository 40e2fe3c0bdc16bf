package bench

import (
	"crypto/rand"
	"fmt"
	"strconv"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// Names the benchmark puts on objects.
const (
	valueKey = "value"
	// sentAnnotation holds the writer's clock (Unix nanoseconds) at send.
	sentAnnotation = "bench.gantry.io/sent"
)

// payload is the data map every ConfigMap shares: one key with a value of
// the configured size. It is built once and only ever read (marshalling
// reads it concurrently), so each object costs a few small allocations.
type payload struct{ data map[string]string }

func newPayload(size int) payload {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, size)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return payload{data: map[string]string{valueKey: string(b)}}
}

// configMap returns a ConfigMap named name in ns carrying the payload.
func (p payload) configMap(ns, name string, annotations map[string]string) *gantryv1.Object {
	return &gantryv1.Object{Kind: &gantryv1.Object_ConfigMap{ConfigMap: &gantryv1.ConfigMap{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: ns, Annotations: annotations},
		Data:     p.data,
	}}}
}

// objectName is prefix-<a>-<b>, built without fmt.
func objectName(prefix string, a, b int) string {
	buf := make([]byte, 0, len(prefix)+24)
	buf = append(buf, prefix...)
	buf = append(buf, '-')
	buf = strconv.AppendInt(buf, int64(a), 10)
	buf = append(buf, '-')
	buf = strconv.AppendInt(buf, int64(b), 10)
	return string(buf)
}

func namespaceObject(name string) *gantryv1.Object {
	return &gantryv1.Object{Kind: &gantryv1.Object_Namespace{Namespace: &gantryv1.Namespace{
		Metadata: &gantryv1.ObjectMeta{Name: name},
	}}}
}

// runID names this run's namespaces, so runs against one cluster never
// collide.
func runID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}
