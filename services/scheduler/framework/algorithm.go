package framework

import (
	"math/rand/v2"
)

// Sampling defaults, as in Kubernetes.
const (
	// MinFeasibleNodesToFind: clusters this small are always searched
	// whole, and larger ones never stop before this many feasible nodes.
	MinFeasibleNodesToFind = 100
	// minFeasibleNodesPercentage bounds the adaptive percentage.
	minFeasibleNodesPercentage = 5
)

// Algorithm places one pod at a time: it filters nodes, from a position
// that rotates across calls, until it has found enough feasible ones,
// scores them and picks the best. It reuses its buffers and is not safe
// for concurrent use.
type Algorithm struct {
	fw *Framework
	// percentage of nodes to find feasible (0: adaptive, as Kubernetes).
	percentage int
	rng        *rand.Rand
	next       int
	feasible   []*NodeInfo
	failed     []*Status
	total, raw []int64
}

// NewAlgorithm returns an algorithm over fw. percentageOfNodesToScore is
// the share of a large cluster's nodes to find feasible before scoring
// (0: Kubernetes' adaptive default, 50% minus 1% per 125 nodes, at least
// 5%; 100: every node). seed seeds the tie-breaking random source.
func NewAlgorithm(fw *Framework, percentageOfNodesToScore int, seed uint64) *Algorithm {
	return &Algorithm{fw: fw, percentage: percentageOfNodesToScore, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Result is the outcome of placing one pod.
type Result struct {
	// Node is the chosen node, "" when the pod fits nowhere.
	Node string
	// Evaluated and Feasible count the nodes filtered and passed.
	Evaluated, Feasible int
	// Diagnosis says why, when Node is "".
	Diagnosis *Diagnosis
}

// Schedule places pod on one of nodes.
func (a *Algorithm) Schedule(pod *PodInfo, nodes []*NodeInfo) Result {
	if len(nodes) == 0 {
		return Result{Diagnosis: &Diagnosis{}}
	}
	want := a.numFeasibleNodesToFind(len(nodes))
	a.feasible, a.failed = a.feasible[:0], a.failed[:0]
	processed := 0
	for i := 0; i < len(nodes) && len(a.feasible) < want; i++ {
		n := nodes[(a.next+i)%len(nodes)]
		processed++
		if s := a.fw.RunFilters(pod, n); s != nil {
			a.failed = append(a.failed, s)
			continue
		}
		a.feasible = append(a.feasible, n)
	}
	a.next = (a.next + processed) % len(nodes)
	res := Result{Evaluated: processed, Feasible: len(a.feasible)}
	if len(a.feasible) == 0 {
		res.Diagnosis = newDiagnosis(len(nodes), a.failed)
		return res
	}
	res.Node = a.pick(pod)
	return res
}

// pick scores the feasible nodes and returns the best, ties at random.
func (a *Algorithm) pick(pod *PodInfo) string {
	if len(a.feasible) == 1 {
		return a.feasible[0].Name
	}
	if cap(a.total) < len(a.feasible) {
		a.total, a.raw = make([]int64, len(a.feasible)), make([]int64, len(a.feasible))
	}
	a.fw.Score(pod, a.feasible, a.total, a.raw)
	best, ties := 0, 0
	for i, s := range a.total[:len(a.feasible)] {
		switch {
		case s > a.total[best]:
			best, ties = i, 1
		case s == a.total[best]:
			if ties++; a.rng.IntN(ties) == 0 {
				best = i
			}
		}
	}
	return a.feasible[best].Name
}

// numFeasibleNodesToFind is Kubernetes' rule for how many feasible nodes
// are enough in a cluster of n.
func (a *Algorithm) numFeasibleNodesToFind(n int) int {
	if n < MinFeasibleNodesToFind || a.percentage >= 100 {
		return n
	}
	pct := a.percentage
	if pct <= 0 {
		pct = max(50-n/125, minFeasibleNodesPercentage)
	}
	return max(n*pct/100, MinFeasibleNodesToFind)
}
