package framework

import (
	"k8s.io/apimachinery/pkg/api/resource"
)

// Resource names with dedicated fields; any other name is a scalar
// (extended) resource.
const (
	ResourceCPU    = "cpu"
	ResourceMemory = "memory"
	ResourcePods   = "pods"
)

// Defaults Kubernetes assumes for scoring containers that request nothing,
// so that best-effort pods still spread.
const (
	DefaultMilliCPURequest = 100               // 0.1 core
	DefaultMemoryRequest   = 200 * 1024 * 1024 // 200 MiB
)

// Resources is an amount of each resource: cpu in millicores, memory in
// bytes, pods as a count, and scalar resources in their own units.
type Resources struct {
	MilliCPU int64
	Memory   int64
	Pods     int64
	// Scalar holds other resources; nil when there are none.
	Scalar map[string]int64
}

// Add adds r2 to r.
func (r *Resources) Add(r2 *Resources) {
	r.MilliCPU += r2.MilliCPU
	r.Memory += r2.Memory
	r.Pods += r2.Pods
	for k, v := range r2.Scalar {
		if r.Scalar == nil {
			r.Scalar = map[string]int64{}
		}
		r.Scalar[k] += v
	}
}

// Sub subtracts r2 from r.
func (r *Resources) Sub(r2 *Resources) {
	r.MilliCPU -= r2.MilliCPU
	r.Memory -= r2.Memory
	r.Pods -= r2.Pods
	for k, v := range r2.Scalar {
		if r.Scalar == nil {
			r.Scalar = map[string]int64{}
		}
		r.Scalar[k] -= v
		if r.Scalar[k] == 0 {
			delete(r.Scalar, k)
		}
	}
}

// addQuantity adds one named quantity (Kubernetes notation); malformed
// quantities count as zero (admission rejects them before they get here).
func (r *Resources) addQuantity(name, value string) {
	q, err := resource.ParseQuantity(value)
	if err != nil {
		return
	}
	switch name {
	case ResourceCPU:
		r.MilliCPU += q.MilliValue()
	case ResourceMemory:
		r.Memory += q.Value()
	case ResourcePods:
		r.Pods += q.Value()
	default:
		if r.Scalar == nil {
			r.Scalar = map[string]int64{}
		}
		r.Scalar[name] += q.Value()
	}
}

// ParseResources parses a resource list such as a node's allocatable.
func ParseResources(list map[string]string) Resources {
	var r Resources
	for k, v := range list {
		r.addQuantity(k, v)
	}
	return r
}
