package framework

import (
	"strings"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func TestFilters(t *testing.T) {
	unschedulable := func(n *gantryv1.Node) { n.Spec.Unschedulable = true }
	notReady := func(n *gantryv1.Node) { n.Status.Conditions[0].Status = "False" }
	noCondition := func(n *gantryv1.Node) { n.Status.Conditions = nil }
	labels := func(n *gantryv1.Node) { n.Metadata.Labels = map[string]string{"disk": "ssd", "zone": "a"} }
	selector := func(sel map[string]string) func(*gantryv1.Pod) {
		return func(p *gantryv1.Pod) { p.Spec.NodeSelector = sel }
	}
	cases := []struct {
		name   string
		plugin FilterPlugin
		pod    *PodInfo
		node   *NodeInfo
		want   string // "" for a pass, else the joined reasons
	}{
		{"unschedulable/schedulable node", NodeUnschedulable{}, podInfo("p", "", ""), node("n", "1", "1Gi", "10"), ""},
		{"unschedulable/rejected", NodeUnschedulable{}, podInfo("p", "", ""), node("n", "1", "1Gi", "10", unschedulable), "node(s) were unschedulable"},
		{"unschedulable/tolerated", NodeUnschedulable{},
			podInfo("p", "", "", tolerate(TaintNodeUnschedulable, "Exists", "", EffectNoSchedule)),
			node("n", "1", "1Gi", "10", unschedulable), ""},
		{"unschedulable/wrong effect not tolerated", NodeUnschedulable{},
			podInfo("p", "", "", tolerate(TaintNodeUnschedulable, "Exists", "", EffectNoExecute)),
			node("n", "1", "1Gi", "10", unschedulable), "node(s) were unschedulable"},
		{"ready/ready", NodeReady{}, podInfo("p", "", ""), node("n", "1", "1Gi", "10"), ""},
		{"ready/false", NodeReady{}, podInfo("p", "", ""), node("n", "1", "1Gi", "10", notReady), "node(s) were not ready"},
		{"ready/no condition", NodeReady{}, podInfo("p", "", ""), node("n", "1", "1Gi", "10", noCondition), "node(s) were not ready"},
		{"ready/tolerated", NodeReady{}, podInfo("p", "", "", tolerate("", "Exists", "", "")), node("n", "1", "1Gi", "10", notReady), ""},
		{"selector/none", NodeSelector{}, podInfo("p", "", ""), node("n", "1", "1Gi", "10"), ""},
		{"selector/match", NodeSelector{}, podInfo("p", "", "", selector(map[string]string{"disk": "ssd"})), node("n", "1", "1Gi", "10", labels), ""},
		{"selector/wrong value", NodeSelector{}, podInfo("p", "", "", selector(map[string]string{"disk": "hdd"})),
			node("n", "1", "1Gi", "10", labels), "node(s) didn't match Pod's node affinity/selector"},
		{"selector/missing label", NodeSelector{}, podInfo("p", "", "", selector(map[string]string{"gpu": ""})),
			node("n", "1", "1Gi", "10", labels), "node(s) didn't match Pod's node affinity/selector"},
		{"taint/untolerated NoSchedule", TaintToleration{}, podInfo("p", "", ""),
			node("n", "1", "1Gi", "10", taint("dedicated", "db", EffectNoSchedule)), "node(s) had untolerated taint {dedicated: db}"},
		{"taint/untolerated NoExecute", TaintToleration{}, podInfo("p", "", ""),
			node("n", "1", "1Gi", "10", taint("k", "", EffectNoExecute)), "node(s) had untolerated taint {k: }"},
		{"taint/PreferNoSchedule ignored", TaintToleration{}, podInfo("p", "", ""),
			node("n", "1", "1Gi", "10", taint("k", "v", EffectPreferNoSchedule)), ""},
		{"taint/tolerated Equal", TaintToleration{}, podInfo("p", "", "", tolerate("dedicated", "Equal", "db", EffectNoSchedule)),
			node("n", "1", "1Gi", "10", taint("dedicated", "db", EffectNoSchedule)), ""},
		{"taint/Equal wrong value", TaintToleration{}, podInfo("p", "", "", tolerate("dedicated", "", "web", "")),
			node("n", "1", "1Gi", "10", taint("dedicated", "db", EffectNoSchedule)), "node(s) had untolerated taint {dedicated: db}"},
		{"taint/Exists any value", TaintToleration{}, podInfo("p", "", "", tolerate("dedicated", "Exists", "", "")),
			node("n", "1", "1Gi", "10", taint("dedicated", "db", EffectNoExecute)), ""},
		{"taint/second taint untolerated", TaintToleration{}, podInfo("p", "", "", tolerate("a", "Exists", "", "")),
			node("n", "1", "1Gi", "10", taint("a", "1", EffectNoSchedule), taint("b", "2", EffectNoSchedule)), "node(s) had untolerated taint {b: 2}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.plugin.Filter(tc.pod, tc.node)
			if got.Message() != tc.want {
				t.Fatalf("Filter = %q, want %q", got.Message(), tc.want)
			}
			if got != nil && got.Plugin != tc.plugin.Name() {
				t.Fatalf("status names plugin %q, want %q", got.Plugin, tc.plugin.Name())
			}
		})
	}
}

