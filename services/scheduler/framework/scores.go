package framework

// MaxNodeScore is the highest score a score plugin gives a node.
const MaxNodeScore = 100

// ScorePlugin ranks the nodes that passed every filter. Score returns a
// raw score; if the plugin also implements ScoreNormalizer, the raw
// scores of all feasible nodes are normalised together before weighting.
// Final scores lie in [0, MaxNodeScore] before weighting.
type ScorePlugin interface {
	Name() string
	Weight() int64
	Score(pod *PodInfo, node *NodeInfo) int64
}

// ScoreNormalizer turns raw scores into [0, MaxNodeScore] in place.
type ScoreNormalizer interface {
	Normalize(pod *PodInfo, scores []int64)
}

// LeastAllocated prefers nodes with more free cpu and memory after placing
// the pod (Kubernetes' NodeResourcesFit LeastAllocated strategy, with the
// non-zero request defaults so best-effort pods spread too).
type LeastAllocated struct{}

// Name implements ScorePlugin.
func (LeastAllocated) Name() string { return "LeastAllocated" }

// Weight implements ScorePlugin.
func (LeastAllocated) Weight() int64 { return 1 }

// Score implements ScorePlugin.
func (LeastAllocated) Score(pod *PodInfo, node *NodeInfo) int64 {
	cpu := leastAllocated(node.NonZeroMilliCPU+pod.NonZeroMilliCPU, node.Allocatable.MilliCPU)
	mem := leastAllocated(node.NonZeroMemory+pod.NonZeroMemory, node.Allocatable.Memory)
	return (cpu + mem) / 2
}

func leastAllocated(requested, capacity int64) int64 {
	if capacity <= 0 || requested > capacity {
		return 0
	}
	return (capacity - requested) * MaxNodeScore / capacity
}

// OwnerSpread prefers nodes running fewer pods of the pod's controller
// owner (a ReplicaSet's pods spread over the nodes). Pods without a
// controller owner score the same everywhere.
type OwnerSpread struct{}

// Name implements ScorePlugin.
func (OwnerSpread) Name() string { return "OwnerSpread" }

// Weight implements ScorePlugin (Kubernetes weighs pod topology spread 2).
func (OwnerSpread) Weight() int64 { return 2 }

// Score implements ScorePlugin: the raw score is the owner's pod count.
func (OwnerSpread) Score(pod *PodInfo, node *NodeInfo) int64 {
	if pod.OwnerUID == "" {
		return 0
	}
	return int64(node.OwnerPods[pod.OwnerUID])
}

// Normalize implements ScoreNormalizer: the fewest owner pods scores
// MaxNodeScore, the most scores in proportion (0 for the maximum).
func (OwnerSpread) Normalize(_ *PodInfo, scores []int64) {
	var most int64
	for _, s := range scores {
		most = max(most, s)
	}
	for i, s := range scores {
		if most == 0 {
			scores[i] = MaxNodeScore
		} else {
			scores[i] = MaxNodeScore * (most - s) / most
		}
	}
}
