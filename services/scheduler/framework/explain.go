package framework

import "sort"

// Verdict is the outcome of filtering and scoring one node for one pod.
type Verdict struct {
	Node string
	// Status is the first filter's rejection; nil when the node is feasible.
	Status *Status
	// Score is the weighted score of a feasible node.
	Score int64
}

// Explanation is a pod's verdict on every node.
type Explanation struct {
	// Verdicts are sorted by node name.
	Verdicts []Verdict
	// Summary is the message a Pending pod would carry ("" when it fits).
	Summary string
	// Chosen is the best feasible node (the first by name among equals).
	Chosen string
}

// Explain filters and scores pod on every node, without sampling. It
// allocates its own buffers, so it may run beside an Algorithm.
func (f *Framework) Explain(pod *PodInfo, nodes []*NodeInfo) Explanation {
	sorted := append([]*NodeInfo(nil), nodes...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	out := Explanation{Verdicts: make([]Verdict, len(sorted))}
	var feasible []*NodeInfo
	var idx []int
	d := &Diagnosis{NumNodes: len(sorted)}
	for i, n := range sorted {
		out.Verdicts[i] = Verdict{Node: n.Name, Status: f.RunFilters(pod, n)}
		if s := out.Verdicts[i].Status; s != nil {
			d.Add(s)
			continue
		}
		feasible, idx = append(feasible, n), append(idx, i)
	}
	if len(feasible) == 0 {
		out.Summary = d.Message()
		return out
	}
	total, raw := make([]int64, len(feasible)), make([]int64, len(feasible))
	f.Score(pod, feasible, total, raw)
	best := 0
	for i, s := range total {
		out.Verdicts[idx[i]].Score = s
		if s > total[best] {
			best = i
		}
	}
	out.Chosen = feasible[best].Name
	return out
}