func TestNodePorts(t *testing.T) {
	used := func(pods ...*PodInfo) *NodeInfo {
		n := node("n", "8", "8Gi", "100")
		for _, p := range pods {
			n.AddPod(p)
		}
		return n
	}
	const reason = "node(s) didn't have free ports for the requested pod ports"
	cases := []struct {
		name string
		pod  *PodInfo
		node *NodeInfo
		want string
	}{
		{"no host ports", podInfo("p", "", ""), used(podInfo("q", "", "", hostPort(80, "", ""))), ""},
		{"free port", podInfo("p", "", "", hostPort(81, "", "")), used(podInfo("q", "", "", hostPort(80, "", ""))), ""},
		{"same port wildcard", podInfo("p", "", "", hostPort(80, "", "")), used(podInfo("q", "", "", hostPort(80, "", ""))), reason},
		{"other protocol", podInfo("p", "", "", hostPort(80, "", "UDP")), used(podInfo("q", "", "", hostPort(80, "", "TCP"))), ""},
		{"different IPs", podInfo("p", "", "", hostPort(80, "10.0.0.1", "")), used(podInfo("q", "", "", hostPort(80, "10.0.0.2", ""))), ""},
		{"same IP", podInfo("p", "", "", hostPort(80, "10.0.0.1", "")), used(podInfo("q", "", "", hostPort(80, "10.0.0.1", ""))), reason},
		{"wildcard vs IP", podInfo("p", "", "", hostPort(80, "", "")), used(podInfo("q", "", "", hostPort(80, "10.0.0.1", ""))), reason},
		{"IP vs wildcard", podInfo("p", "", "", hostPort(80, "10.0.0.1", "")), used(podInfo("q", "", "", hostPort(80, "0.0.0.0", ""))), reason},
		{"hostNetwork uses container ports", podInfo("p", "", "", func(p *gantryv1.Pod) {
			p.Spec.HostNetwork = true
			p.Spec.Containers[0].Ports = []*gantryv1.ContainerPort{{ContainerPort: 80}}
		}), used(podInfo("q", "", "", hostPort(80, "", ""))), reason},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := (NodePorts{}).Filter(tc.pod, tc.node).Message(); got != tc.want {
				t.Fatalf("Filter = %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("removing the pod frees the port", func(t *testing.T) {
		q := podInfo("q", "", "", hostPort(80, "", ""))
		n := used(q)
		n.RemovePod(q)
		if s := (NodePorts{}).Filter(podInfo("p", "", "", hostPort(80, "", "")), n); s != nil {
			t.Fatalf("Filter after RemovePod = %q, want pass", s.Message())
		}
		if n.UsedPorts.Len() != 0 {
			t.Fatalf("UsedPorts.Len = %d, want 0", n.UsedPorts.Len())
		}
	})
}

func TestNodeResourcesFit(t *testing.T) {
	withPods := func(n *NodeInfo, pods ...*PodInfo) *NodeInfo {
		for _, p := range pods {
			n.AddPod(p)
		}
		return n
	}
	gpu := func(p *gantryv1.Pod) { p.Spec.Containers[0].Resources.Requests["example.com/gpu"] = "1" }
	limitsOnly := func(p *gantryv1.Pod) {
		p.Spec.Containers[0].Resources = &gantryv1.ResourceRequirements{Limits: map[string]string{"cpu": "2"}}
	}
	cases := []struct {
		name string
		pod  *PodInfo
		node *NodeInfo
		want string
	}{
		{"fits empty node", podInfo("p", "500m", "1Gi"), node("n", "1", "2Gi", "10"), ""},
		{"fits exactly", podInfo("p", "500m", "1Gi"), withPods(node("n", "1", "2Gi", "10"), podInfo("a", "500m", "1Gi")), ""},
		{"insufficient cpu", podInfo("p", "600m", "1Gi"), withPods(node("n", "1", "2Gi", "10"), podInfo("a", "500m", "")), "Insufficient cpu"},
		{"insufficient memory", podInfo("p", "", "2Gi"), node("n", "1", "1Gi", "10"), "Insufficient memory"},
		{"both", podInfo("p", "2", "2Gi"), node("n", "1", "1Gi", "10"), "Insufficient cpu, Insufficient memory"},
		{"too many pods", podInfo("p", "", ""), withPods(node("n", "1", "1Gi", "1"), podInfo("a", "", "")), "Too many pods"},
		{"no requests fit a full node", podInfo("p", "", ""), withPods(node("n", "1", "1Gi", "10"), podInfo("a", "1", "1Gi")), ""},
		{"limits stand in for requests", podInfo("p", "", "", limitsOnly), node("n", "1", "1Gi", "10"), "Insufficient cpu"},
		{"scalar missing", podInfo("p", "", "", gpu), node("n", "1", "1Gi", "10"), "Insufficient example.com/gpu"},
		{"scalar present", podInfo("p", "", "", gpu), node("n", "1", "1Gi", "10", func(n *gantryv1.Node) {
			n.Status.Allocatable["example.com/gpu"] = "2"
		}), ""},
		{"allocatable falls back to capacity", podInfo("p", "1", ""), node("n", "1", "1Gi", "10", func(n *gantryv1.Node) {
			n.Status.Capacity, n.Status.Allocatable = n.Status.Allocatable, nil
		}), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := (NodeResourcesFit{}).Filter(tc.pod, tc.node).Message(); got != tc.want {
				t.Fatalf("Filter = %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("remove restores", func(t *testing.T) {
		a := podInfo("a", "1", "1Gi")
		n := withPods(node("n", "1", "1Gi", "1"), a)
		n.RemovePod(a)
		if s := (NodeResourcesFit{}).Filter(podInfo("p", "1", "1Gi"), n); s != nil {
			t.Fatalf("after RemovePod: %q", s.Message())
		}
		if n.PodCount() != 0 || n.NonZeroMilliCPU != 0 || n.NonZeroMemory != 0 {
			t.Fatalf("not back to zero: pods %d cpu %d mem %d", n.PodCount(), n.NonZeroMilliCPU, n.NonZeroMemory)
		}
	})
}

func TestFilterSuccessDoesNotAllocate(t *testing.T) {
	fw := Default()
	p := podInfo("p", "100m", "100Mi", hostPort(80, "", ""), tolerate("a", "Exists", "", ""),
		func(p *gantryv1.Pod) { p.Spec.NodeSelector = map[string]string{"zone": "a"} })
	n := node("n", "4", "4Gi", "110", taint("a", "1", EffectNoSchedule), func(n *gantryv1.Node) {
		n.Metadata.Labels = map[string]string{"zone": "a"}
	})
	n.AddPod(podInfo("q", "1", "1Gi", hostPort(81, "", "")))
	if allocs := testing.AllocsPerRun(100, func() {
		if s := fw.RunFilters(p, n); s != nil {
			t.Fatalf("RunFilters: %s", s.Message())
		}
	}); allocs != 0 {
		t.Fatalf("RunFilters allocates %v times per node", allocs)
	}
	full := node("full", "100m", "4Gi", "110")
	big := podInfo("big", "1", "")
	if allocs := testing.AllocsPerRun(100, func() {
		if s := fw.RunFilters(big, full); !strings.Contains(s.Message(), "cpu") {
			t.Fatalf("RunFilters: %q", s.Message())
		}
	}); allocs != 0 {
		t.Fatalf("a rejection allocates %v times", allocs)
	}
}
