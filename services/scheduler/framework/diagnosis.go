package framework

import (
	"fmt"
	"sort"
	"strings"
)

// noNodesMessage is the summary when the cluster has no nodes at all.
const noNodesMessage = "no nodes available to schedule pods"

// Diagnosis says why a pod fits no node.
type Diagnosis struct {
	// NumNodes is the number of nodes considered.
	NumNodes int
	// Reasons counts the nodes per rejection reason.
	Reasons map[string]int
	// Rejectors are the filters that rejected at least one node.
	Rejectors PluginSet
}

func newDiagnosis(numNodes int, failed []*Status) *Diagnosis {
	d := &Diagnosis{NumNodes: numNodes, Reasons: map[string]int{}}
	for _, s := range failed {
		d.Add(s)
	}
	return d
}

// Add counts one node's rejection.
func (d *Diagnosis) Add(s *Status) {
	if d.Reasons == nil {
		d.Reasons = map[string]int{}
	}
	d.Rejectors |= PluginBit(s.Plugin)
	for _, r := range s.Reasons {
		d.Reasons[r]++
	}
}

// Message is the Kubernetes-worded summary a Pending pod's PodScheduled
// condition carries, such as "0/3 nodes are available: 2 Insufficient
// cpu, 1 node(s) were unschedulable." Reasons are listed by node count,
// most first, then alphabetically.
func (d *Diagnosis) Message() string {
	if d.NumNodes == 0 {
		return noNodesMessage
	}
	type entry struct {
		reason string
		count  int
	}
	entries := make([]entry, 0, len(d.Reasons))
	for r, c := range d.Reasons {
		entries = append(entries, entry{r, c})
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].count != entries[j].count {
			return entries[i].count > entries[j].count
		}
		return entries[i].reason < entries[j].reason
	})
	parts := make([]string, len(entries))
	for i, e := range entries {
		parts[i] = fmt.Sprintf("%d %s", e.count, e.reason)
	}
	msg := fmt.Sprintf("0/%d nodes are available", d.NumNodes)
	if len(parts) == 0 {
		return msg + "."
	}
	return msg + ": " + strings.Join(parts, ", ") + "."
}
