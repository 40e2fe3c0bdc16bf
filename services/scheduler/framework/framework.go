package framework

// Framework is an ordered set of filter and score plugins.
type Framework struct {
	filters []FilterPlugin
	scores  []ScorePlugin
}

// New returns a framework that runs filters in order (stopping at the
// first rejection of a node) and sums the weighted scores.
func New(filters []FilterPlugin, scores []ScorePlugin) *Framework {
	return &Framework{filters: filters, scores: scores}
}

// Default returns Gantry's default plugins: the cheap node-level checks
// first, the resource arithmetic last.
func Default() *Framework {
	return New(
		[]FilterPlugin{NodeUnschedulable{}, NodeReady{}, TaintToleration{}, NodeSelector{}, NodePorts{}, NodeResourcesFit{}},
		[]ScorePlugin{LeastAllocated{}, OwnerSpread{}},
	)
}

// RunFilters returns the first filter's rejection of node, or nil if every
// filter passes.
func (f *Framework) RunFilters(pod *PodInfo, node *NodeInfo) *Status {
	for _, p := range f.filters {
		if s := p.Filter(pod, node); s != nil {
			return s
		}
	}
	return nil
}

// Score fills total[i] with the weighted score of nodes[i], using raw as
// scratch space; both must be at least len(nodes) long.
func (f *Framework) Score(pod *PodInfo, nodes []*NodeInfo, total, raw []int64) {
	total, raw = total[:len(nodes)], raw[:len(nodes)]
	clear(total)
	for _, p := range f.scores {
		for i, n := range nodes {
			raw[i] = p.Score(pod, n)
		}
		if norm, ok := p.(ScoreNormalizer); ok {
			norm.Normalize(pod, raw)
		}
		w := p.Weight()
		for i := range raw {
			total[i] += w * raw[i]
		}
	}
}
